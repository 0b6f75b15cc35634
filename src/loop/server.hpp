// Tier 1 plumbing shared by every protocol: listening sockets, one libuv loop
// per worker thread, the TCP connection object, and graceful stop.
//
// Threading: each Worker owns one uv_loop_t and everything on it; the only
// cross-thread entry points are Worker::request_stop() and Server::stop().
// Lifetimes: a connection is one heap object (handle, write request, buffers
// and protocol state embedded), freed only in its uv_close callback, and only
// once its protocol says no application code still refers to it.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/sendfile.h>
#include <fcntl.h>
#include <unistd.h>

#include <uv.h>

#include "common/probe.hpp"
#include "loop/stream.hpp"

namespace strata::loop {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8000;          // 0 picks a free port
  int workers = 1;               // event loops, one thread each, sharing the port
  // Deadline for in-flight responses after SIGINT/SIGTERM; it also bounds
  // the process: work still running then (a handler that sleeps) is
  // abandoned and the process exits.
  uint64_t graceful_ms = 10000;
  int backlog = 1024;
  // A connection whose output makes no progress for this long (the peer
  // does not read) is closed. Checked by the worker's tick.
  uint64_t send_timeout_ms = 10000;
  // Open connections across every worker; above it, new connections are
  // accepted and closed at once, so a flood of them cannot use up the
  // process's descriptors. 0: no limit.
  size_t max_connections = 0;
  // The transport under every connection, chosen once at start-up: libuv
  // (the default, uvloop's twin) or io_uring (loop/uring.hpp). A uring
  // worker's listen() fails with a sentence if the kernel refuses a ring.
  enum class Io { libuv, uring };
  Io io = Io::libuv;
};

class Ring;

// A node in a worker's list of live connections, so the worker can sweep
// timeouts and stop them without knowing their protocol.
class ConnectionNode {
 public:
  virtual ~ConnectionNode() = default;
  virtual void tick(uint64_t now_ms) = 0;  // periodic timeout check
  virtual void stop() = 0;                 // graceful stop: finish in-flight work, then close
  virtual void abort() = 0;                // deadline passed: close now
  ConnectionNode* prev = nullptr;
  ConnectionNode* next = nullptr;
};

class Worker {
 public:
  // `tick_ms` > 0 starts a repeating timer that drives on_tick() and every
  // connection's tick(); 0 means the protocol needs no timers at all.
  Worker(int index, const ServerConfig& config, unsigned tick_ms);
  virtual ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds and listens; with `reuseport` several workers share the address.
  // Returns 0 or a negative UV_E* code with a sentence in `error`.
  int listen(const sockaddr* addr, bool reuseport, std::string& error);
  uint16_t bound_port() const;

  void run();                 // runs the loop (and the ring, if any) until stop completes
  void request_stop();        // any thread; graceful, bounded by config.graceful_ms
  void request_abort();       // any thread; closes every connection now
  // After run(): uv_loop_close's result (0 = no leaked handles); with a
  // ring, UV_EBUSY while any ring operation is still in flight.
  int close_loop();

  uv_loop_t* loop() { return &loop_; }
  int index() const { return index_; }
  bool stopping() const { return stopping_; }
  const ServerConfig& config() const { return config_; }

  void link(ConnectionNode* c);
  void unlink(ConnectionNode* c);
  size_t connection_count() const { return count_; }
  // The server's count of open connections, shared by its workers for
  // ServerConfig::max_connections; it must outlive the worker.
  void share_connection_count(std::atomic<size_t>* total) { total_ = total; }

 protected:
  // Accept one pending connection from `listener` and start serving it.
  virtual void accept(uv_stream_t* listener) = 0;
  // The io_uring twin: serve the accepted socket `fd` (now the callee's).
  virtual void accept_uring(Ring& ring, int fd) = 0;
  virtual void on_tick(uint64_t /*now_ms*/) {}
  // Every connection is gone and the worker's own handles are closing: the
  // place to close handles of one's own, so the loop can end.
  virtual void on_stopped() {}

