// Tier 2's TCP server: loop::Worker wired to the HTTP/1.1 engine.
//
// Each worker owns one http::Context (options, its own instance of the app,
// the cached Date line) shared by the connections on its loop, so nothing
// in it is ever touched by two threads.
#pragma once

#include <functional>
#include <vector>

#include "loop/server.hpp"
#include "parser/http1.hpp"

namespace strata::http {

// What an app learns of the worker it runs on when it is built: its loop
// (for timers, or an async handle that brings thread-pool results back),
// and where to register what must run when the worker stops, such as
// closing those handles (the loop cannot end while they are open) and
// lifespan shutdown hooks. Hooks run on the loop thread, after the last
// connection has closed.
struct AppHost {
  uv_loop_t* loop = nullptr;
  int worker_index = 0;
  // The engine's body limit (Options::max_body_bytes), so an app that
  // buffers or streams bodies enforces the same one: a limit is set in one
  // place, the server's options.
  size_t max_body_bytes = 1024 * 1024;
  std::vector<std::function<void()>> on_shutdown;
};

// Builds one app per worker, so an app may keep per-thread state freely.
// Runs before the loop starts; an exception stops the server from starting,
// its message shown to the user (lifespan start-up errors).
using AppFactory = std::function<App(AppHost&)>;

class HttpWorker final : public loop::Worker {
 public:
  // `in_flight` counts requests in the app across the server's workers
  // (for Options::limit_concurrency); it must outlive the worker.
  HttpWorker(int index, const loop::ServerConfig& config, const Options& options, const AppFactory& make_app,
             std::atomic<size_t>* in_flight = nullptr);
  // A worker that never ran (another worker failed to start) still runs
  // its shutdown hooks, so the app can close its loop handles.
  ~HttpWorker() override;

 protected:
  void accept(uv_stream_t* listener) override;
  void accept_uring(loop::Ring& ring, int fd) override;
  void on_tick(uint64_t now_ms) override;
  void on_stopped() override;

 private:
  AppHost host_;
  Context ctx_;
  bool shut_down_ = false;
};

// A WorkerFactory for loop::Server; its workers share one in-flight count.
loop::Server::WorkerFactory http_workers(Options options, AppFactory make_app);

}  // namespace strata::http
