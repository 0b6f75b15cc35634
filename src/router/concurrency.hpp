// Waiting without blocking the loop, for typed handlers (and any tier-3
// endpoint served by an app::Application): asyncio.sleep and Starlette's
// run_in_threadpool.
//
//   co_await router::async_sleep(0.5);                        // a libuv timer on this loop
//   int n = co_await router::run_in_threadpool([] { return blocking(); });
//
// Contract: await both on the loop thread of the request being served (they
// find the loop and the pool through app::loop_context()); they throw
// std::logic_error outside an Application. A sleep keeps the loop alive until
// its timer fires, so a server stopping meanwhile waits for it.
#pragma once

#include <cmath>
#include <coroutine>
#include <stdexcept>
#include <utility>

#include <uv.h>

#include "app/context.hpp"
#include "app/threadpool.hpp"

namespace strata::router {

namespace detail {

inline app::LoopExecutor& current_executor() {
  app::LoopExecutor* ex = app::loop_context().executor;
  if (!ex) throw std::logic_error("no event loop: serve this handler through strata::app::Application");
  return *ex;
}

// The timer handle lives in the awaiting coroutine's frame; the coroutine
// resumes from the close callback, once libuv no longer refers to it.
class SleepAwaiter {
 public:
  explicit SleepAwaiter(double seconds) : ms_(seconds > 0 ? static_cast<uint64_t>(std::ceil(seconds * 1000)) : 0) {}
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;

  bool await_ready() const noexcept { return ms_ == 0; }
  void await_suspend(std::coroutine_handle<> h) {
    waiting_ = h;
    uv_timer_init(current_executor().loop(), &timer_);
    timer_.data = this;
    uv_timer_start(&timer_, on_timer, ms_, 0);
  }
  void await_resume() const noexcept {}

 private:
  static void on_timer(uv_timer_t* t) { uv_close(reinterpret_cast<uv_handle_t*>(t), on_close); }
  static void on_close(uv_handle_t* h) { static_cast<SleepAwaiter*>(h->data)->waiting_.resume(); }
  uint64_t ms_;
  uv_timer_t timer_{};
  std::coroutine_handle<> waiting_;
};

}  // namespace detail

// Suspends the calling coroutine for `seconds` (rounded up to a millisecond)
// while the loop serves others. co_await the returned value directly.
inline detail::SleepAwaiter async_sleep(double seconds) { return detail::SleepAwaiter(seconds); }

// Runs `f` on the application's thread pool; the caller resumes on its loop
// with f's result (or its exception). co_await the returned value directly.
template <class F>
auto run_in_threadpool(F&& f) {
  return detail::current_executor().run(std::forward<F>(f));
}

}  // namespace strata::router
