// The io_uring transport's ring: one per worker, beside the worker's libuv
// loop (loop/uring_connection.hpp has the loop::Stream over it).
//
// Chosen once at start-up (ServerConfig::io); a libuv worker never touches
// any of this, so the libuv path has no branch per request.
//
// How the two loops share a thread: the ring is the one that blocks. Each
// iteration makes one io_uring_enter that submits every operation queued
// since the last one (all connections' sends, re-armed receives) and waits
// for completions, bounded by libuv's next timer. An iteration whose
// completions take longer than 20 us to handle hands its queued sends over
// early, without waiting, so that batching never holds answers back long. libuv's own descriptor
// (its epoll set: the wake-up async, the thread pool's results, app timers
// on fds) is watched by a poll on the ring, and uv_run(UV_RUN_NOWAIT) runs
// only when that poll fires, a libuv timer is due or a callback changed
// libuv's watches, so a request costs no epoll_wait.
//
// Threading: create() may run on any thread; from run() on, the ring and
// every Op on it belong to the thread that called run().
//
// Receiving: one multishot receive per connection from a ring of buffers
// the kernel picks from (a provided buffer ring); the bytes are copied into
// the Stream's ReadBuffer in the completion, so they appear there only when
// the transport delivers them, exactly as on libuv (an in-flight receive
// into ReadBuffer itself would race with the protocol compacting it).
//
// Lifetimes: every operation is an Op embedded in its owner. The ring
// counts operations submitted and not finally completed; an owner is freed
// only once its operations have all completed (cancellations included),
// and run() returns only when the count is zero and libuv's loop is done.
// No header here includes <liburing.h>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <uv.h>

namespace strata::loop {

class Ring {
 public:
  // An operation's completion. `res` is the CQE's result (bytes, a
  // descriptor, or -errno); `data` points at the received bytes for a
  // receive that got some (valid during the call only); `more` is true when
  // a multishot operation stays armed. Ops handed to post() are called with
  // res == kPosted.
  struct Op {
    void (*done)(Op* op, int res, const char* data, bool more) = nullptr;
    void* owner = nullptr;  // for done() to find the object the op is part of
    Op* next_posted = nullptr;
    bool posted = false;
  };
  static constexpr int kPosted = INT32_MIN;

  // Creates a ring disabled until enable() (io_uring binds a ring to the
  // thread that enables it, and workers are built on the main thread).
  // nullptr with one sentence in `why` when the kernel refuses io_uring.
  // STRATA_IO_URING_FAIL=1 in the environment makes it refuse: a test hook.
  static std::unique_ptr<Ring> create(std::string& why);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // Queued operations go to the kernel at the next iteration's io_uring_enter.
  void accept(Op& op, int listen_fd);          // multishot
  void recv(Op& op, int fd);                   // multishot, provided buffers
  void send(Op& op, int fd, const char* data, size_t n);
  // splice(2): `n` bytes from `fd_in` (at `off_in`, or -1 for a pipe) to
  // `fd_out` (a pipe or a socket); how a file reaches a socket uncopied.
  void splice(Op& op, int fd_in, int64_t off_in, int fd_out, unsigned n);
  void cancel(Op& op, const Op& target);       // cancels every operation of `target`
  void cancel_fd(Op& op, int fd);              // cancels every operation on `fd`
  // Calls op.done(kPosted) later in this iteration, not from inside this
  // call; false (and nothing new) if the op is already posted.
  bool post(Op& op);

  // Runs until `loop` has nothing alive and no operation is in flight.
  // Returns 0, or -errno if the ring failed (then the process cannot go on).
  int run(uv_loop_t* loop);

  // Operations submitted (or queued) and not finally completed.
  size_t in_flight() const { return in_flight_; }

 private:
  struct Impl;
  explicit Ring(std::unique_ptr<Impl> impl);
  void drain_posted();
  std::unique_ptr<Impl> impl_;
  size_t in_flight_ = 0;
  Op* posted_head_ = nullptr;
  Op* posted_tail_ = nullptr;
};

}  // namespace strata::loop
