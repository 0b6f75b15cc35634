// Tier 3's Application: Starlette's Starlette class. Routes, middleware and
// lifespan hooks are declared once; build() turns them into one tier-2 app
// per worker:
//
//   server_errors( user middleware..., ( http_exceptions( router ) ) )
//
// (exception_handlers in place of http_exceptions once any is registered)
// the same stack, in the same order, as Starlette builds around its router.
//
// Threading: configure on one thread before serving. Each worker's app
// runs on its own loop; sync endpoints run on one ThreadPool shared by all
// workers (--threads, default 40 like Starlette's anyio pool).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/exception_handlers.hpp"
#include "app/middleware.hpp"
#include "app/routing.hpp"
#include "app/threadpool.hpp"
#include "parser/http_server.hpp"

namespace strata::app {

struct AppConfig {
  unsigned threads = 40;
  // A path that matches no route but would with its trailing '/' added or
  // removed is answered 307 to that path (Starlette's redirect_slashes).
  bool redirect_slashes = true;
  // No body limit here: the server's (http::Options::max_body_bytes)
  // reaches every request through http::AppHost.
  Logger log = stderr_logger();
};

class Application {
 public:
  explicit Application(AppConfig config = {});
  ~Application();

  Router& router() { return router_; }
  Application& route(std::string_view path, std::initializer_list<std::string_view> methods, Endpoint ep,
                     std::string name = {}) {
    router_.route(path, methods, std::move(ep), std::move(name));
    return *this;
  }
  Application& route_sync(std::string_view path, std::initializer_list<std::string_view> methods, SyncEndpoint ep,
                          std::string name = {}) {
    router_.route_sync(path, methods, std::move(ep), std::move(name));
    return *this;
  }
  Application& get(std::string_view path, Endpoint ep) { return route(path, {"GET"}, std::move(ep)); }
  Application& post(std::string_view path, Endpoint ep) { return route(path, {"POST"}, std::move(ep)); }
  // A WebSocket route (app/websocket.hpp): app.websocket("/ws/{room}", handler).
  Application& websocket(std::string_view path, WebSocketEndpoint ep, std::string name = {}) {
    router_.websocket(path, std::move(ep), std::move(name));
    return *this;
  }
  Application& mount(std::string_view prefix, http::App app) {
    router_.mount(prefix, std::move(app));
    return *this;
  }

  // The first added is the outermost, as in Starlette's middleware list.
  Application& add_middleware(Middleware m);
  // Exception handlers (see exception_handlers.hpp): for HTTPExceptions
  // with this status (the router's 404 and 405 included), or for
  // exceptions of type E and types derived from it:
  //   api.exception_handler<E>([](Request&, const E&) -> Task<Response> {...});
  Application& exception_handler(int status, ExceptionHandlers::StatusHandler handler);
  template <class E, class F>
  Application& exception_handler(F handler) {
    handlers_.add_type<E>(std::move(handler));
    return *this;
  }

  // Lifespan: run once per worker, before it serves / after it stopped.
  // An exception from a start-up hook stops the server from starting.
  Application& on_startup(std::function<void()> hook);
  Application& on_shutdown(std::function<void()> hook);
  // Per-worker set-up that needs the worker's own loop (a database pool
  // opens its connections on it). Runs when the worker is built, after the
  // on_startup hooks and before its loop runs (possibly on another thread);
  // the function it returns, if any, runs at that worker's shutdown on its
  // loop thread, before the loop is closed. An exception stops start-up.
  struct Worker {
    uv_loop_t* loop;
    int index;
    LoopExecutor& executor;
  };
  Application& on_worker_start(std::function<std::function<void()>(Worker&)> hook);

  // One worker's app, on host.loop. Registers the shutdown work on host.
  http::App build(http::AppHost& host);
  // For http_workers(): the Application must outlive the server.
  http::AppFactory factory();

  const AppConfig& config() const { return config_; }
  // The thread-pool size, until the pool exists (the first worker built
  // starts it); later, std::logic_error. strata::serve's --threads.
  void set_threads(unsigned threads);
  ThreadPool& pool();

 private:
  AppConfig config_;
  Router router_;
  std::vector<Middleware> middleware_;
  ExceptionHandlers handlers_;
  std::vector<std::function<void()>> startup_, shutdown_;
  std::vector<std::function<std::function<void()>(Worker&)>> worker_start_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::unique_ptr<LoopExecutor>> executors_;
};

}  // namespace strata::app
