#include "app/background.hpp"

#include <exception>
#include <string>

#include "app/context.hpp"
#include "app/middleware.hpp"
#include "app/threadpool.hpp"

namespace strata::app {

BackgroundTasks& BackgroundTasks::add(std::function<Task<void>()> on_loop) {
  tasks_.push_back({std::move(on_loop), {}});
  return *this;
}

BackgroundTasks& BackgroundTasks::add_sync(std::function<void()> on_pool) {
  tasks_.push_back({{}, std::move(on_pool)});
  return *this;
}

Task<void> BackgroundTasks::run() {
  const LoopContext ctx = loop_context();  // a copy: other requests run while we wait
  // Tier 2 batches what a request writes until its driver returns; without
  // this, a task that never suspends would run before the response left.
  if (ctx.executor) co_await ctx.executor->next_turn();
  for (size_t i = 0; i < tasks_.size(); ++i) {
    std::exception_ptr error;
    try {
      if (tasks_[i].on_loop) co_await tasks_[i].on_loop();
      else if (ctx.executor) co_await ctx.executor->run(tasks_[i].on_pool);
      else tasks_[i].on_pool();
    } catch (...) {
      error = std::current_exception();
    }
    if (!error) continue;
    const std::string what = exception_text(error);
    const std::string line = "exception in background task " + std::to_string(i + 1) + ": " + what;
    if (ctx.executor && ctx.executor->log && *ctx.executor->log) (*ctx.executor->log)(line);
    else stderr_logger()(line);
  }
}

}  // namespace strata::app
