// Tier 4's API: FastAPI's FastAPI class. Endpoints are plain functions or
// lambdas whose parameters say where each value comes from
// (router/params.hpp) and whose return type is the response model:
//
//   API api({.title = "Shop"});
//   api.get("/items/{id}", [](Path<"id", int64_t> id) -> Task<Item> { ... });   // async: on the loop
//   api.post("/items", [](Body<Item> item) -> Item { ... }, {.status_code = 201});  // sync: thread pool
//   return strata::serve(api, argc, argv);                                         // <strata/serve.hpp>
//
// Per request, as FastAPI does: the body is read (for a Body<T> anywhere in
// the handler or its dependencies) and its Content-Type checked; every
// parameter is extracted and validated and every dependency solved; all the
// errors found are answered together as one 422 {"detail": [...]}; else the
// handler runs (a coroutine on the loop, a plain function on the thread
// pool), its result is validated against the response model (unless
// validate_responses is off) and encoded as JSON with the route's status.
//
// Return types: a described model or any type router::encode takes (JSON),
// PlainText (text/plain), app::Response (sent as it is), or void (JSON null,
// or no body at all with a status that has none: 204, 304);
// any of them wrapped in Task<> for a coroutine handler.
//
// A route with Form<> or File<> parameters reads the form instead
// (Request::form(), with APIConfig::form_limits) and is documented with an
// application/x-www-form-urlencoded body, or multipart/form-data when it
// takes a file, whose schema is components/schemas/Body_<operationId>.
//
// Content-Type rule for JSON bodies: the request must say
// application/json, or application/<anything>+json (parameters such as
// charset allowed). A missing or different type is a 422 at ["body"] of type
// "content_type", even if the bytes are JSON. FastAPI parses a body without
// a Content-Type as JSON; strata does not, because a browser can send a
// cross-site form or text/plain request without a CORS preflight, but not an
// application/json one, so requiring it keeps JSON endpoints out of reach of
// cross-site forms.
//
// app::HTTPException thrown by a handler or a dependency answers
// {"detail": "<detail>"} with its status and headers, as in FastAPI. A
// response that fails validation is a server error (500, logged).
//
// OpenAPI 3.1: every route declared here is described (parameters, request
// body, responses including 422, component schemas with constraints). The
// document is built once, when the first worker starts, and served at
// GET /openapi.json; GET /docs serves Swagger UI from swagger-ui-dist (see
// APIConfig::docs_dir) and GET /redoc serves ReDoc (APIConfig::redoc_dir).
// None of them appears in the document itself.
//
// Dependencies may also be named per route, per router and per API rather
// than as parameters (FastAPI's `dependencies=[Depends(fn)]`): they run
// before the handler's own, share the request's cache, and their 422s are
// listed first. Routes can be grouped in an APIRouter (prefix, tags,
// dependencies, responses) and added with include_router. Security schemes
// (router/security.hpp) are parameters like any other and are documented
// under components/securitySchemes.
//
// Tests replace a dependency for one API with override_dependency<fn>(g),
// FastAPI's app.dependency_overrides[fn] = g: every Depends<fn> of that
// API's routes, however deep, then solves g's parameters and calls g.
//
// Threading: declare routes, routers and overrides on one thread before
// serving; the API must outlive the server. Handlers of one worker run on its loop thread, sync
// ones on the shared pool.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "app/application.hpp"
#include "app/background.hpp"
#include "app/forms.hpp"
#include "app/http_exception.hpp"
#include "app/request.hpp"
#include "app/response.hpp"
#include "common/json.hpp"
#include "common/probe.hpp"
#include "router/model.hpp"
#include "router/params.hpp"
#include "router/security.hpp"

