// UringConnection<P>: the io_uring transport's loop::Stream, the twin of
// TcpConnection<P> (loop/server.hpp) with the same protocol interface, so
// tiers 2-4 run on it unchanged.
//
// Lifetimes: one heap object per connection (socket, ring operations,
// buffers and protocol embedded). close() cancels every ring operation on
// the socket; the socket is closed and the protocol told (on_closed) only
// once each of them has called back, and the object is freed when the
// protocol then lets go (release()), as TcpConnection is in uv_close's
// callback. Callbacks come only from Worker's ring loop, never from inside
// a call the protocol makes.
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/probe.hpp"
#include "loop/server.hpp"
#include "loop/stream.hpp"
#include "loop/uring.hpp"

namespace strata::loop {

template <class P>
class UringConnection final : public Stream, public ConnectionNode {
 public:
  UringConnection(Worker& worker, Ring& ring, int fd, typename P::Context& ctx, size_t read_capacity)
      : Stream(read_capacity), worker_(worker), ring_(ring), fd_(fd), proto_(*this, ctx) {
    for (Ring::Op* op : {&recv_op_, &send_op_, &pause_op_, &close_op_, &deliver_op_, &splice_in_op_, &splice_out_op_})
      op->owner = this;
    splice_in_op_.done = on_spliced_in;
    splice_out_op_.done = on_spliced_out;
    recv_op_.done = on_recv;
    send_op_.done = on_send;
    pause_op_.done = on_paused;
    close_op_.done = on_cancelled;
    deliver_op_.done = on_posted;
    worker_.link(this);
  }

