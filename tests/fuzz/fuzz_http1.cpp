// libFuzzer target for tier 2: http::Protocol over loop::MemoryStream, driven
// the way the libuv transport drives it (loop/server.hpp), with one of
// several apps, and checked for liveness and for the bytes it writes back.
//
// Input: 10 control bytes, then the bytes the client sends (layout in
// README.md). The control bytes pick the app, small limits, how the bytes are
// cut into reads, which other events (ticks, drains, a graceful stop, an
// early EOF) are mixed in, and how the payload is grown into the stream sent
// (repeated, one byte stretched into a long run) so that inputs far below
// libFuzzer's -max_len still fill the read buffer. A violated invariant
// prints what went wrong and aborts, so libFuzzer keeps the input.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loop/memory_stream.hpp"
#include "parser/http1_internal.hpp"

namespace {

using namespace strata;
using http::Header;
using http::ReceiveEvent;

constexpr size_t kControlBytes = 10;

enum class AppKind : uint8_t {
  echo,         // reads the whole body, then answers it back
  no_read,      // answers without reading the body
  stream,       // reads the whole body, answers in several body events
  interleave,   // starts the response first, echoes each body piece as it arrives
  declared,     // reads the body, answers with its own Content-Length, in two events
  no_response,  // returns without starting a response (the engine's 500)
  head_only,    // starts a response and returns without a body event
  status,       // 204, 304, 404 or 201, body read or not
};

struct Config {
  AppKind app = AppKind::echo;
  uint8_t variant = 0;  // per-app choices
  bool app_close = false;
  http::Options options;
  uint8_t split = 0;
  bool ticks = false, drains = false, stop = false, eof_first = false;
  bool limited = false, saturated = false;  // limit_concurrency 1; every place taken
  size_t repeat = 1;
  size_t stretch = 0;
  uint32_t seed = 0;
};

// Options and Context fields that older engines lack (the body timeout, the
// concurrency limit) are set only when present, so the target builds with
// either.
template <class O>
void set_body_timeout(O& o, uint64_t ms) {
  if constexpr (requires { o.body_timeout_ms; }) o.body_timeout_ms = ms;
}
template <class O>
void set_limit_concurrency(O& o, size_t n) {
  if constexpr (requires { o.limit_concurrency; }) o.limit_concurrency = n;
}
template <class C>
void set_in_flight(C& ctx, std::atomic<size_t>* counter) {
  if constexpr (requires { ctx.in_flight; }) ctx.in_flight = counter;
}

Config parse_config(const uint8_t* b) {
  static constexpr size_t head_bytes[] = {8192, 256, 512, 1024, 2048, 4096, 300, 16384};
  static constexpr size_t max_headers[] = {100, 1, 2, 4, 8, 16, 32, 100};
  static constexpr uint64_t head_timeouts[] = {10'000, 1, 1'000, 60'000};
  static constexpr size_t body_bytes[] = {1024 * 1024, 0, 1, 7, 64, 1000, 4096, 65536};
  static constexpr size_t high_water[] = {64 * 1024, 1, 64, 512};
  static constexpr uint64_t idle_timeouts[] = {5'000, 0, 1, 100};
  Config c;
  c.app = static_cast<AppKind>(b[0] & 7);
  c.app_close = b[0] & 8;
  c.variant = b[0] >> 4;
  c.options.max_head_bytes = head_bytes[b[1] & 7];
  c.options.max_headers = max_headers[(b[1] >> 3) & 7];
  c.options.head_timeout_ms = head_timeouts[b[1] >> 6];
  c.options.max_body_bytes = body_bytes[b[2] & 7];
  c.options.high_water = high_water[(b[2] >> 3) & 3];
  c.options.idle_timeout_ms = idle_timeouts[(b[2] >> 5) & 3];
  set_body_timeout(c.options, (b[2] & 0x80) ? 1 : 10'000);
  c.split = b[3];
  c.ticks = b[4] & 1;
  c.drains = b[4] & 2;
  c.stop = b[4] & 4;
  c.eof_first = b[4] & 8;
  c.limited = b[4] & 0x10;
  c.saturated = b[4] & 0x20;
  if (c.limited || c.saturated) set_limit_concurrency(c.options, 1);
  c.seed = uint32_t{b[5]} | uint32_t{b[6]} << 8 | uint32_t{b[7]} << 16 | static_cast<uint32_t>(b[4] >> 6) << 24;
  c.repeat = 1 + (b[8] & 0x1f);
  c.stretch = size_t{b[9]} * 256;
  return c;
}

// splitmix64: cheap, and the same control bytes always give the same run.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  bool one_in(uint64_t n) { return next() % n == 0; }
};

struct Dispatched {
  bool head = false;
};

struct Run {
  Config cfg;
  std::vector<Dispatched> dispatched;
  bool waiting_for_body = false;  // an app is suspended in receive()
  std::string_view delivered;     // the bytes the engine was given so far
  const loop::MemoryStream* stream = nullptr;
};

Run* g_run = nullptr;  // libFuzzer runs one input at a time, on one thread

void print_escaped(std::string_view what, std::string_view bytes) {
  std::fprintf(stderr, "%.*s (%zu bytes):\n", static_cast<int>(what.size()), what.data(), bytes.size());
  const size_t n = std::min<size_t>(bytes.size(), 4096);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') std::fputs("\\n\n", stderr);
    else if (c == '\r') std::fputs("\\r", stderr);
    else if (c == '\\') std::fputs("\\\\", stderr);
    else if (c < 0x20 || c >= 0x7f) std::fprintf(stderr, "\\x%02x", c);
    else std::fputc(c, stderr);
  }
  std::fputs(n < bytes.size() ? "...\n" : "\n", stderr);
}

void print_config(const Config& c) {
  std::fprintf(stderr,
               "config: app=%d variant=%d app_close=%d max_head_bytes=%zu max_headers=%zu max_body_bytes=%zu "
               "high_water=%zu split=%d ticks=%d drains=%d stop=%d eof_first=%d limited=%d saturated=%d "
               "repeat=%zu stretch=%zu\n",
               static_cast<int>(c.app), c.variant, c.app_close, c.options.max_head_bytes, c.options.max_headers,
               c.options.max_body_bytes, c.options.high_water, c.split, c.ticks, c.drains, c.stop, c.eof_first,
               c.limited, c.saturated, c.repeat, c.stretch);
}

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "\nfuzz_http1: invariant violated: %s\n", what);
  if (g_run) {
    print_config(g_run->cfg);
    std::fprintf(stderr, "requests given to the app: %zu\n", g_run->dispatched.size());
    print_escaped("delivered", g_run->delivered);
    if (g_run->stream) print_escaped("written", g_run->stream->written);
  }
  std::abort();
}

