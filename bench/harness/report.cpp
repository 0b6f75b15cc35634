#include "harness/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/json.hpp"
#include "common/text.hpp"
#include "harness/ablations.hpp"
#include "harness/process.hpp"

namespace strata::bench {

const std::vector<PublishedRow>& published_seed003() {
  static const std::vector<PublishedRow> rows = {
      {"raw", "asyncio", 104380, std::nullopt},
      {"http", "Uvicorn", 46426, -55.5},
      {"app", "Starlette", 35433, -23.7},
      {"typed", "FastAPI", 17178, -51.5},
      {"peer", "axum (Rust, all cores)", 68133, std::nullopt},
      {"why", "FastAPI, DumpRoute bypass (\"why?\", pydantic 2 TypeAdapter)", 29397, std::nullopt},
      {"why", "FastAPI, DumpRoute + msgspec.Struct", 32499, std::nullopt},
  };
  return rows;
}

const std::vector<PublishedSeed002>& published_seed002() {
  static const std::vector<PublishedSeed002> rows = {
      {"FastAPI", 100, 49.15, 102.39, 2031.28, 8.39, 285.95},
      {"MicroPie", 100, 44.58, 101.74, 2239.68, 17.02, 580.29},
      {"FastAPI", 200, 91.97, 365.85, 2195.34, 9.06, 309.07},
      {"MicroPie", 200, 81.46, 142.96, 2450.02, 18.61, 634.76},
  };
  return rows;
}

const std::vector<PublishedRoute>& published_seed004() {
  static const std::vector<PublishedRoute> rows = {
      {"async_slowest", 0.80},   {"async_sleep_in_thread", 11.17}, {"async_sleep", 93.10},
      {"sync", 37.24},           {"sync_cpu_bound", 9.38},         {"async_cpu_bound", 50.24},
      {"async_cpu_bound_slow", 9.97},
      {"flask/sync_cpu_bound", 50.79},   {"flask/sync_cpu_bound_slow", 10.04},
      {"go/sync", 97.80},                {"go/async_sleep_in_thread", 78261.29},
  };
  return rows;
}

// ------------------------------------------------------------------ formatting

std::string format_thousands(double v) {
  if (!std::isfinite(v)) return "-";
  const bool negative = v < 0;
  auto n = static_cast<unsigned long long>(std::llround(std::fabs(v)));
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

namespace {

std::string printf_str(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

std::string format_rps(double v) {
  // Seed 004's blocked routes serve about one request a second: whole numbers would hide them.
  if (std::isfinite(v) && std::fabs(v) < 100) return printf_str("%.2f", v);
  return format_thousands(v);
}

std::string format_time_us(double us) {
  if (!std::isfinite(us)) return "-";
  if (us < 1000) return printf_str("%.0fus", us);
  if (us < 1e6) return printf_str("%.2fms", us / 1e3);
  return printf_str("%.2fs", us / 1e6);
}

std::string format_cpu_us(double us) {
  if (!std::isfinite(us)) return "-";
  if (us < 10) return printf_str("%.2f", us);
  if (us < 100) return printf_str("%.1f", us);
  return printf_str("%.0f", us);
}

std::string format_decay(std::optional<double> percent, bool baseline) {
  if (baseline) return "(- 100%)";
  if (!percent) return "";
  const double p = *percent;
  if (std::fabs(p) < 0.05) return "(= 0.0%)";
  return std::string(p < 0 ? "(\u2193 " : "(\u2191 ") + printf_str("%.1f%%)", std::fabs(p));
}

namespace {

// ------------------------------------------------------------------ markdown

std::string with_range(const std::optional<Spread>& s, std::string (*fmt)(double)) {
  if (!s) return "-";
  std::string out = fmt(s->median);
  if (s->count > 1) out += " (" + fmt(s->min) + "-" + fmt(s->max) + ")";
  return out;
}

std::string decay_cell(const RowResult& row, bool cpu, bool baseline) {
  const auto& s = cpu ? row.summary.decay_cpu : row.summary.decay_rps;
  if (baseline) return format_decay(std::nullopt, true);
  if (!s) return "";
  std::string out = format_decay(s->median, false);
  if (s->count > 1) {
    auto one = [](double v) { return printf_str("%+.1f", v); };
    out += " [" + one(s->min) + ".." + one(s->max) + "]";
  }
  return out;
}

std::string busy_text(double busy) { return printf_str("%.0f%%", busy * 100); }

std::string notes_cell(const RowResult& row) {
  std::vector<std::string> notes;
  if (!row.valid) notes.push_back("**invalid**: " + row.invalid_reason);
  if (row.valid && row.client_bound)
    notes.push_back("client-bound: server only " + busy_text(row.summary.busy->median) +
                    " busy, so req/s understates the gap; read CPU us/req");
  for (const auto& t : row.trials)
    if (!t.stop_note.empty()) {
      notes.push_back("trial " + std::to_string(t.trial) + ": " + t.stop_note);
      break;
    }
  std::string out;
  for (const auto& n : notes) out += (out.empty() ? "" : "; ") + n;
  // A '|' would end the cell.
  std::string escaped;
  for (char c : out) escaped += c == '|' ? std::string("\\|") : std::string(1, c);
  return escaped;
}

bool is_baseline(const std::vector<RowResult>& rows, size_t index) {
  const auto& row = rows[index];
  if (row.chain.empty() || !row.valid) return false;
  for (size_t i = 0; i < index; ++i)
    if (rows[i].chain == row.chain && rows[i].valid) return false;
  return true;
}

std::string syscalls_cell(const RowResult& r) {
  const auto per = r.syscalls_per_request();
  if (!per) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *per);
  return buf;
}

void table(std::string& md, const RunResult& run, const std::vector<size_t>& which) {
  md += "| row | req/s | decay % | CPU us/req | CPU decay % | user/sys us | syscalls/req | instr/req | p50 | p99 | server CPU | notes |\n";
  md += "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (size_t i : which) {
    const auto& r = run.rows[i];
    const bool base = is_baseline(run.rows, i);
    const bool has_chain = !r.chain.empty();
    if (!r.valid) {
      md += "| " + r.label + " | invalid | | invalid | | | | | | | | " + notes_cell(r) + " |\n";
      continue;
    }
    md += "| " + r.label + " | " + with_range(r.summary.rps, format_rps) + " | " +
          (has_chain ? decay_cell(r, false, base) : "") + " | " + with_range(r.summary.cpu_us, format_cpu_us) +
          " | " + (has_chain ? decay_cell(r, true, base) : "") + " | " +
          (r.summary.user_us && r.summary.sys_us
               ? format_cpu_us(r.summary.user_us->median) + " / " + format_cpu_us(r.summary.sys_us->median)
               : "-") +
          " | " + syscalls_cell(r) + " | " +
          (r.instructions_per_request ? format_thousands(*r.instructions_per_request) : "-") + " | " + (r.summary.p50_us ? format_time_us(r.summary.p50_us->median) : "-") + " | " +
          (r.summary.p99_us ? format_time_us(r.summary.p99_us->median) : "-") + " | " +
          (r.summary.busy ? busy_text(r.summary.busy->median) : "-") + " | " + notes_cell(r) + " |\n";
  }
}

const RowResult* find_row(const RunResult& run, const std::string& chain, const std::string& tier) {
  for (const auto& r : run.rows)
    if (r.chain == chain && r.tier == tier && r.available) return &r;
  return nullptr;
}

const RowResult* find_route_row(const RunResult& run, const std::string& stack, const std::string& route) {
  for (const auto& r : run.rows)
    if (r.stack == stack && r.tier == "typed" && r.route == route) return &r;
  return nullptr;
}

// req/s, p50, p99 of one row, or why there are none. A row that answered
// nothing within its runs of `duration_s` says so: 0 req/s, and latencies
// longer than the run.
std::string seed004_cells(const RowResult* r, int duration_s) {
  if (!r) return " - | - | - |";
  if (!r->available) return " skipped | | |";
  if (!r->valid) return " invalid | | |";
  if (r->summary.unanswered && !r->summary.p50_us) {
    const std::string over = "> " + std::to_string(duration_s) + "s";
    return " 0 (no answer in " + std::to_string(duration_s) + " s) | " + over + " | " + over + " |";
  }
  return " " + (r->summary.rps ? format_rps(r->summary.rps->median) : std::string("-")) + " | " +
         (r->summary.p50_us ? format_time_us(r->summary.p50_us->median) : std::string("-")) + " | " +
         (r->summary.p99_us ? format_time_us(r->summary.p99_us->median) : std::string("-")) + " |";
}

}  // namespace

std::string render_seed002(const RunResult& run) {
  const auto& s = run.settings;
  char buf[160];
  std::string md = "### Seed 002's table: " + std::to_string(s.connections) + " connections, " +
                   std::to_string(s.wrk_threads) + (s.wrk_threads == 1 ? " wrk thread" : " wrk threads") + ", " +
                   std::to_string(s.workers) + (s.workers == 1 ? " worker" : " workers") +
                   " per server where it has them (medians over the trials)\n\n";
  md += "| row | Avg Latency | Max Latency | Requests/Sec | Data Transferred (MB) | Transfer Rate (KB/s) |\n";
  md += "|---|---|---|---|---|---|\n";
  for (const auto& r : run.rows) {
    if (!r.available) {
      md += "| " + r.label + " | skipped | | | | " + r.skip_reason + " |\n";
      continue;
    }
    if (!r.valid) {
      md += "| " + r.label + " | invalid | | | | |\n";
      continue;
    }
    auto median = [](const std::optional<Spread>& v) { return v ? v->median : 0.0; };
    std::snprintf(buf, sizeof buf, " | %s | %s | %.2f | %.2f | %.2f |\n", format_time_us(median(r.summary.avg_us)).c_str(),
                  format_time_us(median(r.summary.max_us)).c_str(), median(r.summary.rps),
                  median(r.summary.bytes_read) / (1024 * 1024), median(r.summary.transfer_per_s) / 1024);
    md += "| " + r.label + buf;
  }
  md += "\nPublished (seed 002, another machine: uvicorn --workers 4, wrk -t4 -d30s, GET /; MicroPie is not "
        "packaged in Debian, so only its published figures appear here):\n\n";
  md += "| framework | connections | Avg Latency | Max Latency | Requests/Sec | Data Transferred (MB) | Transfer Rate (KB/s) |\n";
  md += "|---|---|---|---|---|---|---|\n";
  for (const auto& p : published_seed002()) {
    std::snprintf(buf, sizeof buf, "| %s | %d | %.2fms | %.2fms | %.2f | %.2f | %.2f |\n", p.framework, p.connections,
                  p.avg_ms, p.max_ms, p.rps, p.mb_read, p.kb_per_s);
    md += buf;
  }
  md += "\n";
  return md;
}

std::string render_seed004(const RunResult& run, const std::vector<Route>& routes) {
  const auto& s = run.settings;
  const bool python = std::any_of(run.rows.begin(), run.rows.end(), [](const RowResult& r) {
    return r.stack == "python" && r.tier == "typed";
  });
  // The seed measured at ?delay=1 and ?n=5000000 only.
  const Load seed;
  const bool published = s.delay_s && s.work && *s.delay_s == seed.delay_s && *s.work == seed.work;

  std::string md = "### Seed 004's table: where each handler waits\n\n";
  md += std::to_string(s.connections) + " connections";
  if (s.delay_s) md += "; sleeping handlers sleep " + format_delay(*s.delay_s) + " s";
  if (s.work) md += "; counting handlers count to " + format_thousands(static_cast<double>(*s.work));
  md += ". On the loop, a handler that blocks (a sleep, a CPU loop) holds every connection until it returns; a "
        "timer awaited on the loop holds none. On the pool, a worker thread blocks instead and the loop keeps "
        "serving, as many at a time as the pool has threads. Medians over the trials.\n\n";
  md += "| route | what it does | wait runs on | strata req/s | p50 | p99 |";
  if (python) md += " FastAPI req/s | p50 | p99 |";
  if (published) md += " seed 004 FastAPI req/s |";
  md += "\n|---|---|---|---|---|---|";
  if (python) md += "---|---|---|";
  if (published) md += "---|";
  md += "\n";
  for (const auto& route : routes) {
    if (!route.framework.empty()) continue;  // below, with their own stack
    md += "| " + route.target + " | " + route.what + " | " + route.waits_on + " |" +
          seed004_cells(find_route_row(run, "strata", route.label), s.duration_s);
    if (python) md += seed004_cells(find_route_row(run, "python", route.label), s.duration_s);
    if (published) {
      std::string cell = " - |";
      for (const auto& p : published_seed004())
        if (route.label == p.route) cell = " " + format_rps(p.rps) + " |";
      md += cell;
    }
    md += "\n";
  }
  md += "\n";
  // Flask's and Go's routes, each served by its own stack alone.
  std::string others;
  for (const auto& route : routes) {
    if (route.framework.empty()) continue;
    const RowResult* row = nullptr;
    for (const auto& r : run.rows)
      if (r.route == route.label) row = &r;
    if (!row) continue;
    others += "| " + route.target + " | " + (route.framework == "flask" ? "Flask, gunicorn sync" : "Go net/http") +
              " | " + route.what + " | " + route.waits_on + " |" + seed004_cells(row, s.duration_s);
    if (published) {
      std::string cell = " - |";
      for (const auto& p : published_seed004())
        if (route.label == p.route) cell = " " + format_rps(p.rps) + " |";
      others += cell;
    }
    others += "\n";
  }
  if (!others.empty()) {
    md += "The seed's other stacks (Flask with --reference python, Go with --peers go):\n\n";
    md += std::string("| route | stack | what it does | wait runs on | req/s | p50 | p99 |") +
          (published ? " seed 004 req/s |\n|---|---|---|---|---|---|---|---|\n" : "\n|---|---|---|---|---|---|---|\n");
    md += others + "\n";
  }
  if (python)
    md += "FastAPI's async_cpu_bound counts in a ProcessPoolExecutor, as in the seed: its pool is processes, "
          "not threads, and their CPU time is not in the server's figures.\n\n";
  if (published)
    md += "Seed 004's figures come from another machine (wrk -t4 -c100 -d15s --timeout 100): compare the shape, not "
          "the absolute numbers.\n\n";
  return md;
}

std::string render_seed001(const RunResult& run) {
  const auto& s = run.settings;
  std::string md = "### Seed 001's table: the framework and the database\n\n";
  md += std::to_string(s.contacts) + " contacts loaded by `strata db load` into a private PostgreSQL cluster (and a "
        "SQLite file); " + (s.workers > 1 ? "each server runs " + std::to_string(s.workers) + " workers; " : "") +
        "every stack answers `" + (run.rows.empty() ? std::string() : run.rows.front().target) +
        "` with the same JSON (checked before and after timing). Server CPU is the stack's processes; database "
        "CPU is the whole PostgreSQL cluster's (postmaster and backends) over the same run; the framework's share "
        "is server / (server + database). SQLite runs inside the server, so its rows have no database CPU of their "
        "own. Medians over the trials.\n\n";
  md += "| stack | database | req/s | p50 | p99 | server CPU us/req | database CPU us/req | framework share | "
        "notes |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : run.rows) {
    md += "| " + r.label + " | " + (r.database.empty() ? std::string("-") : r.database) + " |";
    if (!r.available) {
      md += " not measured | | | | | | " + r.skip_reason + " |\n";
      continue;
    }
    if (!r.valid) {
      md += " invalid | | | | | | " + notes_cell(r) + " |\n";
      continue;
    }
    const auto& m = r.summary;
    md += " " + with_range(m.rps, format_rps) + " | " + (m.p50_us ? format_time_us(m.p50_us->median) : "-") + " | " +
          (m.p99_us ? format_time_us(m.p99_us->median) : "-") + " | " + with_range(m.cpu_us, format_cpu_us) + " | " +
          (m.db_cpu_us ? with_range(m.db_cpu_us, format_cpu_us) : std::string("-")) + " | ";
    if (m.cpu_us && m.db_cpu_us && m.cpu_us->median + m.db_cpu_us->median > 0)
      md += printf_str("%.0f%%", 100 * m.cpu_us->median / (m.cpu_us->median + m.db_cpu_us->median));
    else
      md += "-";
    md += " | " + notes_cell(r) + " |\n";
  }
  md += "\n";
  return md;
}

std::string render_markdown(const RunResult& run) {
  const auto& s = run.settings;
  std::string md;
  md += "## strata bench: " + s.scenario + "\n\n";
  md += s.scenario_description + "\n\n";
  if (s.delay_s || s.work)
    md += "Sleeping handlers get ?delay=" + (s.delay_s ? format_delay(*s.delay_s) : std::string("-")) +
          " (seconds), counting handlers ?n=" + (s.work ? std::to_string(*s.work) : std::string("-")) + ".\n\n";
  md += "wrk " + (run.versions.count("wrk") ? run.versions.at("wrk") : std::string("?")) + ": " +
        std::to_string(s.connections) + " connections, " + std::to_string(s.wrk_threads) +
        (s.wrk_threads == 1 ? " thread" : " threads") +
        (s.pipeline_depth > 1 ? ", pipelined " + std::to_string(s.pipeline_depth) + " deep" : std::string()) + "; " +
        (s.warmup_s > 0 ? std::to_string(s.warmup_s) + " s warm-up (discarded) + " : std::string("no warm-up, ")) +
        std::to_string(s.duration_s) + " s measured, " +
        std::to_string(s.trials) + (s.trials == 1 ? " trial" : " trials, rows round-robin; medians (min-max)") +
        ". Server pinned to CPU " + format_cpu_list(s.server_cpus) + ", wrk to CPU " +
        format_cpu_list(s.client_cpus) + ". " + run.machine.cpu_model + ", " +
        std::to_string(run.machine.cores_online) + " cores. " +
        (run.versions.count("strata") ? run.versions.at("strata") : std::string("strata")) + ".\n\n";
  md += "CPU us/req is the server's utime+stime over the measured run divided by the requests served, "
        "and user/sys us splits it into user mode (the server's own code) and kernel mode (its system calls "
        "and the TCP stack); decay % compares each row with the valid row above it (req/s: \u2193 is slower; CPU: \u2191 is "
        "costlier), per trial, then the median [min..max].\n\n";

  std::vector<size_t> strata_rows, uring_rows, python_rows, other_rows;
  for (size_t i = 0; i < run.rows.size(); ++i) {
    if (!run.rows[i].available) continue;
    if (run.rows[i].chain == "strata") strata_rows.push_back(i);
    else if (run.rows[i].chain == "strata-uring") uring_rows.push_back(i);
    else if (run.rows[i].chain == "python") python_rows.push_back(i);
    else other_rows.push_back(i);
  }
  if (!strata_rows.empty()) {
    md += "### strata\n\n";
    table(md, run, strata_rows);
    md += "\n";
  }
  if (!uring_rows.empty()) {
    md += "### strata over io_uring (`serve --io uring`; decay against the io_uring floor)\n\n";
    table(md, run, uring_rows);
    md += "\n";
  }
  if (!python_rows.empty()) {
    md += "### Python reference (Debian packages, " + s.python_binary + ")\n\n";
    table(md, run, python_rows);
    md += "\n";
  }
  if (!other_rows.empty()) {
    md += s.scenario == "concurrency" ? "### Routes\n\n" : "### Variants and peers (beside the chains, no decay)\n\n";
    table(md, run, other_rows);
    md += "\n";
  }

  // Both chains side by side, with the seed's published figures beside them.
  const bool show_published = s.scenario == "user";
  if (!python_rows.empty() && !strata_rows.empty()) {
    md += "### Decay side by side (measured in this run";
    md += show_published ? "; published: seed 003, another machine)\n\n" : ")\n\n";
    md += "| tier | strata | req/s | decay % | CPU us/req | CPU decay % | Python | req/s | decay % | CPU us/req | CPU "
          "decay % |";
    md += show_published ? " published req/s | published decay % |\n" : "\n";
    md += "|---|---|---|---|---|---|---|---|---|---|---|";
    md += show_published ? "---|---|\n" : "\n";
    for (const char* tier : {"floor", "raw", "http", "app", "typed"}) {
      const RowResult* a = find_row(run, "strata", tier);
      const RowResult* b = find_row(run, "python", tier);
      if (!a && !b) continue;
      auto cells = [&](const RowResult* r) -> std::string {
        if (!r) return " | | | | |";
        size_t index = static_cast<size_t>(r - run.rows.data());
        const bool base = is_baseline(run.rows, index);
        if (!r->valid) return " " + r->label + " | invalid | | invalid | |";
        return " " + r->label + " | " + (r->summary.rps ? format_thousands(r->summary.rps->median) : "-") + " | " +
               decay_cell(*r, false, base) + " | " +
               (r->summary.cpu_us ? format_cpu_us(r->summary.cpu_us->median) : "-") + " | " +
               decay_cell(*r, true, base) + " |";
      };
      md += std::string("| ") + tier + " |" + cells(a) + cells(b);
      if (show_published) {
        const PublishedRow* p = nullptr;
        for (const auto& pr : published_seed003())
          if (std::string(pr.tier) == tier) p = &pr;
        if (p) md += " " + format_thousands(p->rps) + " | " + format_decay(p->decay, !p->decay) + " |";
        else md += " | |";
      }
      md += "\n";
    }
    md += "\n";
  }
  bool counted = false;
  for (const auto& r : run.rows) counted |= r.syscalls_per_request().has_value();
  if (counted) {
    md += "### System calls per request (perf stat, a " + std::to_string(s.syscall_seconds) +
          " s run of its own per row after the trials)\n\n";
    md += "| row | syscalls/req | of which |\n|---|---|---|\n";
    for (const auto& r : run.rows) {
      if (!r.available) continue;
      md += "| " + r.label + " | " + syscalls_cell(r) + " | " +
            (r.syscalls ? describe_per_request(*r.syscalls, r.syscall_requests) : r.syscalls_note) + " |\n";
    }
    md += "\n";
  }
  if (show_published) {
    md += "### Published figures (seed 003, another machine: wrk -t2 -c10 -d10s, msgspec codec; not comparable in "
          "absolute terms)\n\n";
    md += "| framework | RPS | decay % |\n|---|---|---|\n";
    for (const auto& p : published_seed003()) {
      const std::string tier = p.tier;
      md += std::string("| ") + p.name + " | " + format_thousands(p.rps) + " | " +
            (tier == "peer"  ? std::string("(peer)")
             : tier == "why" ? std::string("(the seed's \"why?\" row)")
                             : format_decay(p.decay, !p.decay)) +
            " |\n";
    }
    md += "\n";
  }
  if (!run.notes.empty()) {
    md += "Notes:\n";
    for (const auto& n : run.notes) md += "- " + n + "\n";
    md += "\n";
  }
  return md;
}

// ------------------------------------------------------------------ JSON

namespace {

class JsonWriter {
 public:
  std::string out;