namespace strata::router {

class API;
namespace detail {
struct Solver;
struct OperationDoc;
// A replacement set with API::override_dependency: the callable, and how to
// solve its parameters and call it (the value returned as the cache keeps it).
struct Override {
  std::shared_ptr<void> fn;
  Task<std::shared_ptr<void>> (*solve)(Solver&, void* fn);
};
}  // namespace detail

// A dependency named outside a handler's parameters: dependency<verify_key>()
// is FastAPI's `Depends(verify_key)` in a `dependencies=[...]` list, and
// dependency<APIKeyHeader<"X-API-Key">>() (any parameter type, a security
// scheme included) is `Security(api_key)` there. Its value is not passed to
// the handler; its errors and exceptions answer the request.
struct Dependency {
  Task<void> (*solve)(detail::Solver&);
  void (*describe)(detail::OperationDoc&, Schemas&);
};
template <auto Fn>
Dependency dependency();
template <class Param>
Dependency dependency();

// A text/plain answer, FastAPI's PlainTextResponse.
struct PlainText {
  std::string text;
};

// One more response a route may give, for the OpenAPI document only (what
// the handler sends is its own business): FastAPI's
// `responses={404: {"model": Message, "description": "..."}}`. Without a
// schema it is documented by its description alone.
struct ResponseDoc {
  int status = 0;
  std::string description = {};
  // Appends the body's JSON Schema, registering the models it names.
  std::function<void(std::string& out, Schemas& reg)> schema = {};
};
// A documented response whose JSON body is a T: response<Message>(404, "Not found").
template <class T>
ResponseDoc response(int status, std::string description);

struct RouteOptions {
  int status_code = 200;
  std::string name = {};     // OpenAPI operationId; default: <method>_<path>, e.g. "get_items_id"
  std::string summary = {};  // default: the name in title case, as FastAPI derives it from the function
  std::string description = {};
  std::vector<std::string> tags = {};
  // Documented besides the route's own status and the 422; a status given
  // twice is std::invalid_argument when the route is added.
  std::vector<ResponseDoc> responses = {};
  // Run before the handler's own, after the router's and the API's.
  std::vector<Dependency> dependencies = {};
  // What of the returned model is sent (FastAPI's response_model_include,
  // _exclude and _exclude_none): top-level fields by their C++ (pydantic
  // field) names, not aliases; exclude_none drops every null field, nested
  // models included. Validation still checks the whole value, and the
  // OpenAPI document still shows the whole model, as in FastAPI.
  std::vector<std::string> response_model_include = {};  // empty: every field
  std::vector<std::string> response_model_exclude = {};
  bool response_model_exclude_none = false;
};

// get/post/put/patch/del(path, handler, options): route() with the method,
// for API and APIRouter alike.
template <class Self>
class RouteShortcuts {
 public:
  template <class F>
  Self& get(std::string_view path, F handler, RouteOptions options = {}) {
    return self().route("GET", path, std::move(handler), std::move(options));
  }
  template <class F>
  Self& post(std::string_view path, F handler, RouteOptions options = {}) {
    return self().route("POST", path, std::move(handler), std::move(options));
  }
  template <class F>
  Self& put(std::string_view path, F handler, RouteOptions options = {}) {
    return self().route("PUT", path, std::move(handler), std::move(options));
  }
  template <class F>
  Self& patch(std::string_view path, F handler, RouteOptions options = {}) {
    return self().route("PATCH", path, std::move(handler), std::move(options));
  }
  template <class F>
  Self& del(std::string_view path, F handler, RouteOptions options = {}) {
    return self().route("DELETE", path, std::move(handler), std::move(options));
  }

 private:
  Self& self() { return static_cast<Self&>(*this); }
};

// What a router adds to each of its routes, and what include_router adds on
// top: the prefix goes in front of the path ("/books", no trailing '/'),
// tags and dependencies in front of the route's own, and responses are
// documented unless the route documents the same status itself.
struct RouterOptions {
  std::string prefix = {};
  std::vector<std::string> tags = {};
  std::vector<Dependency> dependencies = {};
  std::vector<ResponseDoc> responses = {};
};

// A group of routes, FastAPI's APIRouter: declared like an API's, added to
// one (or to another router) with include_router, which copies them: a route
// declared after that is not included. Handlers must be copyable, since one
// router may be included several times (under different prefixes).
class APIRouter : public RouteShortcuts<APIRouter> {
 public:
  // Throws std::invalid_argument for a prefix that does not start with '/'
  // or ends with one.
  explicit APIRouter(RouterOptions options = {});

  template <class F>
  APIRouter& route(std::string_view method, std::string_view path, F handler, RouteOptions options = {});

  APIRouter& include_router(const APIRouter& router, RouterOptions options = {});

