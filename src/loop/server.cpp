#include "loop/server.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <csignal>
#include <utility>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop/uring.hpp"

namespace strata::loop {

// The io_uring side of a worker: its ring and its listening socket, served
// by a multishot accept.
struct Worker::Uring {
  std::unique_ptr<Ring> ring;
  Ring::Op accept_op, cancel_op;
  int listen_fd = -1;
  // Held open so that at EMFILE one descriptor can be freed to accept and
  // drop the pending connections (libuv does the same).
  int reserve_fd = -1;
  bool accepting = false;
  ~Uring() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (reserve_fd >= 0) ::close(reserve_fd);
  }
};

Worker::Worker(int index, const ServerConfig& config, unsigned tick_ms)
    : index_(index), config_(config), tick_ms_(tick_ms) {
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &wakeup_, on_async);
  wakeup_.data = this;
  uv_timer_init(&loop_, &deadline_);
  deadline_.data = this;
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;
  if (tick_ms_ > 0) {
    uv_timer_start(&tick_, [](uv_timer_t* t) {
      auto* w = static_cast<Worker*>(t->data);
      const uint64_t now = uv_now(&w->loop_);
      w->on_tick(now);
      for (ConnectionNode* c = w->head_; c != nullptr;) {
        ConnectionNode* next = c->next;  // tick may close and unlink c
        c->tick(now);
        c = next;
      }
    }, tick_ms_, tick_ms_);
    uv_unref(reinterpret_cast<uv_handle_t*>(&tick_));  // timers alone never keep a loop alive
  }
}

Worker::~Worker() {
  if (!finished_) {
    // Never ran (a failed listen): close what the constructor opened.
    auto noop = [](uv_handle_t*) {};
    uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), noop);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), noop);
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), noop);
    if (listening_ && !uring_) uv_close(reinterpret_cast<uv_handle_t*>(&listener_), noop);
    uv_run(&loop_, UV_RUN_DEFAULT);
    finished_ = true;
  }
  uv_loop_close(&loop_);
}

int Worker::listen(const sockaddr* addr, bool reuseport, std::string& error) {
  const int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("cannot create socket: ") + std::strerror(errno);
    return -errno;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // libuv 1.44 has no UV_TCP_REUSEPORT, so the socket is made here and handed over.
  if (reuseport) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  const socklen_t len = addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd, addr, len) != 0) {
    const int e = errno;
    ::close(fd);
    error = std::string("cannot bind: ") + std::strerror(e);
    return -e;
  }
  if (config_.io == ServerConfig::Io::uring) return listen_uring(fd, error);
  uv_tcp_init(&loop_, &listener_);
  listener_.data = this;
  listening_ = true;
  int r = uv_tcp_open(&listener_, fd);
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), config_.backlog, on_connection);
  if (r != 0) error = std::string("cannot listen: ") + uv_strerror(r);
  return r;
}

int Worker::listen_uring(int fd, std::string& error) {
  uring_ = std::make_unique<Uring>();
  uring_->listen_fd = fd;
  uring_->ring = Ring::create(error);
  if (!uring_->ring) return UV_ENOSYS;
  if (::listen(fd, config_.backlog) != 0) {
    const int e = errno;
    error = std::string("cannot listen: ") + std::strerror(e);
    return -e;
  }
  uring_->reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  listening_ = true;
  uring_->accept_op.owner = this;
  uring_->accept_op.done = [](Ring::Op* op, int res, const char*, bool more) {
    static_cast<Worker*>(op->owner)->on_uring_accept(res, more);
  };
  uring_->cancel_op.owner = this;
  uring_->cancel_op.done = [](Ring::Op*, int, const char*, bool) {};
  return 0;
}

