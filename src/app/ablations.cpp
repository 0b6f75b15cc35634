#include "app/ablations.hpp"

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "app/context.hpp"
#include "app/request.hpp"
#include "common/ablation.hpp"
#include "common/probe.hpp"

namespace strata::app {

namespace {

// Starlette's compile_path for strata's templates: literals escaped, each
// parameter a group with its converter's regex.
std::string template_regex(std::string_view path) {
  std::string re = "^";
  for (size_t i = 0; i < path.size();) {
    if (path[i] == '{') {
      const size_t close = path.find('}', i);
      const std::string_view inner = path.substr(i + 1, close - i - 1);
      const size_t colon = inner.find(':');
      const std::string_view type = colon == std::string_view::npos ? "str" : inner.substr(colon + 1);
      if (type == "int") re += "([0-9]+)";
      else if (type == "float") re += "([0-9]+(?:\\.[0-9]+)?)";
      else if (type == "path") re += "(.*)";
      else re += "([^/]+)";
      i = close + 1;
      continue;
    }
    if (std::string_view("\\^$.|?*+()[]{}").find(path[i]) != std::string_view::npos) re += '\\';
    re += path[i++];
  }
  return re + "$";
}

struct LinearRoutes {
  struct Entry {
    std::regex re;
    const Route* route;
    bool has_params;
  };
  const Router* router;
  std::vector<Entry> entries;

  Match operator()(std::string_view method, std::string_view path) const {
    std::cmatch groups;  // Starlette's match object, groups and all
    for (const Entry& e : entries) {
      if (!std::regex_match(path.data(), path.data() + path.size(), groups, e.re)) continue;
      bool method_ok = false;
      for (const std::string& m : e.route->methods) method_ok |= m == method || (m == "GET" && method == "HEAD");
      if (!method_ok) continue;  // Starlette's partial match: the scan goes on
      if (e.has_params) return router->match(method, path);
      Match m;
      m.kind = Match::found;
      m.route = e.route;
      return m;
    }
    return {};  // not found by the scan: the tree app answers
  }
};

// Pure ASGI: a coroutine that awaits the next app, nothing else.
http::App asgi_passthrough(http::App next) {
  return [next = std::move(next)](const http::Scope& scope, http::Receive& receive, http::Send& send) -> Task<void> {
    co_await next(scope, receive, send);
  };
}

// call_next's response, as BaseHTTPMiddleware sees it: an object of its own.
class CapturingSend final : public http::Send {
 public:
  Task<void> start(http::ResponseStart r) override {
    status = r.status;
    for (const http::Header& h : r.headers) headers.emplace_back(std::string(h.name), std::string(h.value));
    co_return;
  }
  Task<void> body(http::ResponseBody b) override {
    body_bytes.append(b.bytes);
    co_return;
  }
  int status = 500;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body_bytes;
};

http::App wrapped_passthrough(http::App next) {
  return [next = std::move(next)](const http::Scope& scope, http::Receive& receive, http::Send& send) -> Task<void> {
    const LoopContext& ctx = loop_context();
    Request request(scope, receive, PathParams{}, ctx.executor, ctx.max_body_bytes);
    CapturingSend response;
    co_await next(request.scope(), receive, response);
    std::vector<http::Header> views;
    views.reserve(response.headers.size());
    for (const auto& [name, value] : response.headers) views.push_back({name, value});
    co_await send.start({response.status, views});
    co_await send.body({response.body_bytes, false});
  };
}

}  // namespace

http::App routing_app(const Router& router) {
  http::App tree = router.as_app();
  if (ablation::value("router") != "linear") return tree;
  auto linear = std::make_shared<LinearRoutes>();
  linear->router = &router;
  for (const auto& r : router.routes())
    linear->entries.push_back({std::regex(template_regex(r->path)), r.get(), r->path.find('{') != std::string::npos});
  // Router::as_app's found branch, repeated here rather than made a
  // template there: the tree's own app stays the code it was. Whatever the
  // scan does not find is the tree app's to answer (405, mounts, 404).
  return [linear, tree = std::move(tree)](const http::Scope& scope, http::Receive& receive,
                                          http::Send& send) -> Task<void> {
    Match m = [&] {
      probe::Span span(probe::Phase::route);
      return (*linear)(scope.method, scope.path);
    }();
    if (m.kind != Match::found || scope.type == "websocket") {  // WebSockets: the tree's own dispatch
      co_await tree(scope, receive, send);
      co_return;
    }
    probe::Record* rec = probe::current();
    probe::Span span(probe::Phase::handler);
    const LoopContext& ctx = loop_context();
    Request req(scope, receive, m.params, ctx.executor, ctx.max_body_bytes);
    Response resp = co_await m.route->endpoint(req);
    probe::Bind bind(rec);  // a thread-pool endpoint resumes outside tier 2's Bind
    co_await resp.send(send);
  };
}

http::App wrap_ablation_middleware(http::App inner) {
  const unsigned n = ablation::count("middleware");
  const bool wrapped = ablation::value("middleware-style") == "wrapped";
  for (unsigned i = 0; i < n; ++i) inner = wrapped ? wrapped_passthrough(std::move(inner)) : asgi_passthrough(std::move(inner));
  return inner;
}

}  // namespace strata::app