// ------------------------------------------------------------ the apps

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What ASGI promises an app about its scope.
void check_scope(const http::Scope& scope, const Config& c) {
  if (scope.http_version != "1.0" && scope.http_version != "1.1") violation("scope: http_version not 1.0 or 1.1");
  if (scope.method.empty()) violation("scope: empty method");
  for (char ch : scope.method)
    if (!((ch >= 'A' && ch <= 'Z') || ch == '-')) violation("scope: method is not an upper-case token");
  if (scope.headers.size() > c.options.max_headers) violation("scope: more headers than max_headers");
  if (scope.raw_path.find_first_of("?#") != std::string_view::npos) violation("scope: raw_path holds '?' or '#'");
  if (scope.query_string.find('#') != std::string_view::npos) violation("scope: query_string holds a fragment");
  for (const Header& h : scope.headers) {
    if (h.name.empty()) violation("scope: empty header name");
    for (char ch : h.name)
      if ((ch >= 'A' && ch <= 'Z') || ch == ':' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == 0)
        violation("scope: header name not a lower-case token");
    for (char ch : h.value)
      if (ch == '\r' || ch == '\n' || ch == 0) violation("scope: CR, LF or NUL in a header value");
    if (!h.value.empty() && (h.value.front() == ' ' || h.value.front() == '\t' || h.value.back() == ' ' ||
                             h.value.back() == '\t'))
      violation("scope: header value not trimmed");
  }
}

// The body length a request announces: its single Content-Length, or -1
// when it is chunked, has none, or the count is ambiguous. A CONNECT has no
// content whatever it says (RFC 9110 9.3.6): what follows its head is
// tunnel data, which the engine does not deliver.
int64_t announced_length(const http::Scope& scope) {
  if (scope.method == "CONNECT") return -1;
  int64_t n = -1;
  int count = 0;
  for (const Header& h : scope.headers) {
    if (h.name == "transfer-encoding") return -1;
    if (h.name != "content-length") continue;
    if (++count > 1 || !is_digits(h.value)) return -1;
    if (std::from_chars(h.value.data(), h.value.data() + h.value.size(), n).ec != std::errc{}) return -1;
  }
  return n;
}

