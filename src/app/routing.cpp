#include "app/routing.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "common/probe.hpp"

namespace strata::app {

namespace {

constexpr std::string_view kWebSocketMethod = "WEBSOCKET";

enum class Conv { str, int_, float_, path };

int rank(Conv c) {
  switch (c) {
    case Conv::int_: return 0;
    case Conv::float_: return 1;
    case Conv::str: return 2;
    case Conv::path: return 3;
  }
  return 4;
}

bool convert(Conv c, std::string_view text, PathParam& p) {
  switch (c) {
    case Conv::str:
      return !text.empty();
    case Conv::path:
      return true;
    case Conv::int_: {
      if (text.empty()) return false;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), p.i);
      return ec == std::errc{} && ptr == text.data() + text.size() && text.front() != '-';
    }
    case Conv::float_: {
      // Starlette's float is [0-9]+(\.[0-9]+)?: no sign, exponent, nan or inf.
      const size_t dot = text.find('.');
      auto digits = [](std::string_view d) {
        return !d.empty() && d.find_first_not_of("0123456789") == std::string_view::npos;
      };
      if (!digits(text.substr(0, dot)) || (dot != std::string_view::npos && !digits(text.substr(dot + 1))))
        return false;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), p.f);
      return ec == std::errc{} && ptr == text.data() + text.size();
    }
  }
  return false;
}

struct Hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace

