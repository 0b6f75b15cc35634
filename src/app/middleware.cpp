#include "app/middleware.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <random>
#include <stdexcept>

#include "app/context.hpp"
#include "app/exception_handlers.hpp"
#include "app/http_exception.hpp"
#include "common/probe.hpp"
#include "common/text.hpp"
#include "app/response.hpp"

namespace strata::app {

Logger stderr_logger() {
  return [](std::string_view line) { std::fprintf(stderr, "strata: %.*s\n", static_cast<int>(line.size()), line.data()); };
}

Task<void> HeaderAddingSend::start(http::ResponseStart r) {
  started_ = true;
  std::vector<http::Header> hs(r.headers.begin(), r.headers.end());
  for (const auto& [n, v] : extra_) hs.push_back({n, v});
  co_await inner_.start({r.status, hs});
}

std::string exception_text(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  return "unknown exception";
}

Middleware server_errors(Logger log) {
  return [log](http::App next) -> http::App {
    return [next = std::move(next), log](const http::Scope& scope, http::Receive& receive,
                                         http::Send& send) -> Task<void> {
      // Outermost: the middleware phase is this stack's time minus what
      // routing and the endpoint claim inside it.
      probe::Span span(probe::Phase::middleware);
      ForwardingSend tracked(send);
      std::exception_ptr error;
      try {
        co_await next(scope, receive, tracked);
      } catch (...) {
        error = std::current_exception();
      }
      if (!error) co_return;
      const std::string what = exception_text(error);
      log("exception in " + std::string(scope.method) + " " + std::string(scope.path) + ": " + what);
      // A WebSocket has no HTTP answer: tier 2 answers 500 before accept, 1011 after.
      if (tracked.started() || scope.type == "websocket") std::rethrow_exception(error);
      co_await Response::text("Internal Server Error", 500).send(send);
    };
  };
}

Middleware http_exceptions() {
  return [](http::App next) -> http::App {
    return [next = std::move(next)](const http::Scope& scope, http::Receive& receive,
                                    http::Send& send) -> Task<void> {
      ForwardingSend tracked(send);
      std::exception_ptr error;
      int status = 0;
      std::string detail;
      std::vector<std::pair<std::string, std::string>> headers;
      try {
        co_await next(scope, receive, tracked);
      } catch (const HTTPException& e) {
        error = std::current_exception();
        status = e.status();
        detail = e.detail();
        headers = e.headers();
      }
      if (!error) co_return;
      if (tracked.started() || scope.type == "websocket") std::rethrow_exception(error);
      Response r = (status == 204 || status == 304) ? Response::empty(status) : Response::text(std::move(detail), status);
      for (const auto& [n, v] : headers) r.header(n, v);
      co_await r.send(send);
    };
  };
}

Middleware exception_handlers(const ExceptionHandlers& handlers) {
  return [&handlers](http::App next) -> http::App {
    return [next = std::move(next), &handlers](const http::Scope& scope, http::Receive& receive,
                                               http::Send& send) -> Task<void> {
      ForwardingSend tracked(send);
      std::exception_ptr error;
      try {
        co_await next(scope, receive, tracked);
      } catch (...) {
        error = std::current_exception();
      }
      if (!error) co_return;
      if (tracked.started() || scope.type == "websocket") std::rethrow_exception(error);
      const HTTPException* http_error = nullptr;
      try {
        std::rethrow_exception(error);
      } catch (const HTTPException& e) {
        http_error = &e;  // owned by `error`, alive while it is
      } catch (...) {
      }
      const PathParams no_params;
      const LoopContext& ctx = loop_context();
      Request req(scope, receive, no_params, ctx.executor, ctx.max_body_bytes);
      std::optional<Task<Response>> handled;
      if (http_error)
        for (const auto& [status, handler] : handlers.by_status)
          if (status == http_error->status()) {
            handled.emplace(handler(req, *http_error));
            break;
          }
      for (size_t i = 0; !handled && i < handlers.by_type.size(); ++i) handled = handlers.by_type[i](req, error);
      if (handled) {
        Response r = co_await std::move(*handled);
        co_await r.send(send);
        co_return;
      }
      if (!http_error) std::rethrow_exception(error);
      const int status = http_error->status();
      Response r = (status == 204 || status == 304) ? Response::empty(status) : Response::text(http_error->detail(), status);
      for (const auto& [n, v] : http_error->headers()) r.header(n, v);
      co_await r.send(send);
    };
  };
}

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out.append(out.empty() ? "" : ", ").append(s);
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

Middleware cors(CorsOptions o) {
  return [o = std::move(o)](http::App next) -> http::App {
    return [next = std::move(next), o](const http::Scope& scope, http::Receive& receive,
                                       http::Send& send) -> Task<void> {
      const std::string_view origin = scope.header("origin");
      if (origin.empty()) {
        co_await next(scope, receive, send);  // not a CORS request
        co_return;
      }
      const bool any_origin = contains(o.allow_origins, "*");
      const bool allowed = any_origin || contains(o.allow_origins, origin);
      // With credentials the origin must be echoed, never "*".
      const std::string allow_origin = any_origin && !o.allow_credentials ? "*" : std::string(origin);
      const std::string_view wanted_method = scope.header("access-control-request-method");
      if (scope.method == "OPTIONS" && !wanted_method.empty()) {
        Response r = Response::text("OK", 200);
        bool ok = allowed;
        if (!contains(o.allow_methods, "*") && !contains(o.allow_methods, wanted_method)) ok = false;
        const std::string_view wanted_headers = scope.header("access-control-request-headers");
        if (!wanted_headers.empty() && !contains(o.allow_headers, "*")) {
          std::string_view rest = wanted_headers;
          while (!rest.empty()) {
            const size_t comma = rest.find(',');
            const std::string_view h = text::trim_ows(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            // CORS-safelisted request headers are always allowed, as in Starlette.
            bool found = false;
            for (std::string_view safe : {"accept", "accept-language", "content-language", "content-type"})
              found |= text::iequals(h, safe);
            for (const auto& a : o.allow_headers) found |= text::iequals(a, h);
            if (!h.empty() && !found) ok = false;
          }
        }
        if (!ok) r = Response::text("Disallowed CORS request", 400);
        if (allowed) r.header("access-control-allow-origin", allow_origin);
        if (!any_origin || o.allow_credentials) r.header("vary", "Origin");
        r.header("access-control-allow-methods", join(o.allow_methods));
        if (!wanted_headers.empty())
          r.header("access-control-allow-headers",
                   contains(o.allow_headers, "*") ? std::string(wanted_headers) : join(o.allow_headers));
        if (o.allow_credentials) r.header("access-control-allow-credentials", "true");
        r.header("access-control-max-age", std::to_string(o.max_age));
        co_await r.send(send);
        co_return;
      }
      if (!allowed) {
        co_await next(scope, receive, send);
        co_return;
      }
      std::vector<std::pair<std::string, std::string>> extra = {{"access-control-allow-origin", allow_origin}};
      if (!any_origin || o.allow_credentials) extra.emplace_back("vary", "Origin");
      if (o.allow_credentials) extra.emplace_back("access-control-allow-credentials", "true");
      if (!o.expose_headers.empty()) extra.emplace_back("access-control-expose-headers", join(o.expose_headers));
      HeaderAddingSend wrapped(send, std::move(extra));
      co_await next(scope, receive, wrapped);
    };
  };
}

namespace {

// The host name of a Host header value: the port removed, IPv6 brackets kept.
std::string_view host_name(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

bool ends_with_icase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && text::iequals(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace

Middleware trusted_host(TrustedHostOptions o) {
  for (const auto& p : o.allowed_hosts) {
    const size_t star = p.find('*');
    if (star != std::string::npos && p != "*" && (star != 0 || p.rfind("*.", 0) != 0 || p.find('*', 1) != std::string::npos))
      throw std::invalid_argument("trusted_host: bad pattern '" + p + "' (only a leading \"*.\" is a wildcard)");
  }
  const bool any = contains(o.allowed_hosts, "*");
  return [o = std::move(o), any](http::App next) -> http::App {
    if (any) return next;  // nothing to check: no cost per request
    return [next = std::move(next), o](const http::Scope& scope, http::Receive& receive,
                                       http::Send& send) -> Task<void> {
      const std::string_view host = host_name(scope.header("host"));
      bool valid = false, www = false;
      for (const auto& p : o.allowed_hosts) {
        if (text::iequals(host, p) || (!p.empty() && p.front() == '*' && ends_with_icase(host, std::string_view(p).substr(1)))) {
          valid = !host.empty();
          break;
        }
        if (p.size() == host.size() + 4 && text::iequals(std::string_view(p).substr(0, 4), "www.") &&
            text::iequals(std::string_view(p).substr(4), host))
          www = !host.empty();
      }
      if (valid) {
        co_await next(scope, receive, send);
        co_return;
      }
      if (www && o.www_redirect) {
        std::string url(scope.scheme);
        url.append("://www.").append(scope.header("host")).append(scope.raw_path);
        if (!scope.query_string.empty()) url.append("?").append(scope.query_string);
        co_await Response::redirect(url, 307).send(send);
        co_return;
      }
      co_await Response::text("Invalid host header", 400).send(send);
    };
  };
}

namespace {

bool sane_request_id(std::string_view v) {
  if (v.empty() || v.size() > 128) return false;
  for (char c : v)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

std::string fresh_request_id() {
  // Per thread: a random base and a counter; unique and cheap.
  thread_local uint64_t base = std::random_device{}() * 0x9E3779B97F4A7C15ull ^ std::random_device{}();
  thread_local uint64_t counter = 0;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(base + ++counter));
  return buf;
}

// Adds the id and, at response start, the time spent so far inside.
class TaggingSend : public ForwardingSend {
 public:
  TaggingSend(http::Send& inner, std::string_view header, std::string id)
      : ForwardingSend(inner), header_(header), id_(std::move(id)), t0_(std::chrono::steady_clock::now()) {}
  Task<void> start(http::ResponseStart r) override {
    started_ = true;
    std::vector<http::Header> hs(r.headers.begin(), r.headers.end());
    hs.push_back({header_, id_});
    // With the server's own Server-Timing on (probes), its phases already
    // break this time down; a second, coarser "app" entry would only
    // contradict them.
    char timing[48];
    if (!probe::server_timing()) {
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
      std::snprintf(timing, sizeof timing, "app;dur=%.3f", ms);
      hs.push_back({"server-timing", timing});
    }
    co_await inner_.start({r.status, hs});
  }

 private:
  std::string_view header_;
  std::string id_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

Middleware request_id(std::string header) {
  return [header = std::move(header)](http::App next) -> http::App {
    return [next = std::move(next), header](const http::Scope& scope, http::Receive& receive,
                                            http::Send& send) -> Task<void> {
      const std::string_view given = scope.header(header);
      TaggingSend tagged(send, header, sane_request_id(given) ? std::string(given) : fresh_request_id());
      co_await next(scope, receive, tagged);
    };
  };
}

}  // namespace strata::app
