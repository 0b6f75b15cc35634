// Per-loop-thread settings an Application hands down to the routers and
// requests it runs: the thread pool's way back to this loop, and the body
// limit. Set by Application on entry of every request; everything in a
// tier-3 app runs on its loop thread, so a thread_local is exact.
#pragma once

#include <cstddef>

namespace strata::app {

class LoopExecutor;

struct LoopContext {
  LoopExecutor* executor = nullptr;
  size_t max_body_bytes = 1024 * 1024;
};

LoopContext& loop_context();

}  // namespace strata::app
