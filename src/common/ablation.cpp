#include "common/ablation.hpp"

#include <atomic>
#include <charconv>

namespace strata::ablation {

namespace {

Set g_active;
unsigned g_routes = 0;
// Relaxed: a count for tests; workers build their stacks on their own threads.
std::atomic<unsigned long> g_reads{0};

constexpr unsigned kMaxMiddleware = 1000;

const Known* find(std::string_view name) {
  for (const Known& k : known())
    if (k.name == name) return &k;
  return nullptr;
}

bool parse_count(std::string_view v, unsigned& n) {
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc{} && end == v.data() + v.size();
}

}  // namespace

const std::vector<Known>& known() {
  static const std::vector<Known> table = {
      {"date", "per-response", "per-response", "http app typed",
       "format the Date header for every response (a clock read and a strftime) instead of once a second"},
      {"headers", "copy", "copy", "http app typed",
       "copy every request header into owned strings before the app runs, instead of views into the read buffer"},
      {"router", "linear", "linear", "app typed",
       "Starlette's router: scan the routes in order, one std::regex each, instead of the segment tree"},
      {"json", "dom", "dom", "http app typed",
       "decode the body into a simdjson DOM, then copy into the struct, instead of on-demand into the struct"},
      {"alloc", "per-request", "per-request", "http app typed",
       "give every coroutine frame back to the heap when it ends, so each request allocates its frames anew, "
       "instead of recycling them from a per-thread pool"},
      {"write", "per-response", "per-response", "http app typed",
       "one write system call per response, each drained before the next pipelined request, instead of one "
       "gathered write for every response produced from one read"},
      {"validate-response", "off", "off", "typed",
       "skip re-validating each response against its model (FastAPI always validates)"},
      {"middleware", "N (1-1000)", "", "app typed",
       "N pass-through user middlewares around the router (pure ASGI style unless middleware-style=wrapped)"},
      {"middleware-style", "asgi or wrapped", "wrapped", "app typed",
       "wrapped: each middleware builds a Request and buffers the Response, as Starlette's BaseHTTPMiddleware"},
  };
  return table;
}

bool parse(std::string_view arg, Setting& out, std::string& error) {
  const size_t eq = arg.find('=');
  const std::string_view name = arg.substr(0, eq);
  const Known* k = find(name);
  if (!k) {
    std::string names;
    for (const Known& kk : known()) names.append(names.empty() ? "" : ", ").append(kk.name);
    error = "unknown ablation '" + std::string(name) + "' (known: " + names + ")";
    return false;
  }
  std::string_view v = eq == std::string_view::npos ? k->default_value : arg.substr(eq + 1);
  bool ok;
  if (name == "middleware") {
    unsigned n = 0;
    ok = parse_count(v, n) && n >= 1 && n <= kMaxMiddleware;
  } else if (name == "middleware-style") {
    ok = v == "asgi" || v == "wrapped";
  } else {
    ok = v == k->default_value;
  }
  if (!ok) {
    error = "bad value '" + std::string(v) + "' for ablation " + std::string(name) + " (expected " +
            std::string(k->values) + ")";
    return false;
  }
  out = {std::string(name), std::string(v)};
  return true;
}

bool check(const Set& set, std::string& error) {
  for (size_t i = 0; i < set.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (set[i].name == set[j].name) {
        error = "ablation " + set[i].name + " is given twice";
        return false;
      }
  bool middleware = false, style = false;
  for (const Setting& s : set) {
    middleware |= s.name == "middleware";
    style |= s.name == "middleware-style";
  }
  if (style && !middleware) {
    error = "ablation middleware-style needs middleware=N beside it";
    return false;
  }
  return true;
}

const std::vector<TableRow>& table_rows() {
  static const std::vector<TableRow> rows = [] {
    std::vector<TableRow> r = {
        {"http", "user", 0, {{"date", "per-response"}}},
        {"http", "user", 0, {{"headers", "copy"}}},
        {"http", "user", 0, {{"alloc", "per-request"}}},
        {"typed", "user", 0, {{"alloc", "per-request"}}},
        {"http", "pipelined", 0, {{"write", "per-response"}}},
        {"app", "user", 100, {{"router", "linear"}}},
        {"http", "user", 0, {{"json", "dom"}}},
        {"app", "user", 0, {{"json", "dom"}}},
        {"typed", "user", 0, {{"json", "dom"}}},
        {"typed", "user", 0, {{"validate-response", "off"}}},
    };
    for (const char* n : {"1", "5", "10"}) r.push_back({"app", "user", 0, {{"middleware", n}}});
    for (const char* n : {"1", "5", "10"})
      r.push_back({"app", "user", 0, {{"middleware", n}, {"middleware-style", "wrapped"}}});
    return r;
  }();
  return rows;
}

const std::vector<unsigned>& route_sweep() {
  static const std::vector<unsigned> sweep = {0, 10, 100, 1000};
  return sweep;
}

const Set& active() { return g_active; }
void set_active(Set set) { g_active = std::move(set); }
void add(Setting s) { g_active.push_back(std::move(s)); }

std::string_view value(std::string_view name) {
  g_reads.fetch_add(1, std::memory_order_relaxed);
  for (const Setting& s : g_active)
    if (s.name == name) return s.value;
  return {};
}

unsigned long reads() { return g_reads.load(std::memory_order_relaxed); }

unsigned count(std::string_view name) {
  unsigned n = 0;
  const std::string_view v = value(name);
  return parse_count(v, n) ? n : 0;
}

bool applies(std::string_view name, std::string_view tier) {
  const Known* k = find(name);
  if (!k || tier.empty()) return false;
  const std::string tiers = " " + std::string(k->tiers) + " ";
  return tiers.find(" " + std::string(tier) + " ") != std::string::npos;
}

Set applying_to(const Set& set, std::string_view tier) {
  Set out;
  for (const Setting& s : set)
    if (applies(s.name, tier)) out.push_back(s);
  return out;
}

std::string describe(const Set& set) {
  if (set.empty()) return "baseline";
  std::string out;
  for (const Setting& s : set) out.append(out.empty() ? "" : " ").append(s.name).append("=").append(s.value);
  return out;
}

std::vector<std::string> as_args(const Set& set) {
  std::vector<std::string> args;
  for (const Setting& s : set) {
    args.push_back("--ablate");
    args.push_back(s.name + "=" + s.value);
  }
  return args;
}

unsigned extra_routes() { return g_routes; }
void set_extra_routes(unsigned n) { g_routes = n; }

}  // namespace strata::ablation
