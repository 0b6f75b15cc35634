// Tier 1, "raw": the twin of seed 003's asyncio+uvloop server. It does only
// what that server did: keep-alive connections, crude framing (end of head,
// an optional Content-Length, that many body bytes), the shared workload,
// and a reply with a fixed status line and fixed headers. No Date header,
// no validation. Whatever it cannot frame closes the connection: a malformed
// head, a Content-Length the buffer could never hold, a head that fills the
// buffer without ending.
//
// Unlike asyncio's raw server it does not let a connection hang forever:
// one timer per worker closes a connection that has received nothing for
// its quiet timeout (`--idle-timeout`), whatever state it is in (half a
// request, or idle), and the transport's send timeout closes one whose
// peer stops reading. Per request this costs one store.
//
// Probes (common/probe.hpp) mark parse (framing), app (the workload) and
// send (the reply's bytes); the transport marks write. The reply headers
// stay fixed, with one exception: when Server-Timing is on, the reply
// carries a Server-Timing field with those phases.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/probe.hpp"
#include "common/workload.hpp"
#include "loop/server.hpp"
#include "loop/stream.hpp"

namespace strata::loop::raw {

// Read buffer per connection; a request (head plus body) larger than this
// cannot be framed and closes the connection.
inline constexpr size_t read_capacity = 16 * 1024;
// A connection that receives nothing for this long is closed, by default.
inline constexpr uint64_t default_quiet_timeout_ms = 5'000;

struct Frame {
  enum Kind { incomplete, complete, invalid } kind = incomplete;
  size_t size = 0;               // head + body bytes, when complete
  std::string_view method;       // views into the framed bytes
  std::string_view target;
  std::string_view body;
};

// Pure: frames the first request at the start of `bytes`.
Frame frame_request(std::string_view bytes);

// Appends the reply for one framed request: the seed 003 workload for any
// request with a body, seed 002's hello for GET / and GET /index. With
// Server-Timing on, the reply reports the current probe Record's phases.
void respond(const Frame& f, workload::UserEndpoint& user, std::string& scratch, std::string& out);

class Protocol {
 public:
  struct Context {
    workload::UserEndpoint user;
    std::string scratch;
    uint64_t quiet_timeout_ms = default_quiet_timeout_ms;
  };

  Protocol(Stream& s, Context& ctx) : s_(s), ctx_(ctx) {}

  void on_data();
  void on_eof() { s_.finish(); }
  void on_drained() {}
  void on_tick(uint64_t now_ms) {
    if (std::exchange(read_since_tick_, false)) quiet_since_ms_ = now_ms;
    else if (now_ms - quiet_since_ms_ >= ctx_.quiet_timeout_ms) s_.close();
  }
  void on_stop() { s_.finish(); }
  void on_closed() {}
  bool busy() const { return false; }

 private:
  Stream& s_;
  Context& ctx_;
  bool read_since_tick_ = true;  // a new connection counts as having just been heard from
  uint64_t quiet_since_ms_ = 0;
  probe::Record probe_;  // the request being framed, when probes are on
};

class RawWorker final : public Worker {
 public:
  RawWorker(int index, const ServerConfig& config, uint64_t quiet_timeout_ms = default_quiet_timeout_ms)
      : Worker(index, config, tick_for(std::min(quiet_timeout_ms, config.send_timeout_ms))) {
    ctx_.quiet_timeout_ms = quiet_timeout_ms;
  }

 protected:
  void accept(uv_stream_t* listener) override {
    TcpConnection<Protocol>::accept_from(*this, listener, ctx_, read_capacity);
  }
  void accept_uring(Ring& ring, int fd) override;

 private:
  // Often enough that a timeout is late by at most a quarter of itself.
  static unsigned tick_for(uint64_t timeout_ms) {
    return static_cast<unsigned>(std::clamp<uint64_t>(timeout_ms / 4, 5, 1000));
  }
  Protocol::Context ctx_;
};

}  // namespace strata::loop::raw
