#include "loop/uring.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace strata::loop {

namespace {

// Submission queue size: enough for every connection's send and receive in
// one iteration at the loads strata serves; when it fills, the queue is
// submitted early (one more io_uring_enter, not an error).
constexpr unsigned kEntries = 1024;
// The provided buffer ring: bytes are copied out in the completion and the
// buffer goes straight back, so the pool only has to cover one iteration's
// receives across all connections.
constexpr unsigned kBuffers = 512;
constexpr unsigned kBufferSize = 4096;
constexpr int kBufferGroup = 0;
// How long the completions of one iteration may run before the sends they
// queued go to the kernel: everything queued is handed over in one
// io_uring_enter at the end of the iteration, so without a bound the first
// connection's answers wait for every other connection's work. Pipelined
// batches of 16 requests per receive made that wait the limit of a
// closed-loop client (35% fewer requests a second than over libuv); a
// single request per receive rarely reaches the bound, so the calls saved
// stay saved. docs/where-the-time-goes.md has the figures (50 us gained
// nothing there: the whole iteration was shorter).
constexpr uint64_t kBatchBudgetNs = 20'000;

// A descriptor watch started or changed from a ring callback (a database
// connection's uv_poll_start) reaches libuv's epoll set only when libuv next
// polls; until then the ring would wait without it. libuv 1.44 exposes no
// call for "changes pending", so this reads its queue head: empty when it
// points at itself.
bool watchers_changed(const uv_loop_t* loop) {
  return loop->watcher_queue[0] != static_cast<const void*>(&loop->watcher_queue);
}

std::string sentence(const char* what, int err) { return std::string(what) + ": " + std::strerror(err); }

}  // namespace

struct Ring::Impl {
  io_uring ring{};
  io_uring_buf_ring* buf_ring = nullptr;
  char* buffers = nullptr;
  // libuv's epoll descriptor, watched from the ring.
  Op uv_poll{};
  Op uv_cancel{};
  bool uv_armed = false;
  bool uv_cancelling = false;
  bool uv_due = false;
  bool ring_ok = false;

  ~Impl() {
    if (ring_ok) io_uring_queue_exit(&ring);
    if (buf_ring) ::munmap(buf_ring, kBuffers * sizeof(io_uring_buf));
    std::free(buffers);
  }

  io_uring_sqe* sqe() {
    io_uring_sqe* s = io_uring_get_sqe(&ring);
    if (s == nullptr) {
      // Full: hand what is queued to the kernel now, then there is room.
      io_uring_submit(&ring);
      s = io_uring_get_sqe(&ring);
    }
    return s;  // non-null: the queue was just emptied
  }

  void recycle(unsigned bid) {
    io_uring_buf_ring_add(buf_ring, buffers + static_cast<size_t>(bid) * kBufferSize, kBufferSize,
                          static_cast<unsigned short>(bid), io_uring_buf_ring_mask(kBuffers), 0);
    io_uring_buf_ring_advance(buf_ring, 1);
  }
};

