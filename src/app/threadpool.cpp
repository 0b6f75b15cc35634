#include "app/threadpool.hpp"

#include "app/context.hpp"

namespace strata::app {

ThreadPool::ThreadPool(unsigned threads) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(mu_);
          cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
          if (jobs_.empty()) return;  // stopping and drained
          job = std::move(jobs_.front());
          jobs_.pop_front();
        }
        job();
      }
    });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

LoopExecutor::LoopExecutor(uv_loop_t* loop, ThreadPool& pool) : loop_(loop), pool_(pool), async_(new uv_async_t) {
  uv_async_init(loop, async_, on_async);
  async_->data = this;
}

LoopExecutor::~LoopExecutor() {
  close();
  // A router served later on this thread without an Application must not
  // find this executor.
  if (loop_context().executor == this) loop_context().executor = nullptr;
}

void LoopExecutor::close() {
  close_requested_ = true;
  if (closed_ || outstanding_ > 0) return;
  closed_ = true;
  async_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

void LoopExecutor::post(std::coroutine_handle<> h) {
  {
    std::lock_guard lock(mu_);
    ready_.push_back(h);
  }
  uv_async_send(async_);
}

void LoopExecutor::on_async(uv_async_t* a) {
  auto* self = static_cast<LoopExecutor*>(a->data);
  if (!self) return;
  {
    std::lock_guard lock(self->mu_);
    self->draining_.swap(self->ready_);
  }
  // Resuming may lead to new posts; they land in ready_ and wake us again.
  self->outstanding_ -= self->draining_.size();
  for (auto h : self->draining_) h.resume();
  self->draining_.clear();
  if (self->close_requested_ && self->outstanding_ == 0) self->close();
}

}  // namespace strata::app