 private:
  static void on_connection(uv_stream_t* listener, int status);
  static void on_async(uv_async_t* a);
  void begin_stop();
  void maybe_finish_stop();
  int listen_uring(int fd, std::string& error);
  void on_uring_accept(int res, bool more);

  int index_;
  ServerConfig config_;
  unsigned tick_ms_;
  uv_loop_t loop_{};
  uv_tcp_t listener_{};
  uv_async_t wakeup_{};
  uv_timer_t tick_{};
  uv_timer_t deadline_{};
  bool listening_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  std::atomic<int> stop_requested_{0};  // 1 graceful, 2 abort
  uint64_t last_emfile_log_ = 0;
  ConnectionNode* head_ = nullptr;
  size_t count_ = 0;
  std::atomic<size_t>* total_ = nullptr;
  struct Uring;  // the ring and its listening socket, with ServerConfig::Io::uring
  std::unique_ptr<Uring> uring_;
};

// Runs N workers on N threads sharing one port and handles SIGINT/SIGTERM:
// the first signal stops gracefully, a second one aborts open connections.
class Server {
 public:
  using WorkerFactory = std::function<std::unique_ptr<Worker>(int index, const ServerConfig&)>;
  Server(ServerConfig config, WorkerFactory factory);
  ~Server();

  // Creates and binds every worker. On failure (including a factory that
  // throws, e.g. an app whose start-up failed) returns false with a
  // one-line reason in `error`.
  bool listen(std::string& error);
  uint16_t port() const { return port_; }
  const ServerConfig& config() const { return config_; }

  // Blocks until stopped by a signal or stop(); returns the process exit code.
  // SIGINT/SIGTERM are watched from the end of a successful listen() on.
  int run();
  void stop();  // any thread, after listen()

 private:
  ServerConfig config_;
  WorkerFactory factory_;
  std::atomic<size_t> connections_{0};  // declared before workers_: outlives them
  struct Control;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Control> ctl_;  // declared after workers_: destroyed before them
  uint16_t port_ = 0;

};

// The libuv TCP transport for protocol P. P must provide:
//   struct Context;                 per-worker state (codecs, app, options)
//   P(Stream&, Context&);
//   void on_data();                 new bytes are in stream.in
//   void on_eof();                  the peer will send nothing more
//   void on_drained();              every queued byte has been written
//   void on_tick(uint64_t now_ms);  periodic, for timeouts
//   void on_stop();                 graceful stop requested
//   void on_closed();               the handle is closed; no more I/O
//   bool busy() const;              application code still holds this stream
// The send timeout's clock, shared by the transports: a send whose bytes
// still to go have not changed for the timeout is a peer that reads
// nothing. restart() when a send starts; the next sample starts the clock.
class SendWatch {
 public:
  void restart() { left_ = SIZE_MAX; }
  // True when `left` is what it was for at least `timeout_ms`.
  bool stalled(size_t left, uint64_t now_ms, uint64_t timeout_ms) {
    if (left != left_) {
      left_ = left;
      since_ms_ = now_ms;
      return false;
    }
    return now_ms - since_ms_ >= timeout_ms;
  }

 private:
  size_t left_ = 0;
  uint64_t since_ms_ = 0;
};

template <class P>
class TcpConnection final : public Stream, public ConnectionNode {
 public:
  TcpConnection(Worker& worker, typename P::Context& ctx, size_t read_capacity)
      : Stream(read_capacity), worker_(worker), proto_(*this, ctx) {
    uv_tcp_init(worker.loop(), &tcp_);
    tcp_.data = this;
    worker_.link(this);
  }

