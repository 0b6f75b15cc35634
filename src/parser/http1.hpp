// Tier 2, "http": an llhttp-driven HTTP/1.1 engine, the twin of uvicorn's
// httptools protocol, speaking to applications through asgi.hpp.
//
// It runs over a loop::Stream, so the same engine serves TCP connections
// (http_server.hpp) and in-memory streams (tests, the profiler).
//
// Per request, in steady state, it allocates nothing: the request is a set
// of views into the connection's read buffer (header names lower-cased in
// place, chunked bodies de-chunked in place), the response is serialized
// into the stream's reusable output buffer, and coroutine frames come from
// the per-thread frame pool.
//
// What it answers by itself (then closes the connection):
//   400 malformed request, Content-Length with Transfer-Encoding, two
//       Content-Lengths, HTTP/1.1 without exactly one valid Host, a field
//       name that is not a token, obs-fold (a header line continued on the
//       next), Transfer-Encoding in an HTTP/1.0 request, chunk framing
//       (size line, extensions) over max_head_bytes in a row
//   408 request head not complete within head_timeout_ms; no body bytes
//       for body_timeout_ms while the app waits for them
//   413 body larger than max_body_bytes, or a chunk announcing so
//   417 an Expect other than 100-continue
//   431 request line + headers over max_head_bytes, or over max_headers;
//       a trailer section over max_head_bytes
//   500 the app failed or returned without starting a response
//   501 a transfer coding other than chunked
//   503 more than limit_concurrency requests in the app at once
//   505 an HTTP version other than 1.0 and 1.1
//
// The engine itself (class Protocol, which drives llhttp) is in
// parser/http1_internal.hpp: strata's own servers, tests and profilers use
// it; an application never needs it, nor llhttp's header.
//
// Protocol upgrades: an `Upgrade: websocket` GET is handed to the app as a
// WebSocket (scope.type "websocket", see asgi.hpp; a version other than 13
// is answered 426, a bad key 400). Any other upgrade, and CONNECT, is
// answered as a plain request, with Connection: close, and the connection
// ends.
//
// The rule behind the limits and timeouts: no input leaves a connection
// with reading paused and nothing running that will resume it. Framing
// bytes the app never sees (chunk-size lines, extensions, trailers) are
// dropped from the read buffer as they are parsed, and each state has a
// deadline: the head (head_timeout_ms), a body the app waits for
// (body_timeout_ms, reset by every read), an idle connection
// (idle_timeout_ms), and output the peer does not read (the transport's
// send timeout, loop::ServerConfig).
//
// Probes (common/probe.hpp): each connection owns its current request's
// probe Record and marks parse, dispatch, app and send; the transport marks
// write. With Server-Timing on, the response head carries one
// Server-Timing field: the phases so far, then whatever the app put in
// Server-Timing headers of its own, merged into the same field.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "parser/asgi.hpp"

struct uv_loop_s;

namespace strata::http {

struct Options {
  size_t max_head_bytes = 8 * 1024;
  size_t max_headers = 100;
  size_t max_body_bytes = 1024 * 1024;
  uint64_t head_timeout_ms = 10'000;
  uint64_t idle_timeout_ms = 5'000;  // uvicorn's keep-alive default
  uint64_t body_timeout_ms = 10'000; // longest wait for more body while the app waits for it
  size_t limit_concurrency = 0;      // requests in the app at once (per process); 0 = no limit
  size_t high_water = 64 * 1024;     // output bytes queued before reading stops
  // WebSockets: a message over ws_max_message_bytes is closed with 1009
  // (uvicorn's ws_max_size); with no input for ws_ping_interval_ms the
  // server pings, and closes if still nothing came ws_ping_timeout_ms
  // later; after sending a close frame it waits ws_close_timeout_ms for
  // the peer's before closing the connection.
  size_t ws_max_message_bytes = 16 * 1024 * 1024;
  uint64_t ws_ping_interval_ms = 20'000;
  uint64_t ws_ping_timeout_ms = 20'000;
  uint64_t ws_close_timeout_ms = 5'000;
  // One line per response on stderr, in uvicorn's format; off by default so
  // benchmarks measure the server, not the terminal.
  bool access_log = false;

  // The read buffer holds one request head whole, with room to spare for
  // pipelined requests and streamed body pieces.
  size_t read_capacity() const { return max_head_bytes + 16 * 1024; }
};

// Formats `t` as an RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
// exactly 29 characters, into `out`.
void format_http_date(std::time_t t, char out[29]);

// Per worker (per loop thread) state shared by its connections.
struct Context {
  Options options;
  App app;
  uint64_t now_ms = 0;  // coarse loop time, advanced by the worker's tick
  // The worker's loop, when there is one: time stamps that start a
  // deadline read its clock, so a deadline never fires early because the
  // tick's time had gone stale.
  uv_loop_s* loop = nullptr;
  uint64_t now() const;
  // Requests in the app across every worker, for limit_concurrency; shared
  // by the workers of one server (null: no limit is enforced).
  std::atomic<size_t>* in_flight = nullptr;
  // "Date: <IMF-fixdate>\r\n", rebuilt once a second by refresh_date().
  char date_line[39] = {};
  std::time_t date_second = 0;
  void refresh_date(std::time_t now);
  std::string_view date() const { return {date_line, 37}; }
};

// Reason phrase for a status code ("" when unknown).
std::string_view reason_phrase(int status);

}  // namespace strata::http