  void key(std::string_view k) {
    comma();
    json::append_string(out, k);
    out += ": ";
    after_key_ = true;
  }
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void str(std::string_view v) {
    comma();
    json::append_string(out, v);
  }
  void num(double v) {
    comma();
    if (!std::isfinite(v)) {
      out += "null";
      return;
    }
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<size_t>(r.ptr - buf));
  }
  void integer(int64_t v) {
    comma();
    json::append_int(out, v);
  }
  void boolean(bool v) {
    comma();
    out += v ? "true" : "false";
  }
  void null() {
    comma();
    out += "null";
  }
  void opt(const std::optional<double>& v) { v ? num(*v) : null(); }
  void spread(const std::optional<Spread>& s) {
    if (!s) return null();
    begin_object();
    key("median"), num(s->median);
    key("min"), num(s->min);
    key("max"), num(s->max);
    key("count"), integer(static_cast<int64_t>(s->count));
    end_object();
  }
  void cpus(const std::vector<int>& v) {
    begin_array();
    for (int c : v) integer(c);
    end_array();
  }
  void strings(const std::vector<std::string>& v) {
    begin_array();
    for (const auto& x : v) str(x);
    end_array();
  }

 private:
  std::vector<bool> has_items_;  // per open container: a value was written
  bool after_key_ = false;       // the next value follows "key": on the same line