struct BodyRead {
  std::string body;
  int64_t announced = -1;
  bool complete = false;
};

void check_body_event(BodyRead& r, const ReceiveEvent& ev, const Config& c) {
  r.body.append(ev.bytes);
  if (r.body.size() > c.options.max_body_bytes) violation("app was given more body than max_body_bytes");
  if (!ev.more_body) {
    r.complete = true;
    if (r.announced >= 0 && r.body.size() != static_cast<uint64_t>(r.announced))
      violation("body length differs from the request's Content-Length");
  }
}

// One receive(), with the app marked as waiting while it is suspended.
Task<ReceiveEvent> receive_one(http::Receive& receive, Run& run) {
  run.waiting_for_body = true;
  ReceiveEvent ev = co_await receive();
  run.waiting_for_body = false;
  co_return ev;
}

// Reads until the last body event; false when the client went away.
Task<bool> read_body(http::Receive& receive, Run& run, BodyRead& r) {
  while (!r.complete) {
    const ReceiveEvent ev = co_await receive_one(receive, run);
    if (ev.type == ReceiveEvent::disconnect) co_return false;
    check_body_event(r, ev, run.cfg);
  }
  co_return true;
}

std::vector<Header> reply_headers(const Config& c) {
  std::vector<Header> h{{"content-type", "text/plain"}};
  if (c.app_close) h.push_back({"connection", "close"});
  return h;
}

Task<void> fuzz_app(const http::Scope& scope, http::Receive& receive, http::Send& send) {
  Run& run = *g_run;
  const Config& c = run.cfg;
  check_scope(scope, c);
  run.dispatched.push_back({scope.method == "HEAD"});
  BodyRead r;
  r.announced = announced_length(scope);
  std::vector<Header> headers = reply_headers(c);

  switch (c.app) {
    case AppKind::echo: {
      if (!co_await read_body(receive, run, r)) co_return;
      co_await send.start({200, headers});
      co_await send.body({"echo:" + r.body, false});
      co_return;
    }
    case AppKind::no_read: {
      co_await send.start({200, headers});
      co_await send.body({"body not read", false});
      co_return;
    }
    case AppKind::stream: {
      if (!co_await read_body(receive, run, r)) co_return;
      co_await send.start({200, headers});
      const std::string reply = "stream:" + r.body;
      const size_t third = reply.size() / 3;
      co_await send.body({std::string_view(reply).substr(0, third), true});
      co_await send.body({std::string_view(reply).substr(third, third), true});
      co_await send.body({std::string_view(reply).substr(2 * third), true});
      co_await send.body({"", false});
      co_return;
    }
    case AppKind::interleave: {
      co_await send.start({200, headers});
      while (!r.complete) {
        const ReceiveEvent ev = co_await receive_one(receive, run);
        if (ev.type == ReceiveEvent::disconnect) co_return;
        check_body_event(r, ev, c);
        // The piece is valid only until the next receive(), so it is sent now.
        co_await send.body({ev.bytes, ev.more_body});
      }
      co_return;
    }
    case AppKind::declared: {
      if (!co_await read_body(receive, run, r)) co_return;
      const std::string reply = "declared:" + r.body;
      const std::string length = std::to_string(reply.size());
      headers.push_back({"Content-Length", length});
      co_await send.start({200, headers});
      const size_t half = reply.size() / 2;
      co_await send.body({std::string_view(reply).substr(0, half), true});
      co_await send.body({std::string_view(reply).substr(half), false});
      co_return;
    }
    case AppKind::no_response: {
      if (c.variant & 1) co_await read_body(receive, run, r);
      co_return;
    }
    case AppKind::head_only: {
      if ((c.variant & 1) && !co_await read_body(receive, run, r)) co_return;
      co_await send.start({200, headers});
      co_return;
    }
    case AppKind::status: {
      static constexpr int statuses[] = {204, 304, 404, 201};
      const int status = statuses[c.variant & 3];
      if ((c.variant & 4) && !co_await read_body(receive, run, r)) co_return;
      co_await send.start({status, headers});
      co_await send.body({status == 204 || status == 304 ? "" : "status", false});
      co_return;
    }
  }
}

// ------------------------------------------------------------ the responses

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