  static void accept_from(Worker& worker, uv_stream_t* listener, typename P::Context& ctx, size_t cap) {
    auto* c = new TcpConnection(worker, ctx, cap);
    if (uv_accept(listener, c->stream()) != 0) return c->close();
    uv_tcp_nodelay(&c->tcp_, 1);
    int len = sizeof c->peer;
    uv_tcp_getpeername(&c->tcp_, reinterpret_cast<sockaddr*>(&c->peer), &len);
    len = sizeof c->local;
    uv_tcp_getsockname(&c->tcp_, reinterpret_cast<sockaddr*>(&c->local), &len);
    c->set_reading(true);
  }

  void flush() override {
    if (closing_ || writing_ || hold_ || out_[pending_].empty()) return;
    std::string& out = out_[pending_];
    probe::Span span(probe::Phase::write);
    // Try the write now: a response usually fits the socket buffer, and
    // then no write request, callback or extra loop turn is needed.
    uv_buf_t buf = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
    const int sent = uv_try_write(stream(), &buf, 1);
    if (sent == static_cast<int>(out.size())) {
      out.clear();
      return;
    }
    if (sent < 0 && sent != UV_EAGAIN) return close();
    if (sent > 0) buf = uv_buf_init(out.data() + sent, static_cast<unsigned>(out.size() - static_cast<size_t>(sent)));
    if (uv_write(&write_req_, stream(), &buf, 1, on_write) != 0) return close();
    writing_ = true;
    send_watch_.restart();
    pending_ ^= 1;
  }