struct Router::Node {
  struct Param {
    Conv conv;
    std::string name;
    std::unique_ptr<Node> child;
  };
  std::unordered_map<std::string, std::unique_ptr<Node>, Hash, std::equal_to<>> literals;
  std::vector<Param> params;  // sorted by rank
  // Endpoints that end here: method -> route, and the precomputed Allow list.
  std::vector<std::pair<std::string, const Route*>> methods;
  std::string allow;
  const http::App* mount = nullptr;
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

namespace {

// Splits "/a/b" into "a", "b"; "/" is no segments; "/a/" is "a", "".
template <class F>
bool for_each_segment(std::string_view path, F&& f) {
  if (path.empty() || path.front() != '/') return false;
  if (path == "/") return true;
  path.remove_prefix(1);
  for (;;) {
    const size_t slash = path.find('/');
    if (!f(path.substr(0, slash), slash == std::string_view::npos)) return false;
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

}  // namespace

Router& Router::route(std::string_view path, std::initializer_list<std::string_view> methods, Endpoint ep,
                      std::string name) {
  auto r = std::make_unique<Route>();
  r->path = std::string(path);
  r->name = std::move(name);
  r->endpoint = std::move(ep);
  for (std::string_view m : methods) r->methods.emplace_back(m);
  if (std::find(r->methods.begin(), r->methods.end(), "GET") != r->methods.end() &&
      std::find(r->methods.begin(), r->methods.end(), "HEAD") == r->methods.end())
    r->methods.emplace_back("HEAD");

  Node* node = root_.get();
  bool saw_path = false;
  size_t nparams = 0;
  const bool ok = for_each_segment(path, [&](std::string_view seg, bool last) {
    if (saw_path) return false;  // {x:path} must be the last segment
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      std::string_view inner = seg.substr(1, seg.size() - 2);
      const size_t colon = inner.find(':');
      const std::string_view pname = inner.substr(0, colon);
      const std::string_view type = colon == std::string_view::npos ? "str" : inner.substr(colon + 1);
      Conv conv;
      if (type == "str") conv = Conv::str;
      else if (type == "int") conv = Conv::int_;
      else if (type == "float") conv = Conv::float_;
      else if (type == "path") conv = Conv::path;
      else throw std::invalid_argument("unknown converter '" + std::string(type) + "' in " + std::string(path));
      if (pname.empty()) throw std::invalid_argument("unnamed parameter in " + std::string(path));
      if (++nparams > max_path_params) throw std::invalid_argument("too many parameters in " + std::string(path));
      saw_path = conv == Conv::path;
      if (saw_path && !last) return false;
      auto it = std::find_if(node->params.begin(), node->params.end(),
                             [&](const Node::Param& p) { return p.conv == conv && p.name == pname; });
      if (it == node->params.end()) {
        node->params.push_back({conv, std::string(pname), std::make_unique<Node>()});
        std::stable_sort(node->params.begin(), node->params.end(),
                         [](const Node::Param& a, const Node::Param& b) { return rank(a.conv) < rank(b.conv); });
        it = std::find_if(node->params.begin(), node->params.end(),
                          [&](const Node::Param& p) { return p.conv == conv && p.name == pname; });
      }
      node = it->child.get();
      return true;
    }
    if (seg.find_first_of("{}") != std::string_view::npos) return false;
    auto it = node->literals.find(seg);
    if (it == node->literals.end()) it = node->literals.emplace(std::string(seg), std::make_unique<Node>()).first;
    node = it->second.get();
    return true;
  });
  if (!ok) throw std::invalid_argument("malformed route template: " + std::string(path));
  // Check every method before adding any, so a rejected route leaves nothing behind.
  for (const std::string& m : r->methods)
    for (const auto& [have, _] : node->methods)
      if (have == m) throw std::invalid_argument("duplicate route: " + m + " " + std::string(path));
  for (const std::string& m : r->methods) node->methods.emplace_back(m, r.get());
  node->allow.clear();
  std::vector<std::string> names;
  for (const auto& [m, _] : node->methods)
    if (m != kWebSocketMethod) names.push_back(m);  // never an HTTP method to allow
  std::sort(names.begin(), names.end());
  for (const std::string& m : names) node->allow.append(node->allow.empty() ? "" : ", ").append(m);
  routes_.push_back(std::move(r));
  return *this;
}

Router& Router::route_sync(std::string_view path, std::initializer_list<std::string_view> methods, SyncEndpoint ep,
                           std::string name) {
  // Like Starlette's `def` endpoints: the body is read on the loop, then the
  // function runs on the thread pool and the loop carries on meanwhile.
  route(path, methods,
        [fn = std::move(ep)](Request& req) -> Task<Response> {
          co_await req.body();
          // The function's own spans, on the pool thread, belong to this request.
          probe::Record* rec = probe::current();
          co_return co_await req.run_in_threadpool([&fn, &req, rec] {
            probe::Bind bind(rec);
            return fn(req);
          });
        },
        std::move(name));
  routes_.back()->sync = true;
  return *this;
}

// WebSocket routes live in the same tree under a method of their own, so
// matching them costs what matching an HTTP route does.
Router& Router::websocket(std::string_view path, WebSocketEndpoint ep, std::string name) {
  route(path, {kWebSocketMethod}, {}, std::move(name));
  routes_.back()->websocket = std::move(ep);
  return *this;
}

Router& Router::mount(std::string_view prefix, http::App app) {
  Node* node = root_.get();
  const bool ok = for_each_segment(prefix, [&](std::string_view seg, bool) {
    if (seg.empty() || seg.find_first_of("{}") != std::string_view::npos) return false;
    auto it = node->literals.find(seg);
    if (it == node->literals.end()) it = node->literals.emplace(std::string(seg), std::make_unique<Node>()).first;
    node = it->second.get();
    return true;
  });
  if (!ok || prefix == "/" || node->mount)
    throw std::invalid_argument("bad or duplicate mount prefix: " + std::string(prefix));
  mounts_.push_back(std::make_unique<http::App>(std::move(app)));
  node->mount = mounts_.back().get();
  return *this;
}

bool Router::walk(const Node* node, std::string_view rest, std::string_view full, std::string_view method,
                  Match& m, std::string_view& allow) {
  if (rest.empty()) {
    for (const auto& [name, route] : node->methods) {
      if (name == method) {
        m.kind = Match::found;
        m.route = route;
        return true;
      }
    }
    if (!node->methods.empty() && allow.empty()) allow = node->allow;
    if (node->mount) {
      m.kind = Match::mounted;
      m.app = node->mount;
      m.mount_prefix = full;
      return true;
    }
    return false;
  }
  // rest is "/segment..." here
  const size_t end = rest.find('/', 1);
  const std::string_view seg = rest.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1);
  const std::string_view after = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (auto it = node->literals.find(seg); it != node->literals.end()) {
    if (walk(it->second.get(), after, full, method, m, allow)) return true;
  }
  for (const Node::Param& p : node->params) {
    if (m.params.count == max_path_params) break;
    PathParam& slot = m.params.items[m.params.count];
    slot = {p.name, p.conv == Conv::path ? rest.substr(1) : seg};
    if (!convert(p.conv, slot.text, slot)) continue;
    ++m.params.count;
    if (walk(p.child.get(), p.conv == Conv::path ? std::string_view{} : after, full, method, m, allow)) return true;
    --m.params.count;
  }
  if (node->mount) {
    m.kind = Match::mounted;
    m.app = node->mount;
    m.mount_prefix = full.substr(0, full.size() - rest.size());
    return true;
  }
  return false;
}

Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  std::string_view allow;
  const std::string_view rest = path == "/" ? std::string_view{} : path;
  if (!path.empty() && path.front() == '/' && walk(root_.get(), rest, path, method, m, allow)) return m;
  m = Match{};
  if (!allow.empty()) {
    m.kind = Match::method_not_allowed;
    m.allow = allow;
  }
  return m;
}

}  // namespace strata::app