size_t count_of(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// Skips a chunked body at `pos`; false if the output ends inside it.
bool skip_chunked(std::string_view w, size_t& pos) {
  for (;;) {
    const size_t eol = w.find("\r\n", pos);
    if (eol == std::string_view::npos) return false;
    const std::string_view size_text = w.substr(pos, eol - pos);
    uint64_t size = 0;
    const auto [ptr, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc{} || ptr != size_text.data() + size_text.size()) violation("response: bad chunk size line");
    pos = eol + 2;
    if (size == 0) {
      if (w.substr(pos, 2) != "\r\n") {
        if (pos + 2 > w.size() && std::string_view("\r\n").starts_with(w.substr(pos))) return false;
        violation("response: last chunk not followed by CRLF");
      }
      pos += 2;
      return true;
    }
    if (pos + size + 2 > w.size()) return false;
    if (w.substr(pos + size, 2) != "\r\n") violation("response: chunk data not followed by CRLF");
    pos += size + 2;
  }
}

// The written bytes must be a sequence of HTTP/1.1 responses: interim 100s,
// then one final response per request the app was given (the last of them
// may be missing: the client went away, or the request failed while its
// response was half sent), plus at most one the engine wrote by itself for
// a request it refused, after which the connection ends. Returns where the
// last final response starts (npos when there is none).
size_t check_output(const Run& run, std::string_view w) {
  const Config& c = run.cfg;
  size_t dispatched_heads = 0;
  for (const Dispatched& d : run.dispatched) dispatched_heads += d.head;
  // A refused request may have been a HEAD (its answer then has no body)
  // only if the input holds a "HEAD" no dispatched request accounts for.
  const bool refused_may_be_head = count_of(run.delivered, "HEAD") > dispatched_heads;

  size_t pos = 0, finals = 0, last_final = std::string_view::npos;
  while (pos < w.size()) {
    const size_t start = pos;
    const std::string_view rest = w.substr(pos);
    if (rest.size() < 13 || !rest.starts_with("HTTP/1.1 ") || !is_digits(rest.substr(9, 3)) || rest[12] != ' ')
      violation("response: does not start with \"HTTP/1.1 NNN \"");
    const int status = (rest[9] - '0') * 100 + (rest[10] - '0') * 10 + (rest[11] - '0');
    const size_t head_len = rest.find("\r\n\r\n");
    if (head_len == std::string_view::npos) violation("response: head not terminated");
    int lengths = 0;
    uint64_t length = 0;
    bool chunked = false, close = false;
    std::string_view fields = rest.substr(0, head_len + 2);
    fields.remove_prefix(fields.find("\r\n") + 2);
    while (!fields.empty()) {
      const size_t eol = fields.find("\r\n");
      const std::string_view line = fields.substr(0, eol);
      fields.remove_prefix(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) violation("response: header line without a name");
      const std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
      if (iequals(name, "content-length")) {
        ++lengths;
        if (!is_digits(value)) violation("response: Content-Length not a number");
        std::from_chars(value.data(), value.data() + value.size(), length);
      } else if (iequals(name, "transfer-encoding")) {
        if (!iequals(value, "chunked")) violation("response: Transfer-Encoding other than chunked");
        chunked = true;
      } else if (iequals(name, "connection")) {
        close |= value.find("close") != std::string_view::npos;
      }
    }
    pos += head_len + 4;
    if (status < 200) {
      if (status != 100 || head_len != 21) violation("response: interim response other than a bare 100 Continue");
      continue;
    }
    const size_t index = finals++;
    last_final = start;
    const bool from_app = index < run.dispatched.size();
    if (lengths > 1 || (lengths && chunked)) violation("response: conflicting framing headers");
    // Only the interleaving app can be cut off mid-response (by a request
    // that fails while it waits for body): every other app sends its
    // response without suspending in between.
    const bool may_be_cut = from_app && c.app == AppKind::interleave;
    bool cut = false;
    if (status == 204 || status == 304 || (from_app && run.dispatched[index].head)) {
      // no body
    } else if (chunked) {
      cut = !skip_chunked(w, pos);
    } else if (lengths) {
      if (pos + length <= w.size()) pos += length;
      else if (!(pos == w.size() && !from_app && refused_may_be_head)) cut = true;
    } else {
      pos = w.size();  // delimited by the close
      close = true;
    }
    if (cut) {
      if (!may_be_cut) violation("response: output ends inside a response body");
      pos = w.size();
      close = true;
    }
    if (close && pos != w.size()) violation("response: bytes written after a response that closes the connection");
  }
  if (finals > run.dispatched.size() + 1) violation("more final responses than requests");
  if (finals + 1 < run.dispatched.size()) violation("a request the app answered got no response");
  return last_final;
}

// ------------------------------------------------------------ the transport

struct Connection {
  Run& run;
  std::atomic<size_t> in_flight{0};  // the other connections' requests in their apps
  size_t in_flight_before = 0;
  http::Context ctx;
  std::unique_ptr<loop::MemoryStream> s;
  std::unique_ptr<http::Protocol> p;
  bool closed_seen = false;
  bool eof_sent = false;

  explicit Connection(Run& r) : run(r) {
    ctx.options = r.cfg.options;
    ctx.app = fuzz_app;
    ctx.now_ms = 1'000'000;
    ctx.refresh_date(784111777);
    if (r.cfg.limited || r.cfg.saturated) {
      in_flight_before = r.cfg.saturated ? 1 : 0;
      in_flight = in_flight_before;
      set_in_flight(ctx, &in_flight);
    }
    s = std::make_unique<loop::MemoryStream>(ctx.options.read_capacity());
    p = std::make_unique<http::Protocol>(*s, ctx);
    r.stream = s.get();
  }
  ~Connection() {
    p.reset();
    run.stream = nullptr;
  }
  bool closed() const { return s->closed(); }
  // The transport's next loop turn after a close: the handle closes and the
  // protocol hears of it, which lets a suspended app run to its end.
  void after_event() {
    if (closed() && !closed_seen) {
      closed_seen = true;
      p->on_closed();
    }
  }
  // What a real transport would do next: bytes and EOF reach the protocol
  // only while it reads and has room for them.
  bool can_deliver() const { return !closed() && s->reading && s->in.free_space() > 0; }
  void tick(uint64_t advance) {
    if (closed()) return;
    ctx.now_ms += advance;
    p->on_tick(ctx.now_ms);
    after_event();
  }
  void eof() {
    if (closed() || eof_sent) return;
    eof_sent = true;
    p->on_eof();
    after_event();
  }
};

size_t piece_size(const Config& c, Rng& rng) {
  if (c.split == 0) return SIZE_MAX;
  if (c.split < 0x80) return c.split;
  const unsigned bits = 1 + (c.split & 0x0f) % 14;
  return 1 + static_cast<size_t>(rng.next() % (uint64_t{1} << bits));
}

// The stream the client sends: the payload with its first 0x7f byte
// replaced by `stretch` copies of the byte after it, the whole repeated, cut
// at 128 KiB: four times the largest read buffer, so every full-buffer path
// stays in reach, while one run stays cheap even fed a byte at a time.
std::string grow(std::string_view payload, const Config& c) {
  constexpr size_t kMaxStream = 128 * 1024;
  std::string once(payload);
  if (const size_t at = once.find('\x7f'); c.stretch && at != std::string::npos && at + 1 < once.size())
    once.replace(at, 1, c.stretch, once[at + 1]);
  std::string out;
  for (size_t i = 0; i < c.repeat && out.size() < kMaxStream; ++i) out += once;
  if (out.size() > kMaxStream) out.resize(kMaxStream);
  return out;
}

struct Outcome {
  std::string written;
  size_t last_final = std::string::npos;  // where the last final response starts
};

// One connection from first byte to close, every invariant checked on the
// way; returns what was written back.
Outcome run_connection(const Config& cfg, std::string_view input) {
  Run run;
  run.cfg = cfg;
  g_run = &run;
  Rng rng{cfg.seed};
  Outcome out;
  {
    Connection conn(run);
    size_t pos = 0;
    bool stopped = false;
    while (pos < input.size() && conn.can_deliver()) {
      const size_t n = conn.s->feed(input.substr(pos, piece_size(cfg, rng)));
      pos += n;
      run.delivered = input.substr(0, pos);
      conn.p->on_data();
      conn.after_event();
      if (cfg.drains && !conn.closed() && conn.s->queued_bytes() == 0) {
        conn.p->on_drained();
        conn.after_event();
      }
      if (cfg.ticks && rng.one_in(3)) conn.tick(rng.next() % 20'000);
      if (cfg.stop && !stopped && !conn.closed() && rng.one_in(8)) {
        stopped = true;
        conn.p->on_stop();
        conn.after_event();
      }
    }
    // Input left that the transport can no longer deliver: the engine paused
    // reading, or its buffer is full. With the in-memory stream nothing is
    // ever in flight, so an app waiting for body bytes here waits forever.
    if (pos < input.size() && !conn.closed() && run.waiting_for_body)
      violation("stalled: the app waits for body bytes, but the engine stopped taking them");
    if (cfg.eof_first && conn.can_deliver()) conn.eof();
    conn.tick(1'000'000'000);
    conn.tick(1'000'000'000);
    if (!conn.closed()) {
      if (conn.eof_sent) violation("connection still open after EOF and every timeout");
      if (!conn.can_deliver())
        violation("stuck: reading paused (or buffer full) with no timeout to end it");
      conn.eof();
    }
    if (!conn.closed()) violation("connection still open after EOF and every timeout");
    if (conn.p->busy()) violation("the app is still running after the connection closed");
    if (conn.in_flight != conn.in_flight_before)
      violation("the connection ended with its place in limit_concurrency's count still taken (or given back twice)");
    out.last_final = check_output(run, conn.s->written);
    out.written = std::move(conn.s->written);
  }
  g_run = nullptr;
  return out;
}

// Whether the bytes written may depend on how the input was cut into reads.
// They may when the app answers before it has the whole body (the engine
// then cannot keep the connection), when the clock or a stop is involved,
// when the app echoes each piece as it arrives, or when the concurrency
// limit refuses requests: a request is dispatched (and refused, 503) once
// its head is in, but fed whole its body is parsed first, and a malformed
// one is refused for that (400). Otherwise, as tests/parser/split_test.cpp
// holds for its corpus, they may not.
bool cut_independent(const Config& c) {
  if (c.split == 0 || c.ticks || c.drains || c.stop || c.saturated) return false;
  switch (c.app) {
    case AppKind::echo:
    case AppKind::stream:
    case AppKind::declared: return true;
    case AppKind::no_response:
    case AppKind::head_only: return c.variant & 1;
    case AppKind::status: return c.variant & 4;
    default: return false;
  }
}

// Interim 100 Continue answers are sent only while the body is still to
// come, so whether there is one depends on the cut.
std::string without_continues(std::string_view w) {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string out(w);
  for (size_t at = out.find(kContinue); at != std::string::npos; at = out.find(kContinue, at))
    out.erase(at, kContinue.size());
  return out;
}

// What may not depend on the cut. A request the engine refuses (an error
// answer of its own, then the close) may be refused for another reason:
// llhttp hands over the bytes of a token at the end of each read before it
// has seen the rest, so a token both too long and malformed meets the size
// limit first when cut, and the syntax check first when whole (431 or 400,
// which reason text). That it is refused, and everything before, may not.
// The engine's own answers are told by their Content-Type, which none of
// the apps here send.
std::string cut_invariant_part(const Outcome& o) {
  if (o.last_final != std::string::npos) {
    const std::string_view last = std::string_view(o.written).substr(o.last_final);
    const std::string_view head = last.substr(0, last.find("\r\n\r\n") + 2);
    const bool refusal = (head[9] == '4' || head[9] == '5') &&
                         head.find("\r\nContent-Type: text/plain; charset=utf-8\r\n") != std::string_view::npos &&
                         head.find("\r\nConnection: close\r\n") != std::string_view::npos;
    if (refusal) return without_continues(std::string_view(o.written).substr(0, o.last_final)) + "<refused>";
  }
  return without_continues(o.written);
}

void run_one(const uint8_t* data, size_t size) {
  uint8_t control[kControlBytes] = {};
  std::copy_n(data, std::min(size, kControlBytes), control);
  const std::string_view payload(reinterpret_cast<const char*>(data) + std::min(size, kControlBytes),
                                 size - std::min(size, kControlBytes));
  const Config cfg = parse_config(control);
  const std::string stream = grow(payload, cfg);
  const Outcome cut = run_connection(cfg, stream);
  if (!cut_independent(cfg)) return;
  Config whole = cfg;
  whole.split = 0;
  const Outcome reference = run_connection(whole, stream);
  if (cut_invariant_part(cut) != cut_invariant_part(reference)) {
    std::fprintf(stderr, "\nfuzz_http1: invariant violated: the answer depends on where the input was cut\n");
    print_config(cfg);
    print_escaped("sent", stream);
    print_escaped("written when cut", cut.written);
    print_escaped("written when fed whole", reference.written);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run_one(data, size);
  return 0;
}