 private:
  friend class API;
  // Adds one route to `api`, with `outer` (everything around this router) applied.
  using Add = std::function<void(API& api, const RouterOptions& outer)>;
  RouterOptions options_;
  std::vector<Add> routes_;
};

struct APIConfig {
  std::string title = "strata";
  std::string version = "0.1.0";
  std::string description = {};
  // FastAPI validates every response against its model; off skips it.
  bool validate_responses = true;
  // Where swagger-ui-dist's files are. Empty: $STRATA_SWAGGER_UI_DIR, else
  // the directory the build installed it to.
  std::string docs_dir = {};
  std::string openapi_url = "/openapi.json";  // empty: not served (nor /docs)
  std::string docs_url = "/docs";             // empty: not served
  std::string redoc_url = "/redoc";           // ReDoc; empty: not served
  // Where redoc's redoc.standalone.js is. Empty: $STRATA_REDOC_DIR, else
  // the directory the build installed it to.
  std::string redoc_dir = {};
  // Run before every route's own (FastAPI(dependencies=[...])).
  std::vector<Dependency> dependencies = {};
  // What a route with Form<> or File<> parameters accepts (app/forms.hpp;
  // Starlette's defaults). The body limit (AppConfig, --max-body-bytes)
  // caps the whole form; temp_dir's text must outlive the API.
  app::FormLimits form_limits = {};
  app::AppConfig app = {};
};

// Thrown when a response does not match its model; becomes a 500.
class ResponseValidationError : public std::runtime_error {
 public:
  explicit ResponseValidationError(Errors errors);
  const Errors& errors() const { return errors_; }

 private:
  Errors errors_;
};

class API : public RouteShortcuts<API> {
 public:
  explicit API(APIConfig config = {});
  ~API();
  API(const API&) = delete;
  API& operator=(const API&) = delete;

  // Throws std::invalid_argument for a malformed path, a duplicate route, or
  // a Path<"x"> parameter whose {x} is not in the path.
  template <class F>
  API& route(std::string_view method, std::string_view path, F handler, RouteOptions options = {});

  // A WebSocket route: the handler takes app::WebSocket& and any Path<>,
  // Query<>, Header<> or Cookie<> parameters, read from the handshake
  // request and validated as an HTTP route's are. When they do not
  // validate, the WebSocket is closed before accept (the client sees 403),
  // as FastAPI does. WebSocket routes are not in the OpenAPI document.
  //   api.websocket("/ws/{room}", [](app::WebSocket& ws, Path<"room", int> room) -> Task<void> {...});
  template <class F>
  API& websocket(std::string_view path, F handler);

  // Adds every route of `router` (see APIRouter). Throws as route() does.
  API& include_router(const APIRouter& router, RouterOptions options = {});

  // Every Depends<Fn> of this API's routes solves and calls `replacement`
  // instead: its own parameters (any of params.hpp's) are read from the
  // request, and it returns what Fn returns (or a Task of it). It reads a
  // form or takes app::BackgroundTasks& only if Fn does (a compile error
  // otherwise: the routes were built to provide what Fn asks for).
  // Replacing again replaces the replacement. For tests; set before serving.
  template <auto Fn, class G>
  void override_dependency(G replacement);
  void clear_dependency_overrides();

  // The tier-3 application underneath: middleware, lifespan hooks, mounts,
  // untyped routes and TestClient all work on it.
  app::Application& application() { return app_; }
  // FastAPI's app.mount: a tier-3 app (app::StaticFiles, another
  // Application) under `prefix`; not in the OpenAPI document.
  API& mount(std::string_view prefix, http::App app) {
    app_.mount(prefix, std::move(app));
    return *this;
  }
  http::AppFactory factory() { return app_.factory(); }
  const APIConfig& config() const { return config_; }

  // The OpenAPI document (built on the first call).
  const std::string& openapi();

 private:
  struct Operation {
    std::string method;  // lower case, as OpenAPI keys it
    std::string path;    // OpenAPI form: {id}, converters dropped
    std::string json;    // the operation object
  };
  struct DocsFiles;
  template <class F>
  API& add_route(std::string_view method, std::string_view path, F handler, RouteOptions options);
  void add_operation(std::string_view method, std::string_view path, const RouteOptions& options,
                     detail::OperationDoc& doc, std::string success_content);
  void serve_docs();
  void serve_redoc();

  friend class APIRouter;
  static RouterOptions combine(const RouterOptions& outer, const RouterOptions& inner);
  template <class F>
  void add_included(std::string_view method, std::string_view path, const F& handler, RouteOptions options,
                    const RouterOptions& outer);

  APIConfig config_;
  app::Application app_;
  std::vector<Operation> operations_;
  Schemas schemas_;
  std::map<std::string, std::string, std::less<>> security_schemes_;  // name -> scheme object
  std::map<const void*, detail::Override> overrides_;                // keyed by dependency_key<Fn>
  bool schemas_validation_ = false;  // some route can answer 422
  std::once_flag built_;
  std::string openapi_;
  std::unique_ptr<DocsFiles> docs_;
};

}  // namespace strata::router

// The templates above are implemented in router/api_detail.hpp, which only
// this header includes.
#include "router/api_detail.hpp"
#include "router/websocket_detail.hpp"