  // Why sendfile(2) on the loop thread, not uv_fs_sendfile: on Linux
  // libuv's version runs one sendfile per request on the thread pool and,
  // on a non-blocking socket whose buffer is full, completes with UV_EAGAIN
  // and leaves waiting for writability to the caller anyway; each piece
  // would cost a pool hop and share the pool's four threads with every
  // file open. A non-blocking sendfile never blocks the loop (it copies at
  // most the socket buffer's free space from the page cache, then EAGAIN),
  // and when the buffer is full a poll for writability takes over (as
  // nginx waits on epoll). The poll watches a dup of the socket: libuv
  // allows one watcher per descriptor number, and its stream owns the
  // socket's. A file not in the page cache can make one call wait on the
  // disk, as it does in nginx without its thread pool.
  bool send_file(int fd, uint64_t offset, uint64_t count) override {
    if (closing_) return true;
    flush();
    if (closing_) return true;
    file_fd_ = fd;
    file_off_ = offset;
    file_left_ = count;
    // Behind a write in flight, the file starts from on_write.
    if (writing_) return false;
    writing_ = true;
    send_watch_.restart();
    if (!pump_file()) return false;  // a poll, or the close, follows
    writing_ = false;
    return true;
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    worker_.unlink(this);
    file_fd_ = -1;
    if (poll_fd_ >= 0) {
      ++closes_pending_;
      uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_close);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_close);
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
      if (uv_read_start(stream(), on_alloc, on_read) != 0) close();
    } else {
      uv_read_stop(stream());
    }
  }

  // Closing after the last write counts as closed: no more input is taken.
  bool closed() const override { return closing_ || closing_after_write_; }

  // Called by the protocol when its application code let go of the stream.
  void release() override {
    if (handle_closed_ && !proto_.busy()) delete this;
  }

  void tick(uint64_t now_ms) override {
    // Progress is bytes leaving the write queue, or the file.
    if (writing_ && send_watch_.stalled(uv_stream_get_write_queue_size(stream()) + file_left_, now_ms,
                                        worker_.config().send_timeout_ms))
      return close();
    if (!closed()) proto_.on_tick(now_ms);
  }
  void stop() override { if (!closed()) proto_.on_stop(); }
  void abort() override { close(); }

 private:
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }
  static TcpConnection* self(void* handle) {
    return static_cast<TcpConnection*>(static_cast<uv_handle_t*>(handle)->data);
  }

  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* c = self(h);
    // A full buffer yields UV_ENOBUFS in on_read, which pauses reading
    // until the protocol has consumed something.
    *buf = uv_buf_init(c->in.tail(), static_cast<unsigned>(c->in.free_space()));
  }

  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
    auto* c = self(s);
    if (n > 0) {
      c->in.commit(static_cast<size_t>(n));
      c->proto_.on_data();
    } else if (n == UV_ENOBUFS) {
      c->set_reading(false);
    } else if (n == UV_EOF) {
      c->set_reading(false);
      c->proto_.on_eof();
    } else if (n < 0) {
      c->close();
    }
    // n == 0 is EAGAIN: nothing to do.
  }

  static void on_write(uv_write_t* req, int status) {
    auto* c = self(req->handle);
    c->writing_ = false;
    c->out_[c->pending_ ^ 1].clear();
    if (status < 0 || c->closing_) return c->close();
    if (c->file_fd_ >= 0) {
      // A file queued behind this write goes now.
      c->writing_ = true;
      if (!c->pump_file()) return;
      c->writing_ = false;
    }
    c->after_write();
  }

  // Sends file bytes until the file is done (true) or the socket is full
  // (false, a poll for writability armed) or the connection failed (false,
  // closing).
  bool pump_file() {
    int sock = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp_), &sock);
    while (file_left_ > 0) {
      off_t off = static_cast<off_t>(file_off_);
      // Linux caps one call at about 2 GiB.
      const size_t want = file_left_ < (size_t{1} << 30) ? static_cast<size_t>(file_left_) : (size_t{1} << 30);
      const ssize_t n = ::sendfile(sock, file_fd_, &off, want);
      if (n > 0) {
        file_off_ += static_cast<uint64_t>(n);
        file_left_ -= static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        if (wait_writable(sock)) return false;
      }
      // 0: the file is shorter than promised; any other error: the peer is gone.
      close();
      return false;
    }
    file_fd_ = -1;
    return true;
  }

  bool wait_writable(int sock) {
    if (poll_fd_ < 0) {
      const int dup = ::fcntl(sock, F_DUPFD_CLOEXEC, 0);
      if (dup < 0) return false;
      if (uv_poll_init(worker_.loop(), &poll_, dup) != 0) {
        ::close(dup);
        return false;
      }
      poll_fd_ = dup;
      poll_.data = this;
    }
    return uv_poll_start(&poll_, UV_WRITABLE | UV_DISCONNECT, on_writable) == 0;
  }

  static void on_writable(uv_poll_t* p, int status, int) {
    auto* c = self(p);
    uv_poll_stop(p);
    if (c->closing_) return;
    if (status < 0) return c->close();
    if (!c->pump_file()) return;
    c->writing_ = false;
    c->after_write();
  }

  // A write (or a file) completed with nothing in flight.
  void after_write() {
    auto* c = this;
    // What queued meanwhile goes next; if it went out at once, nothing more
    // will call back, so this is the drain.
    if (!c->out_[c->pending_].empty()) c->flush();
    if (c->writing_ || c->closing_) return;
    if (c->closing_after_write_) return c->close();
    c->proto_.on_drained();
  }

  static void on_close(uv_handle_t* h) {
    auto* c = self(h);
    // Every handle of the connection (the socket, and the poll if a file
    // ever waited) must be closed before it is freed.
    if (--c->closes_pending_ > 0) return;
    if (c->poll_fd_ >= 0) ::close(std::exchange(c->poll_fd_, -1));
    c->handle_closed_ = true;
    c->proto_.on_closed();
    c->release();
  }

  Worker& worker_;
  uv_tcp_t tcp_{};
  uv_write_t write_req_{};
  // A file being sent (send_file): its descriptor (borrowed), where the
  // next byte is and how many are left; the writability poll on a dup of
  // the socket, set up the first time the socket buffer fills.
  int file_fd_ = -1;
  uint64_t file_off_ = 0;
  uint64_t file_left_ = 0;
  uv_poll_t poll_{};
  int poll_fd_ = -1;
  int closes_pending_ = 1;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closing_after_write_ = false;
  bool handle_closed_ = false;
  SendWatch send_watch_;
  P proto_;
};

}  // namespace strata::loop
