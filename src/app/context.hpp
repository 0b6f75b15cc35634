// Per-loop-thread settings an Application hands down to the routers and
// requests it runs: the thread pool's way back to this loop, the body
// limit, and the logger (for what fails after the response is gone). Set by Application on entry of every request; everything in a
// tier-3 app runs on its loop thread, so a thread_local is exact.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace strata::app {

class LoopExecutor;

struct LoopContext {
  LoopExecutor* executor = nullptr;
  size_t max_body_bytes = 1024 * 1024;
  const std::function<void(std::string_view)>* log = nullptr;  // the Application's AppConfig::log
};

LoopContext& loop_context();

}  // namespace strata::app
