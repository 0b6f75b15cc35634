#include "parser/http_server.hpp"
#include "parser/ablations.hpp"
#include "parser/http1_internal.hpp"

#include <algorithm>
#include <ctime>
#include <memory>

namespace strata::http {

namespace {

// The tick drives timeouts and the Date line: often enough for both, and
// never so often that an idle server wakes up for nothing.
unsigned tick_interval(const Options& o, const loop::ServerConfig& c) {
  const uint64_t shortest = std::min({o.head_timeout_ms, o.idle_timeout_ms, o.body_timeout_ms, c.send_timeout_ms});
  return static_cast<unsigned>(std::clamp<uint64_t>(shortest / 4, 5, 250));
}

}  // namespace

HttpWorker::HttpWorker(int index, const loop::ServerConfig& config, const Options& options,
                       const AppFactory& make_app, std::atomic<size_t>* in_flight)
    : Worker(index, config, tick_interval(options, config)) {
  ctx_.options = options;
  ctx_.loop = loop();
  ctx_.in_flight = in_flight;
  host_.loop = loop();
  host_.worker_index = index;
  host_.max_body_bytes = options.max_body_bytes;
  ctx_.app = make_app(host_);
  apply_ablations(ctx_);
  ctx_.now_ms = uv_now(loop());
  ctx_.refresh_date(std::time(nullptr));
}

void HttpWorker::accept(uv_stream_t* listener) {
  ctx_.now_ms = uv_now(loop());
  loop::TcpConnection<Protocol>::accept_from(*this, listener, ctx_, ctx_.options.read_capacity());
}

void HttpWorker::on_tick(uint64_t now_ms) {
  ctx_.now_ms = now_ms;
  ctx_.refresh_date(std::time(nullptr));
}

void HttpWorker::on_stopped() {
  shut_down_ = true;
  for (auto& hook : host_.on_shutdown) hook();
}

HttpWorker::~HttpWorker() {
  if (!shut_down_) on_stopped();
}

loop::Server::WorkerFactory http_workers(Options options, AppFactory make_app) {
  auto in_flight = std::make_shared<std::atomic<size_t>>(0);
  return [options, make_app, in_flight](int index, const loop::ServerConfig& config) -> std::unique_ptr<loop::Worker> {
    return std::make_unique<HttpWorker>(index, config, options, make_app, in_flight.get());
  };
}

}  // namespace strata::http
