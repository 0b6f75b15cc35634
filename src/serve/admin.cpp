#include "serve/admin_internal.hpp"

#include <cstring>

#include <uv.h>

#include "common/probe.hpp"
#include "parser/http_server.hpp"

namespace strata::serving {

namespace {

Task<void> serve_admin(const http::Scope& scope, http::Receive&, http::Send& send) {
  std::string body;
  int status = 200;
  std::string_view type = "text/plain; version=0.0.4; charset=utf-8";
  if ((scope.method == "GET" || scope.method == "HEAD") && scope.path == "/metrics") {
    body = metrics_body();
  } else {
    status = 404;
    type = "text/plain; charset=utf-8";
    body = "Not Found: the admin port serves GET /metrics only\n";
  }
  const http::Header headers[] = {{"content-type", type}};
  co_await send.start({status, headers});
  co_await send.body({body, false});
}

}  // namespace

std::string metrics_body() { return probe::format_prometheus(probe::read_totals()); }

AdminServer::AdminServer() = default;

AdminServer::~AdminServer() { stop(); }

bool AdminServer::start(const std::string& host, uint16_t port, std::string& error) {
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
    error = "admin port: '" + host + "' is not a numeric address";
    return false;
  }
  loop::ServerConfig config;
  config.host = host;
  config.port = port;
  config.graceful_ms = 1000;
  worker_ = std::make_unique<http::HttpWorker>(0, config, http::Options{},
                                               [](http::AppHost&) -> http::App { return serve_admin; });
  std::string why;
  if (worker_->listen(reinterpret_cast<sockaddr*>(&addr), false, why) != 0) {
    error = "cannot listen on " + host + ":" + std::to_string(port) + " for the admin port: " + why;
    worker_.reset();
    return false;
  }
  port_ = worker_->bound_port();
  thread_ = std::thread([w = worker_.get()] {
    probe::mute_this_thread();
    w->run();
  });
  return true;
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  worker_->request_stop();
  thread_.join();
  worker_->close_loop();
  worker_.reset();
}

}  // namespace strata::serving
