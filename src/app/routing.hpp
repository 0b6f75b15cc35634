// Tier 3's routing: path templates compiled once, at start-up, into a tree
// of path segments, so matching costs one step per segment of the request
// path (a hash lookup for literal segments) however many routes there are.
// Starlette scans its routes in order with a regex each.
//
// Templates: literal segments and parameters, one per segment:
//   /users/{id:int}   {id} or {id:str}   {x:float}   {rest:path} (last only)
// Precedence when several could match a segment: a literal segment, then
// int, float, str, and path last; the first route that matches the whole
// path wins. A GET route also answers HEAD.
//
// Matching results: a route; 405 with the Allow list when the path matches
// but the method does not; a mounted app with the rest of the path; or 404.
// Before a 404, as Starlette's redirect_slashes does, the path with its
// trailing slashes removed (or one added) is tried: if anything would
// answer it, whatever the method, the answer is a 307 to it (absolute, from
// the Host header, the query kept), so that /items/ reaches /items.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "app/request.hpp"
#include "app/response.hpp"
#include "app/websocket.hpp"
#include "parser/asgi.hpp"

namespace strata::app {

using Endpoint = std::function<Task<Response>(Request&)>;  // runs on the loop
using SyncEndpoint = std::function<Response(Request&)>;    // runs on the thread pool

struct Route {
  std::string path;                  // the template, as written
  std::vector<std::string> methods;  // upper-case
  std::string name;
  Endpoint endpoint;
  bool sync = false;  // declared with a SyncEndpoint
  WebSocketEndpoint websocket;  // set for a WebSocket route (then `endpoint` is empty)
};

struct Match {
  enum Kind { not_found, method_not_allowed, found, mounted } kind = not_found;
  const Route* route = nullptr;
  std::string_view allow;        // for method_not_allowed: "GET, HEAD, POST"
  const http::App* app = nullptr;  // for mounted
  std::string_view mount_prefix; // the part of the path the mount consumed
  PathParams params;
};

class Router {
 public:
  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Throws std::invalid_argument for a malformed template or a duplicate
  // (same template and method).
  Router& route(std::string_view path, std::initializer_list<std::string_view> methods, Endpoint ep,
                std::string name = {});
  Router& route_sync(std::string_view path, std::initializer_list<std::string_view> methods, SyncEndpoint ep,
                     std::string name = {});
  Router& get(std::string_view path, Endpoint ep) { return route(path, {"GET"}, std::move(ep)); }
  Router& post(std::string_view path, Endpoint ep) { return route(path, {"POST"}, std::move(ep)); }
  Router& put(std::string_view path, Endpoint ep) { return route(path, {"PUT"}, std::move(ep)); }
  Router& patch(std::string_view path, Endpoint ep) { return route(path, {"PATCH"}, std::move(ep)); }
  Router& del(std::string_view path, Endpoint ep) { return route(path, {"DELETE"}, std::move(ep)); }
  // A WebSocket route: same templates and precedence as HTTP routes, and
  // reached only by scope.type "websocket" (an HTTP request to its path is
  // a 404 unless an HTTP route has it too). A WebSocket that matches no
  // route is refused with 403 before the handshake, as Starlette does.
  Router& websocket(std::string_view path, WebSocketEndpoint ep, std::string name = {});
  // Everything under `prefix` (a literal path, e.g. "/api") goes to `app`
  // with the prefix removed from scope.path and scope.raw_path.
  Router& mount(std::string_view prefix, http::App app);

  Match match(std::string_view method, std::string_view path) const;
  // On by default; see the top of this header.
  void set_redirect_slashes(bool on) { redirect_slashes_ = on; }
  // Off by default: 404 and 405 are sent directly. On (an Application with
  // exception handlers), they are thrown as HTTPException, as
  // Starlette's router raises them, so a handler for 404 sees them too.
  void set_raise_http_errors(bool on) { raise_http_errors_ = on; }

  // This router as an ASGI-like app: 404, 405 with Allow, mounts, and
  // routes (Request built, endpoint awaited, Response sent). It keeps a
  // reference: the router must outlive the app.
  http::App as_app() const;
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  struct Node;
  // The answer when nothing matched: redirect_slashes's 307, or 404.
  Task<void> not_found(const http::Scope& scope, http::Send& send) const;
  Task<void> websocket_app(const http::Scope& scope, http::Receive& receive, http::Send& send) const;
  static bool walk(const Node* node, std::string_view rest, std::string_view full, std::string_view method,
                   Match& m, std::string_view& allow);
  std::unique_ptr<Node> root_;
  std::vector<std::unique_ptr<Route>> routes_;
  std::vector<std::unique_ptr<http::App>> mounts_;
  bool redirect_slashes_ = true;
  bool raise_http_errors_ = false;
};

// Where redirect_slashes sends `path` (the other form of it: trailing
// slashes removed, or one added), or "" when there is none ("/", or a path
// of slashes only).
std::string other_slash_form(std::string_view path);

}  // namespace strata::app
