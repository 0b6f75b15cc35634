// Drives the HTTP/1.1 engine over an in-memory stream, with apps that
// record what they saw, so parser glue and response framing are tested
// without sockets.
#pragma once

#include <coroutine>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "loop/memory_stream.hpp"
#include "parser/http1_internal.hpp"

namespace strata::test {

using http::App;
using http::Header;
using http::ReceiveEvent;
using http::Scope;

struct Harness {
  http::Context ctx;
  std::unique_ptr<loop::MemoryStream> s;
  std::unique_ptr<http::Protocol> p;

  explicit Harness(App app, http::Options o = {}) {
    ctx.options = o;
    ctx.app = std::move(app);
    ctx.refresh_date(784111777);  // a fixed Date keeps outputs comparable
    s = std::make_unique<loop::MemoryStream>(o.read_capacity());
    p = std::make_unique<http::Protocol>(*s, ctx);
  }
  // Feeds bytes as the transport would: as much as the buffer takes, then on_data.
  void feed(std::string_view bytes) {
    while (!bytes.empty() && !s->closed()) {
      const size_t n = s->feed(bytes);
      bytes.remove_prefix(n);
      p->on_data();
      if (n == 0) break;  // buffer full and nothing consumed
    }
  }
};

struct Seen {
  std::string method, path, raw_path, query, version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int body_events = 0;
  bool disconnected = false;
};

// How many body events carried the body is not compared: it depends on how
// the bytes were cut.
inline bool operator==(const Seen& a, const Seen& b) {
  return a.method == b.method && a.path == b.path && a.raw_path == b.raw_path && a.query == b.query &&
         a.version == b.version && a.headers == b.headers && a.body == b.body && a.disconnected == b.disconnected;
}

// Records the scope and the whole body, then answers 200 "echo:<body>"
// with no Content-Length of its own.
inline App recording_app(std::vector<Seen>& log) {
  return [&log](const Scope& scope, http::Receive& receive, http::Send& send) -> Task<void> {
    Seen seen;
    seen.method = scope.method;
    seen.path = scope.path;
    seen.raw_path = scope.raw_path;
    seen.query = scope.query_string;
    seen.version = scope.http_version;
    for (const Header& h : scope.headers) seen.headers.emplace_back(h.name, h.value);
    for (;;) {
      ReceiveEvent ev = co_await receive();
      if (ev.type == ReceiveEvent::disconnect) {
        seen.disconnected = true;
        log.push_back(seen);
        co_return;
      }
      ++seen.body_events;
      seen.body.append(ev.bytes);
      if (!ev.more_body) break;
    }
    log.push_back(seen);
    const Header headers[] = {{"content-type", "text/plain"}};
    co_await send.start({200, headers});
    const std::string reply = "echo:" + seen.body;
    co_await send.body({reply, false});
  };
}

// An awaitable the test resumes by hand: stands in for a timer or a thread
// pool. `co_await gate.wait()` hands back a small awaiter pointing at the
// gate (g++ 12 may copy an awaited lvalue, so the gate is never awaited itself).
struct Gate {
  std::coroutine_handle<> waiting;
  struct Awaiter {
    Gate* gate;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { gate->waiting = h; }
    void await_resume() const noexcept {}
  };
  Awaiter wait() { return {this}; }
  void open() { std::exchange(waiting, {}).resume(); }
};

}  // namespace strata::test