  void newline() {
    out += "\n";
    out.append(has_items_.size() * 2, ' ');
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (has_items_.empty()) return;
    if (has_items_.back()) out += ",";
    has_items_.back() = true;
    newline();
  }
  void open(char c) {
    comma();
    out += c;
    has_items_.push_back(false);
  }
  void close(char c) {
    const bool had = has_items_.back();
    has_items_.pop_back();
    if (had) newline();
    out += c;
  }
};

}  // namespace

std::string render_json(const RunResult& run) {
  const auto& s = run.settings;
  JsonWriter w;
  w.begin_object();
  w.key("tool"), w.str("strata bench");
  w.key("started_at"), w.str(run.started_at);
  w.key("interrupted"), w.boolean(run.interrupted);
  w.key("settings");
  w.begin_object();
  w.key("scenario"), w.str(s.scenario);
  w.key("scenario_description"), w.str(s.scenario_description);
  w.key("connections"), w.integer(s.connections);
  w.key("wrk_threads"), w.integer(s.wrk_threads);
  w.key("pipeline_depth"), w.integer(s.pipeline_depth);
  w.key("wrk_timeout_s"), w.integer(s.wrk_timeout_s);
  w.key("delay_s"), s.delay_s ? w.num(*s.delay_s) : w.null();
  w.key("work"), s.work ? w.integer(*s.work) : w.null();
  w.key("contacts"), s.contacts ? w.integer(s.contacts) : w.null();
  w.key("workers"), w.integer(s.workers);
  w.key("page_size"), s.page_size ? w.integer(s.page_size) : w.null();
  w.key("warmup_s"), w.integer(s.warmup_s);
  w.key("duration_s"), w.integer(s.duration_s);
  w.key("trials"), w.integer(s.trials);
  w.key("server_cpus"), w.cpus(s.server_cpus);
  w.key("client_cpus"), w.cpus(s.client_cpus);
  w.key("tiers"), w.strings(s.tiers);
  w.key("reference"), s.reference.empty() ? w.null() : w.str(s.reference);
  w.key("peers"), w.strings(s.peers);
  w.key("strata_binary"), w.str(s.strata_binary);
  w.key("floor_binary"), w.str(s.floor_binary);
  if (!s.floor_uring_binary.empty()) w.key("floor_uring_binary"), w.str(s.floor_uring_binary);
  w.key("wrk_binary"), w.str(s.wrk_binary);
  w.key("perf_binary"), s.perf_binary.empty() ? w.null() : w.str(s.perf_binary);
  w.key("syscall_seconds"), w.integer(s.syscall_seconds);
  w.key("python_binary"), w.str(s.python_binary);
  w.end_object();
  w.key("machine");
  w.begin_object();
  w.key("cpu_model"), w.str(run.machine.cpu_model);
  w.key("cores"), w.integer(run.machine.cores_online);
  w.key("kernel"), w.str(run.machine.kernel);
  w.key("clock_ticks_per_second"), w.integer(run.machine.clock_ticks);
  w.end_object();
  w.key("versions");
  w.begin_object();
  for (const auto& [k, v] : run.versions) w.key(k), w.str(v);
  w.end_object();
  w.key("rows");
  w.begin_array();
  for (const auto& r : run.rows) {
    w.begin_object();
    w.key("id"), w.str(r.id);
    w.key("label"), w.str(r.label);
    w.key("chain"), r.chain.empty() ? w.null() : w.str(r.chain);
    w.key("stack"), w.str(r.stack);
    w.key("tier"), w.str(r.tier);
    w.key("database"), r.database.empty() ? w.null() : w.str(r.database);
    w.key("route"), w.str(r.route);
    w.key("target"), w.str(r.target);
    w.key("available"), w.boolean(r.available);
    w.key("skip_reason"), r.available ? w.null() : w.str(r.skip_reason);
    w.key("valid"), w.boolean(r.valid);
    w.key("invalid_reason"), r.valid || !r.available ? w.null() : w.str(r.invalid_reason);
    w.key("client_bound"), w.boolean(r.client_bound);
    w.key("summary");
    w.begin_object();
    w.key("rps"), w.spread(r.summary.rps);
    w.key("cpu_us_per_request"), w.spread(r.summary.cpu_us);
    w.key("user_us_per_request"), w.spread(r.summary.user_us);
    w.key("sys_us_per_request"), w.spread(r.summary.sys_us);
    w.key("latency_p50_us"), w.spread(r.summary.p50_us);
    w.key("latency_p90_us"), w.spread(r.summary.p90_us);
    w.key("latency_p99_us"), w.spread(r.summary.p99_us);
    w.key("latency_avg_us"), w.spread(r.summary.avg_us);
    w.key("latency_max_us"), w.spread(r.summary.max_us);
    w.key("bytes_read"), w.spread(r.summary.bytes_read);
    w.key("transfer_per_s"), w.spread(r.summary.transfer_per_s);
    w.key("server_busy"), w.spread(r.summary.busy);
    w.key("decay_rps_percent"), w.spread(r.summary.decay_rps);
    w.key("decay_cpu_percent"), w.spread(r.summary.decay_cpu);
    w.key("db_cpu_us_per_request"), w.spread(r.summary.db_cpu_us);
    w.key("socket_errors"), w.integer(static_cast<int64_t>(r.summary.socket_errors));
    w.key("non2xx"), w.integer(static_cast<int64_t>(r.summary.non2xx));
    w.end_object();
    // The counting pass: raw counts over `requests`, so any ratio can be redone.
    w.key("syscalls");
    if (r.syscalls) {
      w.begin_object();
      w.key("requests"), w.integer(static_cast<int64_t>(r.syscall_requests));
      w.key("total"), w.integer(static_cast<int64_t>(r.syscalls->total));
      w.key("per_request"), w.num(*r.syscalls_per_request());
      w.key("by_name");
      w.begin_object();
      for (const auto& [name, count] : r.syscalls->by_name) w.key(name), w.integer(static_cast<int64_t>(count));
      w.end_object();
      w.end_object();
    } else {
      w.null();
    }
    w.key("syscalls_note"), r.syscalls_note.empty() ? w.null() : w.str(r.syscalls_note);
    w.key("instructions_per_request"), r.instructions_per_request ? w.num(*r.instructions_per_request) : w.null();
    w.key("trials");
    w.begin_array();
    for (const auto& t : r.trials) {
      w.begin_object();
      w.key("trial"), w.integer(t.trial);
      w.key("measured"), w.boolean(t.measured);
      w.key("valid"), w.boolean(t.valid);
      w.key("invalid_reason"), t.valid ? w.null() : w.str(t.invalid_reason);
      w.key("unanswered"), w.boolean(t.unanswered);
      w.key("requests"), w.integer(static_cast<int64_t>(t.wrk.requests));
      w.key("wrk_duration_s"), w.num(t.wrk.duration_s);
      w.key("rps"), w.num(t.wrk.rps);
      w.key("latency_avg_us"), w.num(t.wrk.latency_avg_us);
      w.key("latency_p50_us"), w.num(t.wrk.p50_us);
      w.key("latency_p75_us"), w.num(t.wrk.p75_us);
      w.key("latency_p90_us"), w.num(t.wrk.p90_us);
      w.key("latency_p99_us"), w.num(t.wrk.p99_us);
      w.key("latency_max_us"), w.num(t.wrk.latency_max_us);
      w.key("bytes_read"), w.num(t.wrk.bytes_read);
      w.key("transfer_per_s"), w.num(t.wrk.transfer_per_s);
      w.key("socket_errors");
      w.begin_object();
      w.key("connect"), w.integer(static_cast<int64_t>(t.wrk.errors_connect));
      w.key("read"), w.integer(static_cast<int64_t>(t.wrk.errors_read));
      w.key("write"), w.integer(static_cast<int64_t>(t.wrk.errors_write));
      w.key("timeout"), w.integer(static_cast<int64_t>(t.wrk.errors_timeout));
      w.end_object();
      w.key("non2xx"), w.integer(static_cast<int64_t>(t.wrk.non2xx));
      w.key("cpu_ticks_before"), w.integer(static_cast<int64_t>(t.ticks_before));
      w.key("cpu_ticks_after"), w.integer(static_cast<int64_t>(t.ticks_after));
      w.key("cpu_s"), w.num(t.cpu_s);
      w.key("wall_s"), w.num(t.wall_s);
      w.key("cpu_us_per_request"), w.num(t.cpu_us_per_request);
      w.key("user_us_per_request"), w.num(t.user_us_per_request);
      w.key("sys_us_per_request"), w.num(t.sys_us_per_request);
      w.key("server_busy"), w.num(t.busy);
      w.key("db_cpu_us_per_request"), w.opt(t.db_cpu_us_per_request);
      w.key("decay_rps_percent"), w.opt(t.decay_rps);
      w.key("decay_cpu_percent"), w.opt(t.decay_cpu);
      w.key("stop_note"), t.stop_note.empty() ? w.null() : w.str(t.stop_note);
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  // --ablations: the table's pairs, so a reader need not pair rows by id.
  if (const std::vector<AblationPair> pairs = ablation_pairs(run); !pairs.empty()) {
    w.key("ablations");
    w.begin_array();
    for (const AblationPair& p : pairs) {
      auto median = [&](const RowResult* r, const std::optional<Spread> RowSummary::*field) {
        r && r->summary.*field ? w.num((r->summary.*field)->median) : w.null();
      };
      w.begin_object();
      w.key("ablation"), w.str(p.ablation);
      w.key("tier"), w.str(p.tier);
      w.key("routes"), w.integer(p.routes);
      w.key("baseline_id"), p.base ? w.str(p.base->id) : w.null();
      w.key("ablated_id"), p.ablated ? w.str(p.ablated->id) : w.null();
      w.key("rps_baseline"), median(p.base, &RowSummary::rps);
      w.key("rps_ablated"), median(p.ablated, &RowSummary::rps);
      w.key("cpu_us_per_request_baseline"), median(p.base, &RowSummary::cpu_us);
      w.key("cpu_us_per_request_ablated"), median(p.ablated, &RowSummary::cpu_us);
      w.key("delta_cpu_us_per_request"), w.opt(p.delta_us);
      w.key("delta_percent"), w.opt(p.delta_percent);
      w.key("syscalls_per_request_baseline"), w.opt(p.base ? p.base->syscalls_per_request() : std::nullopt);
      w.key("syscalls_per_request_ablated"), w.opt(p.ablated ? p.ablated->syscalls_per_request() : std::nullopt);
      w.key("instructions_per_request_baseline"), w.opt(p.base ? p.base->instructions_per_request : std::nullopt);
      w.key("instructions_per_request_ablated"), w.opt(p.ablated ? p.ablated->instructions_per_request : std::nullopt);
      w.end_object();
    }
    w.end_array();
  }
  w.key("published_seed003");
  w.begin_object();
  w.key("note"), w.str("published figures from another machine (wrk -t2 -c10 -d10s, msgspec codec)");
  w.key("rows");
  w.begin_array();
  for (const auto& p : published_seed003()) {
    w.begin_object();
    w.key("tier"), w.str(p.tier);
    w.key("name"), w.str(p.name);
    w.key("rps"), w.num(p.rps);
    w.key("decay_percent"), w.opt(p.decay);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  w.key("notes"), w.strings(run.notes);
  w.end_object();
  w.out += "\n";
  return w.out;
}

// ------------------------------------------------------------------ SVG

namespace {

using text::xml_escape;

const char* stack_colour(const std::string& stack) {
  if (stack == "floor") return "#7f8c8d";
  if (stack == "strata") return "#2b6cb0";
  if (stack == "python") return "#d69e2e";
  if (stack == "node") return "#38a169";
  if (stack == "go") return "#00a3c4";
  if (stack == "nginx") return "#009639";
  if (stack == "h2o") return "#c05621";
  if (stack == "beast") return "#4a5568";
  return "#805ad5";
}

std::string num_attr(double v) { return printf_str("%.1f", v); }

}  // namespace

std::string render_svg(const RunResult& run) {
  std::vector<const RowResult*> rows;
  for (const auto& r : run.rows)
    if (r.available && !r.trials.empty()) rows.push_back(&r);
  double max_rps = 1, max_cpu = 0.001;
  for (const auto* r : rows) {
    if (!r->valid) continue;
    max_rps = std::max(max_rps, r->summary.rps ? r->summary.rps->max : 0);
    max_cpu = std::max(max_cpu, r->summary.cpu_us ? r->summary.cpu_us->max : 0);
  }
  const double label_w = 300, panel_w = 300, gap = 40, top = 92, row_h = 28, bar_h = 18;
  const double left1 = label_w, left2 = label_w + panel_w + gap + 60;
  const double width = left2 + panel_w + 70;
  const double height = top + row_h * static_cast<double>(rows.size()) + 70;
  const auto& s = run.settings;

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num_attr(width) + "\" height=\"" + num_attr(height) +
         "\" viewBox=\"0 0 " + num_attr(width) + " " + num_attr(height) +
         "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  svg += "<text x=\"16\" y=\"26\" font-size=\"17\" font-weight=\"bold\">strata bench: " + xml_escape(s.scenario) +
         " \u2014 requests per second and server CPU per request</text>\n";
  svg += "<text x=\"16\" y=\"46\" fill=\"#555\">" +
         xml_escape(std::to_string(s.connections) + " connections, " + std::to_string(s.duration_s) + " s x " +
                    std::to_string(s.trials) + (s.trials == 1 ? " trial" : " trials") + ", server CPU " + format_cpu_list(s.server_cpus) +
                    ", wrk CPU " + format_cpu_list(s.client_cpus) + "; bars: median, whiskers: min-max; " +
                    run.machine.cpu_model) +
         "</text>\n";
  svg += "<text x=\"" + num_attr(left1) + "\" y=\"" + num_attr(top - 14) +
         "\" font-weight=\"bold\">req/s (longer is faster)</text>\n";
  svg += "<text x=\"" + num_attr(left2) + "\" y=\"" + num_attr(top - 14) +
         "\" font-weight=\"bold\">server CPU us per request (longer is costlier)</text>\n";
  svg += "<text x=\"" + num_attr(left2) + "\" y=\"" + num_attr(top - 1) +
         "\" fill=\"#555\" font-size=\"11\">shaded: user mode (the server's code); the rest: kernel</text>\n";

  double y = top;
  for (const auto* r : rows) {
    const double mid = y + row_h / 2;
    const double bar_y = mid - bar_h / 2;
    svg += "<text x=\"" + num_attr(label_w - 10) + "\" y=\"" + num_attr(mid + 4) + "\" text-anchor=\"end\">" +
           xml_escape(r->label) + "</text>\n";
    if (!r->valid) {
      svg += "<text class=\"invalid\" x=\"" + num_attr(left1 + 4) + "\" y=\"" + num_attr(mid + 4) +
             "\" fill=\"#c53030\" font-weight=\"bold\">invalid: no figures (" +
             xml_escape(r->invalid_reason.substr(0, 80)) + ")</text>\n";
      y += row_h;
      continue;
    }
    const char* colour = stack_colour(r->stack);
    auto bar = [&](const char* cls, double left, double max, const std::optional<Spread>& sp, const std::string& text) {
      // A client-bound row's req/s is the load generator's pace: faded. Its
      // CPU per request is still the server's own cost: drawn in full.
      const std::string opacity = r->client_bound && std::string(cls) == "rps" ? "0.45" : "1";
      const double v = sp ? sp->median : 0;
      const double w = std::max(1.0, panel_w * v / max);
      svg += "<rect class=\"bar " + std::string(cls) + "\" x=\"" + num_attr(left) + "\" y=\"" + num_attr(bar_y) +
             "\" width=\"" + num_attr(w) + "\" height=\"" + num_attr(bar_h) + "\" fill=\"" + colour +
             "\" fill-opacity=\"" + opacity + "\"><title>" + xml_escape(r->label + ": " + text) + "</title></rect>\n";
      double text_x = left + w + 6;
      if (sp && sp->count > 1) {
        const double x1 = left + panel_w * sp->min / max, x2 = left + panel_w * sp->max / max;
        text_x = std::max(text_x, x2 + 6);
        svg += "<line x1=\"" + num_attr(x1) + "\" x2=\"" + num_attr(x2) + "\" y1=\"" + num_attr(mid) + "\" y2=\"" +
               num_attr(mid) + "\" stroke=\"#222\" stroke-width=\"1.5\"/>\n";
      }
      svg += "<text x=\"" + num_attr(text_x) + "\" y=\"" + num_attr(mid + 4) + "\">" + xml_escape(text) +
             "</text>\n";
    };
    bar("rps", left1, max_rps, r->summary.rps,
        (r->summary.rps ? format_rps(r->summary.rps->median) : "-") + (r->client_bound ? " *" : ""));
    bar("cpu", left2, max_cpu, r->summary.cpu_us,
        (r->summary.cpu_us ? format_cpu_us(r->summary.cpu_us->median) : "-") + " us");
    // The user-mode share of the CPU bar, shaded: the rest is the kernel's.
    if (r->summary.user_us && r->summary.sys_us && r->summary.cpu_us) {
      const double user = r->summary.user_us->median, sys = r->summary.sys_us->median;
      const double share = user + sys > 0 ? user / (user + sys) : 0;
      const double w = std::max(1.0, panel_w * r->summary.cpu_us->median / max_cpu) * share;
      svg += "<rect class=\"cpu-user\" x=\"" + num_attr(left2) + "\" y=\"" + num_attr(bar_y) + "\" width=\"" +
             num_attr(w) + "\" height=\"" + num_attr(bar_h) + "\" fill=\"#1a202c\" fill-opacity=\"0.35\"><title>" +
             xml_escape(r->label + ": user " + format_cpu_us(user) + " us, kernel " + format_cpu_us(sys) + " us") +
             "</title></rect>\n";
    }
    y += row_h;
  }
  // Axes and legend.
  svg += "<line x1=\"" + num_attr(left1) + "\" x2=\"" + num_attr(left1) + "\" y1=\"" + num_attr(top - 4) +
         "\" y2=\"" + num_attr(y) + "\" stroke=\"#999\"/>\n";
  svg += "<line x1=\"" + num_attr(left2) + "\" x2=\"" + num_attr(left2) + "\" y1=\"" + num_attr(top - 4) +
         "\" y2=\"" + num_attr(y) + "\" stroke=\"#999\"/>\n";
  double lx = 16;
  const double ly = y + 30;
  for (const char* stack : {"floor", "strata", "python", "node", "go", "rust", "nginx", "h2o", "beast"}) {
    bool used = std::any_of(rows.begin(), rows.end(), [&](const RowResult* r) { return r->stack == stack; });
    if (!used) continue;
    svg += "<rect x=\"" + num_attr(lx) + "\" y=\"" + num_attr(ly - 11) + "\" width=\"12\" height=\"12\" fill=\"" +
           stack_colour(stack) + "\"/>\n";
    svg += "<text x=\"" + num_attr(lx + 17) + "\" y=\"" + num_attr(ly) + "\">" + stack + "</text>\n";
    lx += 90;
  }
  svg += "<text x=\"" + num_attr(lx + 10) + "\" y=\"" + num_attr(ly) +
         "\" fill=\"#555\">faded bar, *: server below 90% CPU (client-bound): read CPU per request</text>\n";
  svg += "</svg>\n";
  return svg;
}

}  // namespace strata::bench
