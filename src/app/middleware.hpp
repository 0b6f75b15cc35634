// Tier 3's middleware: functions from an app to an app, exactly as ASGI
// middleware wraps an ASGI callable. A middleware may look at the scope,
// wrap receive or send, run code before and after, or answer by itself.
//
//   Middleware timing = [](http::App next) -> http::App {
//     return [next](const http::Scope& s, http::Receive& r, http::Send& send) -> Task<void> {
//       auto t0 = std::chrono::steady_clock::now();
//       co_await next(s, r, send);
//       log(std::chrono::steady_clock::now() - t0);
//     };
//   };
//
// Contract: the app a middleware returns is called for every request; what
// it captures must stay valid while it is in use (capture by value).
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "parser/asgi.hpp"

namespace strata::app {

using Middleware = std::function<http::App(http::App next)>;
using Logger = std::function<void(std::string_view line)>;

// Logs to stderr, one line per call.
Logger stderr_logger();

// What a caught exception says, for a log line: its what(), or "unknown
// exception" for one that is not a std::exception.
std::string exception_text(const std::exception_ptr& error);

// A Send that forwards to another and remembers whether the response
// started; derive from it to change what passes through.
class ForwardingSend : public http::Send {
 public:
  explicit ForwardingSend(http::Send& inner) : inner_(inner) {}
  Task<void> start(http::ResponseStart r) override {
    started_ = true;
    return inner_.start(r);
  }
  Task<void> body(http::ResponseBody b) override { return inner_.body(b); }
  Task<void> websocket(http::WebSocketAction a) override {
    started_ = true;
    return inner_.websocket(a);
  }
  // Passed on whole, so a file stays zero-copy through middleware; a Send
  // that changes body bytes must override file() too (GZip reads it).
  Task<void> file(http::ResponseFile f) override { return inner_.file(f); }
  bool started() const { return started_; }

 protected:
  http::Send& inner_;
  bool started_ = false;
};

// A Send that adds headers to the response start.
class HeaderAddingSend : public ForwardingSend {
 public:
  HeaderAddingSend(http::Send& inner, std::vector<std::pair<std::string, std::string>> extra)
      : ForwardingSend(inner), extra_(std::move(extra)) {}
  Task<void> start(http::ResponseStart r) override;
  std::vector<std::pair<std::string, std::string>>& extra() { return extra_; }

 private:
  std::vector<std::pair<std::string, std::string>> extra_;
};

// Outermost: an exception from anything inside becomes a 500 with a plain
// "Internal Server Error" (no internals leaked) and is logged. If the
// response had already started, the exception is rethrown and tier 2
// closes the connection.
Middleware server_errors(Logger log = stderr_logger());

// Innermost: an HTTPException thrown anywhere inside becomes its response.
Middleware http_exceptions();

struct CorsOptions {
  std::vector<std::string> allow_origins;  // "*" for any
  std::vector<std::string> allow_methods = {"GET"};
  std::vector<std::string> allow_headers;  // "*" for any requested
  std::vector<std::string> expose_headers;
  bool allow_credentials = false;
  int max_age = 600;
};
// CORS as Starlette's CORSMiddleware: answers preflight requests itself and
// adds Access-Control-Allow-Origin (and friends) to simple requests from an
// allowed origin.
Middleware cors(CorsOptions options);

struct TrustedHostOptions {
  // Exact host names ("example.com"), wildcards for subdomains
  // ("*.example.com": any name ending in ".example.com", not the bare
  // domain), or "*" for any. Compared case-insensitively, without the port.
  std::vector<std::string> allowed_hosts = {"*"};
  // A request for "example.com" when only "www.example.com" is allowed is
  // redirected there (307) instead of refused.
  bool www_redirect = true;
};
// Starlette's TrustedHostMiddleware: a request whose Host header is not
// allowed (or is missing) gets 400 "Invalid host header". Throws
// std::invalid_argument for a pattern with '*' anywhere but a leading "*.".
Middleware trusted_host(TrustedHostOptions options);

// Tags each response with a request id (the client's X-Request-ID when it
// sent a sane one, else a fresh one) and a Server-Timing entry "app" with
// the time spent inside, in milliseconds. When the server writes its own
// Server-Timing (`strata serve --server-timing`, probe::server_timing()),
// the "app" entry is left out: the server's per-phase entries replace it,
// in the one Server-Timing field tier 2 writes.
Middleware request_id(std::string header = "x-request-id");

}  // namespace strata::app
