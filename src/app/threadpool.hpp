// Running blocking code off the event loop, as Starlette runs `def`
// endpoints on anyio's worker threads.
//
// ThreadPool: N threads shared by every worker, running jobs FIFO.
// LoopExecutor: one per event loop; brings finished jobs back to that loop
// (uv_async_t) so the coroutine that awaited them resumes on its own thread.
//
//   int n = co_await executor.run([] { return blocking_call(); });
//
// The awaiting coroutine is suspended while the job runs; exceptions thrown
// by the job are rethrown at the co_await. Contract: run() is awaited on the
// executor's loop thread; the callable and what it captures must stay valid
// until the co_await returns (they do, as locals of the awaiting frame).
#pragma once

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <uv.h>

namespace strata::app {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();  // finishes queued jobs, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(std::function<void()> job);
  unsigned size() const { return static_cast<unsigned>(threads_.size()); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

class LoopExecutor {
 public:
  // The async handle lives on `loop`; close() must be called on the loop
  // thread before the loop can end (an AppHost shutdown hook does it). With
  // jobs still running, the handle stays open until the last one is back.
  LoopExecutor(uv_loop_t* loop, ThreadPool& pool);
  ~LoopExecutor();
  LoopExecutor(const LoopExecutor&) = delete;
  LoopExecutor& operator=(const LoopExecutor&) = delete;

  void close();
  ThreadPool& pool() { return pool_; }
  uv_loop_t* loop() const { return loop_; }
  // Where work that outlives its response (background tasks) reports
  // errors: the Application's AppConfig::log, set when it builds this
  // loop's app; null means stderr. Kept here, per loop, so a request
  // pays nothing to carry it.
  const std::function<void(std::string_view)>* log = nullptr;

  template <class F>
  auto run(F&& f);
  // Resumes the awaiting coroutine on a later turn of this loop, after
  // whatever the current turn writes has gone out. Loop thread only.
  auto next_turn() {
    struct Awaiter {
      LoopExecutor& ex;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) {
        ++ex.outstanding_;
        ex.post(h);
      }
      void await_resume() const noexcept {}
    };
    return Awaiter{*this};
  }

 private:
  // Any thread: resume `h` on the loop thread (the end of a run() job).
  void post(std::coroutine_handle<> h);
  static void on_async(uv_async_t* a);
  uv_loop_t* loop_;
  ThreadPool& pool_;
  uv_async_t* async_;  // heap: must outlive this object until its close callback
  std::mutex mu_;
  std::vector<std::coroutine_handle<>> ready_;
  std::vector<std::coroutine_handle<>> draining_;
  size_t outstanding_ = 0;  // jobs submitted and not yet resumed (loop thread only)
  bool close_requested_ = false;
  bool closed_ = false;
};

template <class F>
auto LoopExecutor::run(F&& f) {
  using R = std::invoke_result_t<F&>;
  struct Awaiter {
    LoopExecutor& ex;
    F& fn;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
    std::exception_ptr error;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      ++ex.outstanding_;
      ex.pool_.submit([this, h] {
        try {
          if constexpr (std::is_void_v<R>) fn();
          else result.emplace(fn());
        } catch (...) {
          error = std::current_exception();
        }
        ex.post(h);
      });
    }
    R await_resume() {
      if (error) std::rethrow_exception(error);
      if constexpr (!std::is_void_v<R>) return std::move(*result);
    }
  };
  return Awaiter{*this, f, {}, {}};
}

}  // namespace strata::app