void Worker::on_uring_accept(int res, bool more) {
  Uring& u = *uring_;
  if (!more) u.accepting = false;
  if (res >= 0) {
    const size_t max = config_.max_connections;
    // Stopping, or over the limit: closed at once, as on libuv.
    if (stopping_ || (max > 0 && total_ && total_->load(std::memory_order_relaxed) >= max)) ::close(res);
    else accept_uring(*u.ring, res);
  } else if (res == -EMFILE || res == -ENFILE) {
    const uint64_t now = uv_now(&loop_);
    if (now - last_emfile_log_ >= 1000 || last_emfile_log_ == 0) {
      last_emfile_log_ = now;
      std::fprintf(stderr, "strata: accept failed: %s\n", std::strerror(-res));
    }
    // Free the reserve, take the pending connections off the backlog and
    // drop them, so re-arming cannot spin on the same error.
    if (u.reserve_fd >= 0) ::close(u.reserve_fd);
    for (int fd; (fd = ::accept4(u.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) ::close(fd);
    u.reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  if (u.accepting) return;
  if (stopping_) {
    ::close(u.listen_fd);
    u.listen_fd = -1;
  } else {
    u.accepting = true;
    u.ring->accept(u.accept_op, u.listen_fd);
  }
}

uint16_t Worker::bound_port() const {
  sockaddr_storage ss{};
  if (uring_) {
    socklen_t slen = sizeof ss;
    if (::getsockname(uring_->listen_fd, reinterpret_cast<sockaddr*>(&ss), &slen) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  int len = sizeof ss;
  if (uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void Worker::on_connection(uv_stream_t* listener, int status) {
  auto* w = static_cast<Worker*>(listener->data);
  if (status < 0) {
    // EMFILE/ENFILE: libuv has already accepted and dropped the pending
    // connections with its reserve descriptor, so returning cannot spin.
    // Say so at most once a second.
    const uint64_t now = uv_now(&w->loop_);
    if (now - w->last_emfile_log_ >= 1000 || w->last_emfile_log_ == 0) {
      w->last_emfile_log_ = now;
      std::fprintf(stderr, "strata: accept failed: %s\n", uv_strerror(status));
    }
    return;
  }
  if (w->stopping_) return;
  const size_t max = w->config_.max_connections;
  if (max > 0 && w->total_ && w->total_->load(std::memory_order_relaxed) >= max) {
    // Over the limit: take the connection off the backlog and close it, so
    // the peer learns at once instead of waiting in a queue that never moves.
    auto* t = new uv_tcp_t;
    uv_tcp_init(&w->loop_, t);
    uv_accept(listener, reinterpret_cast<uv_stream_t*>(t));
    uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return;
  }
  w->accept(listener);
}

void Worker::on_async(uv_async_t* a) {
  auto* w = static_cast<Worker*>(a->data);
  const int req = w->stop_requested_.load();
  if (req >= 1) w->begin_stop();
  if (req >= 2) {
    for (ConnectionNode* c = w->head_; c != nullptr;) {
      ConnectionNode* next = c->next;
      c->abort();
      c = next;
    }
  }
}

void Worker::request_stop() {
  int expected = 0;
  stop_requested_.compare_exchange_strong(expected, 1);
  uv_async_send(&wakeup_);
}

void Worker::request_abort() {
  stop_requested_.store(2);
  uv_async_send(&wakeup_);
}

void Worker::begin_stop() {
  if (stopping_) return;
  stopping_ = true;
  if (uring_) {
    // The accept's last completion closes the listening socket.
    if (uring_->accepting) uring_->ring->cancel(uring_->cancel_op, uring_->accept_op);
    else if (uring_->listen_fd >= 0) ::close(std::exchange(uring_->listen_fd, -1));
  } else if (listening_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  }
  uv_timer_start(&deadline_, [](uv_timer_t* t) {
    auto* w = static_cast<Worker*>(t->data);
    for (ConnectionNode* c = w->head_; c != nullptr;) {
      ConnectionNode* next = c->next;
      c->abort();
      c = next;
    }
  }, config_.graceful_ms, 0);
  for (ConnectionNode* c = head_; c != nullptr;) {
    ConnectionNode* next = c->next;
    c->stop();
    c = next;
  }
  maybe_finish_stop();
}

void Worker::maybe_finish_stop() {
  if (!stopping_ || finished_ || head_ != nullptr) return;
  finished_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&wakeup_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  on_stopped();
}

void Worker::link(ConnectionNode* c) {
  c->prev = nullptr;
  c->next = head_;
  if (head_) head_->prev = c;
  head_ = c;
  ++count_;
  if (total_) total_->fetch_add(1, std::memory_order_relaxed);
}

void Worker::unlink(ConnectionNode* c) {
  if (c->prev) c->prev->next = c->next; else head_ = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = nullptr;
  --count_;
  if (total_) total_->fetch_sub(1, std::memory_order_relaxed);
  maybe_finish_stop();
}

void Worker::run() {
  if (!uring_) {
    uv_run(&loop_, UV_RUN_DEFAULT);
    return;
  }
  Uring& u = *uring_;
  if (!stopping_ && u.listen_fd >= 0) {
    u.accepting = true;
    u.ring->accept(u.accept_op, u.listen_fd);
  }
  if (const int r = u.ring->run(&loop_); r < 0) {
    // The ring itself failed (not one operation): nothing can be served.
    std::fprintf(stderr, "strata: io_uring failed: %s\n", std::strerror(-r));
    std::_Exit(1);
  }
}

int Worker::close_loop() {
  const int r = uv_loop_close(&loop_);
  if (r == 0 && uring_ && uring_->ring && uring_->ring->in_flight() != 0) return UV_EBUSY;
  return r;
}

// ---------------------------------------------------------------- Server

Server::Server(ServerConfig config, WorkerFactory factory)
    : config_(std::move(config)), factory_(std::move(factory)) {}

Server::~Server() = default;  // Control first closes its handles, then workers go

bool Server::listen(std::string& error) {
  if (config_.workers < 1) {
    error = "--workers must be at least 1";
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(config_.port);
  if (int rc = ::getaddrinfo(config_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    error = "cannot resolve host '" + config_.host + "': " + gai_strerror(rc);
    return false;
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);

  const bool reuseport = config_.workers > 1;
  for (int i = 0; i < config_.workers; ++i) {
    std::unique_ptr<Worker> w;
    try {
      w = factory_(i, config_);
    } catch (const std::exception& e) {
      error = std::string("start-up failed: ") + e.what();
      return false;
    }
    // Counted across workers only when limited: otherwise every accept and
    // close would touch a shared cache line for nothing.
    if (config_.max_connections > 0) w->share_connection_count(&connections_);
    std::string why;
    if (w->listen(reinterpret_cast<sockaddr*>(&addr), reuseport, why) != 0) {
      error = "cannot listen on " + config_.host + ":" + std::to_string(port_ ? port_ : config_.port) + ": " + why;
      return false;
    }
    if (i == 0) {
      // With --port 0 the first worker's ephemeral port is shared by the rest.
      port_ = w->bound_port();
      if (addr.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port = htons(port_);
      else reinterpret_cast<sockaddr_in*>(&addr)->sin_port = htons(port_);
    }
    workers_.push_back(std::move(w));
  }
  ctl_ = std::make_unique<Control>(this);
  return true;
}

// The control loop: signal watchers, a stop request from another thread,
// and the workers' "I am done" notices. It is set up at the end of listen(),
// before the caller announces the server, so a signal sent right after the
// announcement is caught (libuv installs the handler at uv_signal_start) and
// acted on once run() starts.
struct Server::Control {
  // After the workers' deadline, how long the process still waits for the
  // work they abandoned to notice (it usually ends at once) before exiting.
  static constexpr uint64_t kAbandonAfterMs = 250;
  Server* server = nullptr;
  uv_loop_t loop{};
  uv_signal_t sigint{}, sigterm{};
  uv_async_t stop{}, done{};
  uv_timer_t deadline{};
  int signals = 0;
  std::atomic<int> running{0};

  explicit Control(Server* s) : server(s) {
    uv_loop_init(&loop);
    auto on_signal = [](uv_signal_t* h, int) { static_cast<Control*>(h->data)->escalate(); };
    for (uv_signal_t* sig : {&sigint, &sigterm}) {
      uv_signal_init(&loop, sig);
      sig->data = this;
    }
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_async_init(&loop, &stop, [](uv_async_t* a) { static_cast<Control*>(a->data)->escalate(); });
    stop.data = this;
    uv_async_init(&loop, &done, [](uv_async_t* a) {
      auto* c = static_cast<Control*>(a->data);
      if (c->running.load() == 0) c->close();
    });
    done.data = this;
    uv_timer_init(&loop, &deadline);
    deadline.data = this;
  }
  // First request: graceful stop; any further one: abort open connections.
  void escalate() {
    ++signals;
    for (auto& w : server->workers_) {
      if (signals == 1) w->request_stop(); else w->request_abort();
    }
    // The workers close every connection at the graceful deadline, but
    // work that is still running (a handler asleep on a timer or in the
    // thread pool) would keep the process alive past it: a little after
    // the deadline, that work is abandoned and the process exits.
    if (signals == 1) {
      uv_timer_start(&deadline, [](uv_timer_t* t) {
        auto* c = static_cast<Control*>(t->data);
        if (c->running.load() == 0) return;
        std::fprintf(stderr, "strata: still busy %llu ms after the graceful timeout; exiting without waiting\n",
                     static_cast<unsigned long long>(kAbandonAfterMs));
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(0);
      }, server->config_.graceful_ms + kAbandonAfterMs, 0);
    }
  }
  void close() {
    for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&sigint), reinterpret_cast<uv_handle_t*>(&sigterm),
                           reinterpret_cast<uv_handle_t*>(&stop), reinterpret_cast<uv_handle_t*>(&done),
                           reinterpret_cast<uv_handle_t*>(&deadline)})
      if (!uv_is_closing(h)) uv_close(h, nullptr);
  }
  ~Control() {
    close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
};

int Server::run() {
  if (!ctl_) return 1;  // listen() failed or was not called
  Control& ctl = *ctl_;
  ctl.running = static_cast<int>(workers_.size());
  std::vector<std::thread> threads;
  for (auto& w : workers_) {
    threads.emplace_back([&ctl, worker = w.get()] {
      worker->run();
      ctl.running.fetch_sub(1);
      uv_async_send(&ctl.done);
    });
  }
  uv_run(&ctl.loop, UV_RUN_DEFAULT);
  for (auto& t : threads) t.join();
  return 0;
}

void Server::stop() {
  if (ctl_) uv_async_send(&ctl_->stop);
}

}  // namespace strata::loop
