// Task<T>: the coroutine type of the ASGI-like boundary, the C++ analog of a
// Python `async def`.
//
// Contract:
//  - Lazy: nothing runs until the Task is co_awaited or start()ed.
//  - A Task owns its coroutine frame and destroys it when the Task dies;
//    an awaiting coroutine resumes by symmetric transfer (no stack growth).
//  - Exceptions thrown inside propagate to whoever co_awaits the Task; a
//    root Task keeps its exception for the owner to inspect via error().
//  - Frames come from a per-thread pool of recycled blocks, so a steady
//    stream of requests allocates no heap memory for coroutine frames.
//  - A root Task may be resumed and finish on any thread, but its owner
//    must not destroy it while it is running.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

namespace strata {

// Per-thread recycling allocator for coroutine frames.
void* frame_alloc(std::size_t n);
void frame_free(void* p, std::size_t n) noexcept;
// Whether freed frames are kept for reuse (the default) or given back to
// the heap, so that every frame is a fresh allocation: the ablation
// alloc=per-request. Process-wide; set while a stack is built, before it
// serves, never while frames are being allocated on other threads.
void set_frame_pooling(bool on);

namespace detail {

struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;
  void (*on_done)(void*) = nullptr;  // for root tasks started with start()
  void* done_ctx = nullptr;

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      PromiseBase& p = h.promise();
      if (p.continuation) return p.continuation;
      // Root task: the callback may destroy this very frame, so read
      // everything it needs first and touch nothing afterwards.
      if (auto cb = p.on_done) cb(p.done_ctx);
      return std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

}  // namespace detail

template <class T = void>
class Task;

namespace detail {

// The promise differs between Task<T> and Task<void> only in how the
// result is kept; the Task itself is one template.
template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <class U>
  void return_value(U&& v) { value.emplace(std::forward<U>(v)); }
  T take() { return std::move(*value); }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object();
  void return_void() noexcept {}
  void take() noexcept {}
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;

  Task() = default;
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) { reset(); h_ = std::exchange(o.h_, {}); }
    return *this;
  }
  ~Task() { reset(); }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    h_.promise().continuation = awaiting;
    return h_;
  }
  T await_resume() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
    return h_.promise().take();
  }

  // Runs a root task until its first suspension; `on_done(ctx)` is called
  // when it finishes (possibly before start() returns).
  void start(void (*on_done)(void*), void* ctx) {
    h_.promise().on_done = on_done;
    h_.promise().done_ctx = ctx;
    h_.resume();
  }
  explicit operator bool() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }
  std::exception_ptr error() const noexcept { return h_ ? h_.promise().error : nullptr; }
  void reset() {
    if (h_) h_.destroy();
    h_ = {};
  }

 private:
  friend promise_type;
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  std::coroutine_handle<promise_type> h_;
};

namespace detail {

template <class T>
Task<T> Promise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}

inline Task<void> Promise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

}  // namespace detail

}  // namespace strata