#include "app/context.hpp"
#include "app/http_exception.hpp"

namespace strata::app {

std::string other_slash_form(std::string_view path) {
  if (path.empty() || path == "/") return {};
  if (path.back() != '/') return std::string(path) + "/";
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

LoopContext& loop_context() {
  thread_local LoopContext ctx;
  return ctx;
}

http::App Router::as_app() const {
  return [this](const http::Scope& scope, http::Receive& receive, http::Send& send) -> Task<void> {
    if (scope.type == "websocket") [[unlikely]] {
      co_await websocket_app(scope, receive, send);
      co_return;
    }
    Match m = [&] {
      probe::Span span(probe::Phase::route);
      return match(scope.method, scope.path);
    }();
    switch (m.kind) {
      case Match::found: {
        probe::Record* rec = probe::current();
        probe::Span span(probe::Phase::handler);
        const LoopContext& ctx = loop_context();
        Request req(scope, receive, m.params, ctx.executor, ctx.max_body_bytes);
        Response resp = co_await m.route->endpoint(req);
        // A thread-pool endpoint resumes here from the executor, outside
        // tier 2's Bind: what follows still belongs to this request.
        probe::Bind bind(rec);
        co_await resp.send(send, &scope);
        co_return;
      }
      case Match::mounted: {
        http::Scope sub = scope;
        sub.path = scope.path.substr(m.mount_prefix.size());
        if (scope.raw_path.substr(0, m.mount_prefix.size()) == m.mount_prefix)
          sub.raw_path = scope.raw_path.substr(m.mount_prefix.size());
        if (sub.path.empty()) sub.path = "/";
        if (sub.raw_path.empty()) sub.raw_path = "/";
        co_await (*m.app)(sub, receive, send);
        co_return;
      }
      case Match::method_not_allowed: {
        if (raise_http_errors_) throw HTTPException(405, "Method Not Allowed", {{"allow", std::string(m.allow)}});
        Response r = Response::text("Method Not Allowed", 405);
        r.header("allow", m.allow);
        co_await r.send(send);
        co_return;
      }
      case Match::not_found:
        break;
    }
    // A coroutine of its own, so that its locals do not enlarge the frame
    // every matched request allocates.
    co_await not_found(scope, send);
  };
}

Task<void> Router::websocket_app(const http::Scope& scope, http::Receive& receive, http::Send& send) const {
  Match m = match(kWebSocketMethod, scope.path);
  if (m.kind == Match::found) {
    WebSocket ws(scope, receive, send, m.params);
    co_await m.route->websocket(ws);
    co_return;
  }
  if (m.kind == Match::mounted) {
    http::Scope sub = scope;
    sub.path = scope.path.substr(m.mount_prefix.size());
    if (scope.raw_path.substr(0, m.mount_prefix.size()) == m.mount_prefix)
      sub.raw_path = scope.raw_path.substr(m.mount_prefix.size());
    if (sub.path.empty()) sub.path = "/";
    if (sub.raw_path.empty()) sub.raw_path = "/";
    co_await (*m.app)(sub, receive, send);
    co_return;
  }
  // No route: closed before the handshake, which the client sees as 403.
  http::WebSocketAction close;
  close.type = http::WebSocketAction::close;
  co_await send.websocket(close);
}

Task<void> Router::not_found(const http::Scope& scope, http::Send& send) const {
  if (redirect_slashes_) {
    const std::string other = other_slash_form(scope.path);
    if (!other.empty() && match(scope.method, other).kind != Match::not_found) {
      std::string location;
      if (const std::string_view host = scope.header("host"); !host.empty()) location = "http://" + std::string(host);
      const std::string raw = other_slash_form(scope.raw_path);
      location += raw.empty() ? other : raw;
      if (!scope.query_string.empty()) location.append("?").append(scope.query_string);
      Response r = Response::empty(307);
      r.header("location", location);
      co_await r.send(send);
      co_return;
    }
  }
  if (raise_http_errors_) throw HTTPException(404, "Not Found");
  co_await Response::text("Not Found", 404).send(send);
}

}  // namespace strata::app
