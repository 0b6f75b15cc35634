// Tier 2's TCP server: loop::Worker wired to the HTTP/1.1 engine.
//
// Each worker owns one http::Context (options, its own instance of the app,
// the cached Date line) shared by the connections on its loop, so nothing
// in it is ever touched by two threads.
#pragma once

#include <functional>

#include "loop/server.hpp"
#include "parser/http1.hpp"

namespace strata::http {

// Builds one app per worker, so an app may keep per-thread state freely.
using AppFactory = std::function<App(int worker_index)>;

class HttpWorker final : public loop::Worker {
 public:
  HttpWorker(int index, const loop::ServerConfig& config, const Options& options, const AppFactory& make_app);

 protected:
  void accept(uv_stream_t* listener) override;
  void on_tick(uint64_t now_ms) override;

 private:
  Context ctx_;
};

// A WorkerFactory for loop::Server.
loop::Server::WorkerFactory http_workers(Options options, AppFactory make_app);

}  // namespace strata::http
