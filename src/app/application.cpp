#include "app/application.hpp"
#include "app/ablations.hpp"

#include <stdexcept>

#include "app/context.hpp"

namespace strata::app {

Application::Application(AppConfig config) : config_(std::move(config)) {
  router_.set_redirect_slashes(config_.redirect_slashes);
}

Application::~Application() = default;

Application& Application::add_middleware(Middleware m) {
  middleware_.push_back(std::move(m));
  return *this;
}

Application& Application::exception_handler(int status, ExceptionHandlers::StatusHandler handler) {
  handlers_.by_status.emplace_back(status, std::move(handler));
  return *this;
}

Application& Application::on_startup(std::function<void()> hook) {
  startup_.push_back(std::move(hook));
  return *this;
}

Application& Application::on_shutdown(std::function<void()> hook) {
  shutdown_.push_back(std::move(hook));
  return *this;
}

Application& Application::on_worker_start(std::function<std::function<void()>(Worker&)> hook) {
  worker_start_.push_back(std::move(hook));
  return *this;
}

void Application::set_threads(unsigned threads) {
  if (pool_) throw std::logic_error("Application::set_threads: the thread pool is already running");
  config_.threads = threads;
}

ThreadPool& Application::pool() {
  if (!pool_) pool_ = std::make_unique<ThreadPool>(config_.threads);
  return *pool_;
}

http::App Application::build(http::AppHost& host) {
  for (auto& hook : startup_) hook();  // an exception here stops start-up

  executors_.push_back(std::make_unique<LoopExecutor>(host.loop, pool()));
  LoopExecutor* executor = executors_.back().get();
  executor->log = &config_.log;
  std::vector<std::function<void()>> stops;
  Worker worker{host.loop, host.worker_index, *executor};
  for (auto& hook : worker_start_)
    if (auto stop = hook(worker)) stops.push_back(std::move(stop));
  host.on_shutdown.push_back([this, executor, stops = std::move(stops)] {
    // Last started, first stopped: a hook may rely on what an earlier one set up.
    for (auto it = stops.rbegin(); it != stops.rend(); ++it) (*it)();
    executor->close();
    for (auto& hook : shutdown_) hook();
  });

  // Without handlers, the plain middleware: nothing to look up per error,
  // and the router answers its 404 and 405 without throwing.
  router_.set_raise_http_errors(!handlers_.empty());
  http::App app = wrap_ablation_middleware(
      (handlers_.empty() ? http_exceptions() : exception_handlers(handlers_))(routing_app(router_)));
  for (auto it = middleware_.rbegin(); it != middleware_.rend(); ++it) app = (*it)(std::move(app));
  app = server_errors(config_.log)(std::move(app));

  // Entry: tell the code below which loop it runs on.
  const size_t max_body = host.max_body_bytes;
  return [app = std::move(app), executor, max_body](const http::Scope& scope, http::Receive& receive,
                                                    http::Send& send) {
    LoopContext& ctx = loop_context();
    ctx.executor = executor;
    ctx.max_body_bytes = max_body;
    return app(scope, receive, send);
  };
}

http::AppFactory Application::factory() {
  return [this](http::AppHost& host) { return build(host); };
}

}  // namespace strata::app