  // Takes ownership of an accepted socket and starts serving it.
  static void accept_from(Worker& worker, Ring& ring, int fd, typename P::Context& ctx, size_t cap) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new UringConnection(worker, ring, fd, ctx, cap);
    socklen_t len = sizeof c->peer;
    ::getpeername(fd, reinterpret_cast<sockaddr*>(&c->peer), &len);
    len = sizeof c->local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&c->local), &len);
    c->set_reading(true);
  }

  void flush() override {
    if (closing_ || writing_ || hold_ || out_[pending_].empty()) return;
    probe::Span span(probe::Phase::write);
    // Queued, not sent: it leaves with every other connection's output in
    // the iteration's io_uring_enter (uring.hpp: or earlier in a long one).
    sent_ = 0;
    writing_ = true;
    send_watch_.restart();
    ++ops_;
    ring_.send(send_op_, fd_, out_[pending_].data(), out_[pending_].size());
    pending_ ^= 1;
  }

  // io_uring has no sendfile: the file goes file -> pipe -> socket, two
  // splices on the ring, which is what sendfile does inside the kernel.
  // The pipe is made the first time a connection sends a file and kept
  // until it closes. A splice into a socket whose buffer is full waits in
  // one of io_uring's worker threads, not on the loop; close() cancels it.
  bool send_file(int fd, uint64_t offset, uint64_t count) override {
    if (closing_) return true;
    flush();
    if (count == 0) return !writing_;
    if (pipe_[0] < 0 && !open_pipe()) {
      close();
      return false;  // the close follows
    }
    file_fd_ = fd;
    file_off_ = offset;
    file_left_ = count;
    // Behind a send in flight, the file starts from on_send.
    if (writing_) return false;
    writing_ = true;
    send_watch_.restart();
    splice_in();
    return false;
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    reading_ = false;
    worker_.unlink(this);
    // Through the ring even when nothing is in flight, so the close
    // completes on a later turn, never inside this call (as uv_close).
    ++ops_;
    ring_.cancel_fd(close_op_, fd_);
  }

  void finish() override {
    set_reading(false);
    closing_after_write_ = true;
    flush();
    if (!writing_) close();
  }

  void set_reading(bool on) override {
    if (closing_ || on == reading_ || (on && closing_after_write_)) return;
    reading_ = on;
    if (on) {
      // Bytes or an end of stream held while paused are delivered from the
      // ring loop, not from inside this call.
      if ((!overflow_.empty() || eof_pending_) && ring_.post(deliver_op_)) ++ops_;
      if (!receiving_ && !eof_pending_) arm_recv();
    } else if (receiving_ && !pausing_) {
      // Stop the kernel reading for us, so TCP's window holds the peer back.
      pausing_ = true;
      ++ops_;
      ring_.cancel(pause_op_, recv_op_);
    }
  }

  // Closing after the last write counts as closed: no more input is taken.
  bool closed() const override { return closing_ || closing_after_write_; }

  void release() override {
    if (handle_closed_ && !proto_.busy()) delete this;
  }

  void tick(uint64_t now_ms) override {
    // Progress is bytes sent, file bytes included.
    if (writing_ && send_watch_.stalled(queued_bytes() - sent_ + file_left_ + piped_, now_ms,
                                        worker_.config().send_timeout_ms))
      return close();
    if (!closed()) proto_.on_tick(now_ms);
  }
  void stop() override { if (!closed()) proto_.on_stop(); }
  void abort() override { close(); }

 private:
  static UringConnection* self(Ring::Op* op) { return static_cast<UringConnection*>(op->owner); }

  void arm_recv() {
    receiving_ = true;
    ++ops_;
    ring_.recv(recv_op_, fd_);
  }

  // Moves held bytes into the read buffer and hands them to the protocol
  // while it reads and has room; then the end of stream, if one came.
  void deliver() {
    while (reading_ && !closing_ && !overflow_.empty() && in.free_space() > 0) {
      const size_t n = in.append(overflow_);
      overflow_.erase(0, n);
      proto_.on_data();
    }
    if (closing_ || !reading_) return;
    if (!overflow_.empty()) return set_reading(false);  // the read buffer is full: libuv's UV_ENOBUFS
    if (std::exchange(eof_pending_, false)) {
      set_reading(false);
      proto_.on_eof();
    }
  }

  static void on_recv(Ring::Op* op, int res, const char* data, bool more) {
    auto* c = self(op);
    if (!more) {
      c->receiving_ = false;
      --c->ops_;
    }
    if (c->closing_) return c->maybe_finalize();
    if (res > 0) {
      const std::string_view bytes(data, static_cast<size_t>(res));
      if (c->reading_ && c->overflow_.empty()) {
        // The usual case: straight into the read buffer.
        const size_t n = c->in.append(bytes);
        if (n < bytes.size()) c->overflow_.append(bytes.substr(n));
        if (n > 0) c->proto_.on_data();
        if (!c->closing_) c->deliver();
      } else {
        // Behind what is held back: bytes keep their order.
        c->overflow_.append(bytes);
        if (c->reading_) c->deliver();
      }
    } else if (res == 0) {
      c->eof_pending_ = true;
      if (c->reading_) c->deliver();
    } else if (res != -ECANCELED && res != -ENOBUFS) {
      c->close();
    }
    if (c->closing_) return c->maybe_finalize();
    // Ended with nothing to report (the buffer pool ran dry, or a pause's
    // cancel that the protocol has since undone): receive again.
    if (!c->receiving_ && c->reading_ && !c->pausing_ && !c->eof_pending_) c->arm_recv();
  }

  static void on_send(Ring::Op* op, int res, const char*, bool) {
    auto* c = self(op);
    --c->ops_;
    std::string& inflight = c->out_[c->pending_ ^ 1];
    if (res > 0 && !c->closing_ && c->sent_ + static_cast<size_t>(res) < inflight.size()) {
      // The socket took part of it: send the rest.
      c->sent_ += static_cast<size_t>(res);
      ++c->ops_;
      c->ring_.send(c->send_op_, c->fd_, inflight.data() + c->sent_, inflight.size() - c->sent_);
      return;
    }
    c->writing_ = false;
    c->sent_ = 0;
    inflight.clear();
    if (res <= 0 || c->closing_) {
      c->close();
      return c->maybe_finalize();
    }
    if (c->file_fd_ >= 0) {
      // A file queued behind this send goes now.
      c->writing_ = true;
      return c->splice_in();
    }
    c->after_send();
  }

  bool open_pipe() {
    if (::pipe2(pipe_, O_CLOEXEC) != 0) {
      pipe_[0] = pipe_[1] = -1;
      return false;
    }
    // A larger pipe moves more per pair of splices; the default (64 KiB)
    // when the user's pipe quota says no.
    ::fcntl(pipe_[1], F_SETPIPE_SZ, 256 * 1024);
    const int size = ::fcntl(pipe_[1], F_GETPIPE_SZ);
    pipe_size_ = size > 0 ? static_cast<unsigned>(size) : 65536;
    return true;
  }

  void splice_in() {
    const unsigned n = file_left_ < pipe_size_ ? static_cast<unsigned>(file_left_) : pipe_size_;
    ++ops_;
    ring_.splice(splice_in_op_, file_fd_, static_cast<int64_t>(file_off_), pipe_[1], n);
  }

  void splice_out() {
    ++ops_;
    ring_.splice(splice_out_op_, pipe_[0], -1, fd_, piped_);
  }

  static void on_spliced_in(Ring::Op* op, int res, const char*, bool) {
    auto* c = self(op);
    --c->ops_;
    if (c->closing_) return c->maybe_finalize();
    if (res <= 0) {
      // 0: the file is shorter than promised; the length cannot be met.
      c->close();
      return c->maybe_finalize();
    }
    c->file_off_ += static_cast<uint64_t>(res);
    c->file_left_ -= static_cast<uint64_t>(res);
    c->piped_ = static_cast<unsigned>(res);
    c->splice_out();
  }

  static void on_spliced_out(Ring::Op* op, int res, const char*, bool) {
    auto* c = self(op);
    --c->ops_;
    if (c->closing_) return c->maybe_finalize();
    if (res <= 0) {
      c->close();
      return c->maybe_finalize();
    }
    c->piped_ -= static_cast<unsigned>(res);
    if (c->piped_ > 0) return c->splice_out();
    if (c->file_left_ > 0) return c->splice_in();
    c->file_fd_ = -1;
    c->writing_ = false;
    c->after_send();
  }

  // A send (or a file) completed with nothing in flight.
  void after_send() {
    auto* c = this;
    // What queued meanwhile goes next; else this is the drain.
    if (!c->out_[c->pending_].empty()) c->flush();
    if (c->writing_ || c->closing_) return;
    if (c->closing_after_write_) return c->close();
    c->proto_.on_drained();
  }

  static void on_paused(Ring::Op* op, int, const char*, bool) {
    auto* c = self(op);
    --c->ops_;
    c->pausing_ = false;
    if (c->closing_) return c->maybe_finalize();
    // The protocol may have resumed while the cancel was on its way.
    if (c->reading_ && !c->receiving_ && !c->eof_pending_) c->arm_recv();
  }

  static void on_cancelled(Ring::Op* op, int, const char*, bool) {
    auto* c = self(op);
    --c->ops_;
    c->maybe_finalize();
  }

  static void on_posted(Ring::Op* op, int, const char*, bool) {
    auto* c = self(op);
    --c->ops_;
    if (c->closing_) return c->maybe_finalize();
    c->deliver();
    if (c->closing_) return c->maybe_finalize();
  }

  void maybe_finalize() {
    if (!closing_ || ops_ > 0 || handle_closed_) return;
    ::close(fd_);
    for (int& p : pipe_)
      if (p >= 0) ::close(std::exchange(p, -1));
    handle_closed_ = true;
    proto_.on_closed();
    release();  // may free this
  }

  Worker& worker_;
  Ring& ring_;
  int fd_;
  Ring::Op recv_op_, send_op_, pause_op_, close_op_, deliver_op_, splice_in_op_, splice_out_op_;
  // A file being sent (send_file): its descriptor (borrowed), the next
  // offset, bytes not yet in the pipe, bytes in it; the pipe itself.
  int file_fd_ = -1;
  uint64_t file_off_ = 0;
  uint64_t file_left_ = 0;
  unsigned piped_ = 0;
  int pipe_[2] = {-1, -1};
  unsigned pipe_size_ = 65536;
  // Received and not yet in the read buffer: held while the protocol is
  // paused or its buffer is full (allocates only then).
  std::string overflow_;
  size_t sent_ = 0;  // bytes of the in-flight buffer already sent
  int ops_ = 0;      // ring operations (and posts) that will still call back
  bool reading_ = false;
  bool receiving_ = false;
  bool pausing_ = false;
  bool eof_pending_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closing_after_write_ = false;
  bool handle_closed_ = false;
  SendWatch send_watch_;
  P proto_;
};

}  // namespace strata::loop