Ring::Ring(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ring::~Ring() = default;

std::unique_ptr<Ring> Ring::create(std::string& why) {
  if (const char* fail = std::getenv("STRATA_IO_URING_FAIL"); fail && *fail && std::strcmp(fail, "0") != 0) {
    why = "io_uring is unavailable: io_uring_queue_init was made to fail (STRATA_IO_URING_FAIL is set)";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  io_uring_params p{};
  // Completions are run only when this thread asks for them (no
  // interrupting task work), by the one thread that enables the ring.
  p.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
            IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
  p.cq_entries = kEntries * 4;  // multishot receives post many completions per submission
  int r = io_uring_queue_init_params(kEntries, &impl->ring, &p);
  if (r == -EINVAL) {
    // An older kernel without the task-run flags: still correct, a little slower.
    p = {};
    p.flags = IORING_SETUP_R_DISABLED | IORING_SETUP_CQSIZE;
    p.cq_entries = kEntries * 4;
    r = io_uring_queue_init_params(kEntries, &impl->ring, &p);
  }
  if (r < 0) {
    why = r == -EPERM    ? "io_uring is unavailable: the kernel refused it (EPERM: sysctl kernel.io_uring_disabled, or a seccomp filter)"
          : r == -ENOSYS ? "io_uring is unavailable: this kernel has no io_uring (ENOSYS; too old, or blocked by seccomp)"
                         : sentence("io_uring is unavailable: io_uring_queue_init failed", -r);
    return nullptr;
  }
  impl->ring_ok = true;
  if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_FAST_POLL)) {
    why = "io_uring is unavailable: this kernel's io_uring is too old (it needs 5.19 or later)";
    return nullptr;
  }
  void* mem = ::mmap(nullptr, kBuffers * sizeof(io_uring_buf), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) {
    why = sentence("io_uring is unavailable: cannot map its buffer ring", errno);
    return nullptr;
  }
  impl->buf_ring = static_cast<io_uring_buf_ring*>(mem);
  impl->buffers = static_cast<char*>(std::aligned_alloc(4096, static_cast<size_t>(kBuffers) * kBufferSize));
  if (impl->buffers == nullptr) {
    why = "io_uring is unavailable: out of memory for its receive buffers";
    return nullptr;
  }
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uintptr_t>(impl->buf_ring);
  reg.ring_entries = kBuffers;
  reg.bgid = kBufferGroup;
  if (r = io_uring_register_buf_ring(&impl->ring, &reg, 0); r < 0) {
    why = sentence("io_uring is unavailable: the kernel has no provided buffer rings (5.19 or later)", -r);
    return nullptr;
  }
  io_uring_buf_ring_init(impl->buf_ring);
  for (unsigned i = 0; i < kBuffers; ++i)
    io_uring_buf_ring_add(impl->buf_ring, impl->buffers + static_cast<size_t>(i) * kBufferSize, kBufferSize,
                          static_cast<unsigned short>(i), io_uring_buf_ring_mask(kBuffers), static_cast<int>(i));
  io_uring_buf_ring_advance(impl->buf_ring, kBuffers);
  return std::unique_ptr<Ring>(new Ring(std::move(impl)));
}

void Ring::accept(Op& op, int listen_fd) {
  io_uring_sqe* s = impl_->sqe();
  io_uring_prep_multishot_accept(s, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data(s, &op);
  ++in_flight_;
}

void Ring::recv(Op& op, int fd) {
  io_uring_sqe* s = impl_->sqe();
  io_uring_prep_recv_multishot(s, fd, nullptr, 0, 0);
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = kBufferGroup;
  io_uring_sqe_set_data(s, &op);
  ++in_flight_;
}

void Ring::send(Op& op, int fd, const char* data, size_t n) {
  io_uring_sqe* s = impl_->sqe();
  io_uring_prep_send(s, fd, data, n, MSG_NOSIGNAL);
  io_uring_sqe_set_data(s, &op);
  ++in_flight_;
}

void Ring::splice(Op& op, int fd_in, int64_t off_in, int fd_out, unsigned n) {
  io_uring_sqe* s = impl_->sqe();
  io_uring_prep_splice(s, fd_in, off_in, fd_out, -1, n, SPLICE_F_MOVE);
  io_uring_sqe_set_data(s, &op);
  ++in_flight_;
}

void Ring::cancel(Op& op, const Op& target) {
  io_uring_sqe* s = impl_->sqe();
  io_uring_prep_cancel(s, const_cast<Op*>(&target), IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data(s, &op);
  ++in_flight_;
}

void Ring::cancel_fd(Op& op, int fd) {
  io_uring_sqe* s = impl_->sqe();
  io_uring_prep_cancel_fd(s, fd, IORING_ASYNC_CANCEL_ALL);
  io_uring_sqe_set_data(s, &op);
  ++in_flight_;
}

bool Ring::post(Op& op) {
  if (op.posted) return false;
  op.posted = true;
  op.next_posted = nullptr;
  if (posted_tail_) posted_tail_->next_posted = &op; else posted_head_ = &op;
  posted_tail_ = &op;
  return true;
}

void Ring::drain_posted() {
  while (Op* op = posted_head_) {
    posted_head_ = op->next_posted;
    if (!posted_head_) posted_tail_ = nullptr;
    op->posted = false;
    op->done(op, kPosted, nullptr, false);  // may free op's owner
  }
}

int Ring::run(uv_loop_t* loop) {
  Impl& im = *impl_;
  // liburing 2.3's shared library does not export io_uring_enable_rings.
  if (::syscall(__NR_io_uring_register, im.ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) < 0) return -errno;
  im.uv_poll.owner = &im;
  im.uv_poll.done = [](Op* op, int res, const char*, bool more) {
    auto* impl = static_cast<Impl*>(op->owner);
    if (res >= 0) impl->uv_due = true;
    if (!more) impl->uv_armed = false;
  };
  im.uv_cancel.owner = &im;
  im.uv_cancel.done = [](Op* op, int, const char*, bool) { static_cast<Impl*>(op->owner)->uv_cancelling = false; };
  const int uv_fd = uv_backend_fd(loop);

  for (;;) {
    drain_posted();
    if (uv_loop_alive(loop)) {
      uv_update_time(loop);
      if (im.uv_due || uv_backend_timeout(loop) == 0 || watchers_changed(loop)) {
        im.uv_due = false;
        uv_run(loop, UV_RUN_NOWAIT);
        drain_posted();
      }
    }
    const bool uv_alive = uv_loop_alive(loop);
    if (uv_alive && !im.uv_armed) {
      io_uring_sqe* s = im.sqe();
      io_uring_prep_poll_multishot(s, uv_fd, POLLIN);
      io_uring_sqe_set_data(s, &im.uv_poll);
      ++in_flight_;
      im.uv_armed = true;
    }
    if (!uv_alive) {
      // libuv is done; what is left is the ring's own work. Its watch on
      // libuv goes last, by cancellation, so nothing is left in flight.
      const size_t own = (im.uv_armed ? 1 : 0) + (im.uv_cancelling ? 1 : 0);
      if (in_flight_ == own) {
        if (own == 0) break;
        if (im.uv_armed && !im.uv_cancelling) {
          io_uring_sqe* s = im.sqe();
          io_uring_prep_cancel(s, &im.uv_poll, IORING_ASYNC_CANCEL_ALL);
          io_uring_sqe_set_data(s, &im.uv_cancel);
          ++in_flight_;
          im.uv_cancelling = true;
        }
      }
    }
    const int timeout_ms = uv_alive ? uv_backend_timeout(loop) : -1;
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
    io_uring_cqe* first = nullptr;
    int r = io_uring_submit_and_wait_timeout(&im.ring, &first, 1, timeout_ms >= 0 ? &ts : nullptr, nullptr);
    if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY) return r;

    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    uint64_t batch_start = uv_hrtime();
    io_uring_for_each_cqe(&im.ring, head, cqe) {
      ++seen;
      if (io_uring_sq_ready(&im.ring) > 0) {
        const uint64_t now = uv_hrtime();
        if (now - batch_start >= kBatchBudgetNs) {
          io_uring_submit(&im.ring);  // an error shows at the iteration's own submit
          batch_start = now;
        }
      }
      auto* op = static_cast<Op*>(io_uring_cqe_get_data(cqe));
      const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
      if (!more) --in_flight_;
      if (cqe->flags & IORING_CQE_F_BUFFER) {
        const unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        const char* data = im.buffers + static_cast<size_t>(bid) * kBufferSize;
        op->done(op, cqe->res, data, more);
        im.recycle(bid);
      } else {
        op->done(op, cqe->res, nullptr, more);
      }
    }
    io_uring_cq_advance(&im.ring, seen);
  }
  return 0;
}

}  // namespace strata::loop
