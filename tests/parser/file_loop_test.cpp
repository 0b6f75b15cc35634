// Send::file on a real loop (tier 2 over the transport's send_file): a file
// larger than any socket buffer, to a client that reads slowly, one that
// hangs up mid-file, and one that never reads (the send timeout). Each ends
// with the loop closed clean and no descriptor left open. Run over libuv
// and, as uring.HttpLoop.*, over io_uring.
#include <gtest/gtest.h>
#include <uv.h>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <sys/socket.h>

#include "parser/http_server.hpp"
#include "support/uv_client.hpp"

namespace {

using namespace strata;

constexpr size_t kFileSize = 8u << 20;  // far above the socket buffers on both sides

struct TempFile {
  std::string path;
  int fd = -1;
  std::string bytes;
  TempFile() {
    char tmpl[] = "/tmp/strata-sendfile-XXXXXX";
    fd = mkstemp(tmpl);
    path = tmpl;
    bytes.resize(kFileSize);
    uint32_t x = 7;
    for (char& c : bytes) {
      x = x * 1103515245u + 12345u;
      c = static_cast<char>(x >> 24);
    }
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  ~TempFile() {
    ::close(fd);
    ::unlink(path.c_str());
  }
};

// Descriptors open in this process. libuv makes a process-wide pipe at
// its first loop (signal handling): one loop is made first, so the count
// sees only what a connection could leak.
int open_fds() {
  static const bool libuv_ready = [] {
    uv_loop_t l;
    uv_loop_init(&l);
    return uv_loop_close(&l) == 0;
  }();
  EXPECT_TRUE(libuv_ready);
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

struct AppStats {
  int started = 0;
  int finished = 0;
};

// A tier-2 app that answers every request with `size` bytes of `fd` from
// `offset`, in one Send::file after the head.
http::AppFactory file_app(int fd, uint64_t offset, uint64_t size, AppStats* stats) {
  return [=](http::AppHost&) -> http::App {
    return [=](const http::Scope&, http::Receive&, http::Send& send) -> Task<void> {
      ++stats->started;
      const std::string len = std::to_string(size);
      const http::Header hs[] = {{"content-type", "application/octet-stream"}, {"content-length", len}};
      co_await send.start({200, hs});
      co_await send.file({fd, offset, size, false});
      ++stats->finished;
    };
  };
}

// A client that pauses `pause_ms` after every read (so the server's socket
// buffer fills and its send_file must wait for writability), hangs up
// after `hang_up_at` bytes, or never reads at all.
struct SlowClient {
  loop::Worker* worker = nullptr;
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_write_t write{};
  uv_timer_t timer{};    // pauses, or polling the server
  uv_timer_t give_up{};  // a stuck test ends, and fails
  std::string request = "GET /f HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string received;
  size_t done_at = SIZE_MAX;   // all expected bytes: hang up
  size_t hang_up_at = SIZE_MAX;
  unsigned pause_ms = 0;
  bool never_read = false;
  int rcvbuf = 0;  // > 0: the client socket's SO_RCVBUF, so the server's sends stall sooner
  uint64_t give_up_ms = 20000;
  int reads = 0, eofs = 0, closes = 0;
  bool gave_up = false;
  char buf[65536];

  void start(loop::Worker& w) {
    worker = &w;
    uv_tcp_init_ex(w.loop(), &tcp, AF_INET);
    if (rcvbuf > 0) {
      uv_os_fd_t fd;
      uv_fileno(reinterpret_cast<uv_handle_t*>(&tcp), &fd);
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    uv_timer_init(w.loop(), &timer);
    uv_timer_init(w.loop(), &give_up);
    tcp.data = timer.data = give_up.data = connect.data = write.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", w.bound_port(), &addr);
    uv_tcp_connect(&connect, &tcp, reinterpret_cast<sockaddr*>(&addr), on_connect);
    uv_timer_start(&give_up, [](uv_timer_t* t) {
      auto* c = static_cast<SlowClient*>(t->data);
      c->gave_up = true;
      c->hang_up();
    }, give_up_ms, 0);
  }

  static void on_connect(uv_connect_t* req, int status) {
    auto* c = static_cast<SlowClient*>(req->data);
    ASSERT_EQ(status, 0);
    uv_buf_t b = uv_buf_init(c->request.data(), static_cast<unsigned>(c->request.size()));
    uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1, [](uv_write_t*, int) {});
    if (c->never_read) {
      // Watch the server's connection count instead: the send timeout closes it.
      uv_timer_start(&c->timer, [](uv_timer_t* t) {
        auto* cl = static_cast<SlowClient*>(t->data);
        if (cl->worker->connection_count() == 0) cl->hang_up();
      }, 100, 100);
      return;
    }
    c->resume();
  }

  void resume() {
    uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp),
                  [](uv_handle_t* h, size_t, uv_buf_t* out) {
                    auto* cl = static_cast<SlowClient*>(h->data);
                    *out = uv_buf_init(cl->buf, sizeof cl->buf);
                  },
                  on_read);
  }

  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
    auto* c = static_cast<SlowClient*>(s->data);
    if (n < 0) {
      if (n == UV_EOF) ++c->eofs;
      return c->hang_up();
    }
    if (n == 0) return;
    ++c->reads;
    c->received.append(c->buf, static_cast<size_t>(n));
    if (c->received.size() >= c->hang_up_at || c->received.size() >= c->done_at) return c->hang_up();
    if (c->pause_ms > 0) {
      uv_read_stop(s);
      uv_timer_start(&c->timer, [](uv_timer_t* t) { static_cast<SlowClient*>(t->data)->resume(); }, c->pause_ms, 0);
    }
  }

  void hang_up() {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp))) return;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&give_up), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), [](uv_handle_t* h) {
      auto* c = static_cast<SlowClient*>(h->data);
      ++c->closes;
      c->worker->request_stop();
    });
  }
};

std::string head_of(const std::string& received) {
  const size_t end = received.find("\r\n\r\n");
  return end == std::string::npos ? received : received.substr(0, end + 4);
}

TEST(HttpLoop, SendFileLargerThanTheSocketBuffersToASlowReader) {
  std::signal(SIGPIPE, SIG_IGN);
  TempFile file;
  const int fds = open_fds();
  AppStats stats;
  {
    http::HttpWorker w(0, strata::test::loop_test_config(), http::Options{},
                       file_app(file.fd, 0, kFileSize, &stats));
    strata::test::listen_local(w);
    SlowClient c;
    c.pause_ms = 1;
    c.rcvbuf = 64 * 1024;
    c.start(w);
    // The head, then every byte of the file.
    c.done_at = SIZE_MAX;
    uv_timer_t watch;
    uv_timer_init(w.loop(), &watch);
    watch.data = &c;
    uv_timer_start(&watch, [](uv_timer_t* t) {
      auto* cl = static_cast<SlowClient*>(t->data);
      const size_t end = cl->received.find("\r\n\r\n");
      if (end != std::string::npos && cl->received.size() >= end + 4 + kFileSize) {
        cl->hang_up();
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      } else if (cl->closes > 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
      }
    }, 5, 5);
    w.run();
    EXPECT_FALSE(c.gave_up);
    const std::string head = head_of(c.received);
    EXPECT_NE(head.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << head;
    EXPECT_NE(head.find("content-length: " + std::to_string(kFileSize) + "\r\n"), std::string::npos) << head;
    ASSERT_EQ(c.received.size(), head.size() + kFileSize);
    EXPECT_TRUE(c.received.compare(head.size(), kFileSize, file.bytes) == 0) << "the file's bytes differ";
    EXPECT_GT(c.reads, 16);  // it really came in many pieces
    EXPECT_EQ(stats.finished, 1);
    EXPECT_EQ(w.connection_count(), 0u);
    EXPECT_EQ(w.close_loop(), 0);
  }
  EXPECT_EQ(open_fds(), fds) << "a descriptor (a poll's dup, a pipe) was left open";
}

// Small files are copied into the head's write (http1.cpp); larger ones
// go through the transport's send_file: both, from an offset.
TEST(HttpLoop, SendFileRangeFromAnOffset) {
  std::signal(SIGPIPE, SIG_IGN);
  TempFile file;
  for (const uint64_t count : {uint64_t{5000}, uint64_t{300000}}) {
    AppStats stats;
    http::HttpWorker w(0, strata::test::loop_test_config(), http::Options{}, file_app(file.fd, 1000, count, &stats));
    strata::test::listen_local(w);
    strata::test::UvClient c;
    c.request = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    c.hang_up_after_reply = false;
    c.start(w);
    w.run();
    const std::string head = head_of(c.received);
    ASSERT_EQ(c.received.size(), head.size() + count) << count;
    EXPECT_TRUE(c.received.compare(head.size(), count, file.bytes, 1000, count) == 0) << count;
    EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(stats.finished, 1);
    EXPECT_EQ(w.close_loop(), 0);
  }
}

// Pipelined requests: each file follows its own head and comes after the
// answers queued before it, on both paths (copied and sent by the transport).
TEST(HttpLoop, SendFilePipelinedKeepsResponsesInOrder) {
  std::signal(SIGPIPE, SIG_IGN);
  TempFile file;
  for (const uint64_t count : {uint64_t{3000}, uint64_t{200000}}) {
    AppStats stats;
    http::HttpWorker w(0, strata::test::loop_test_config(), http::Options{}, file_app(file.fd, 7, count, &stats));
    strata::test::listen_local(w);
    strata::test::UvClient c;
    c.request = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    c.hang_up_after_reply = false;
    c.start(w);
    w.run();
    size_t at = 0;
    for (int i = 0; i < 3; ++i) {
      const std::string head = head_of(c.received.substr(at));
      ASSERT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << count << " response " << i;
      at += head.size();
      ASSERT_GE(c.received.size(), at + count);
      EXPECT_TRUE(c.received.compare(at, count, file.bytes, 7, count) == 0) << count << " response " << i;
      at += count;
    }
    EXPECT_EQ(at, c.received.size());
    EXPECT_EQ(stats.finished, 3);
    EXPECT_EQ(w.close_loop(), 0);
  }
}

TEST(HttpLoop, SendFileToAClientThatHangsUpMidFile) {
  std::signal(SIGPIPE, SIG_IGN);
  TempFile file;
  const int fds = open_fds();
  AppStats stats;
  {
    http::HttpWorker w(0, strata::test::loop_test_config(), http::Options{},
                       file_app(file.fd, 0, kFileSize, &stats));
    strata::test::listen_local(w);
    SlowClient c;
    c.pause_ms = 2;
    c.hang_up_at = 256 * 1024;
    c.start(w);
    w.run();
    EXPECT_FALSE(c.gave_up);
    EXPECT_GE(c.received.size(), 256u * 1024);
    EXPECT_LT(c.received.size(), kFileSize);
    // The app was resumed (the transport let go of its descriptor) and ended.
    EXPECT_EQ(stats.started, 1);
    EXPECT_EQ(stats.finished, 1);
    EXPECT_EQ(w.connection_count(), 0u);
    EXPECT_EQ(w.close_loop(), 0);
  }
  EXPECT_EQ(open_fds(), fds);
}

TEST(HttpLoop, SendFileToAClientThatNeverReadsHitsTheSendTimeout) {
  std::signal(SIGPIPE, SIG_IGN);
  TempFile file;
  const int fds = open_fds();
  AppStats stats;
  {
    loop::ServerConfig config = strata::test::loop_test_config();
    config.send_timeout_ms = 300;
    http::HttpWorker w(0, config, http::Options{}, file_app(file.fd, 0, kFileSize, &stats));
    strata::test::listen_local(w);
    SlowClient c;
    c.never_read = true;
    c.rcvbuf = 4096;
    c.give_up_ms = 15000;
    c.start(w);
    w.run();
    EXPECT_FALSE(c.gave_up) << "the server never closed the stalled connection";
    EXPECT_EQ(stats.finished, 1);
    EXPECT_EQ(w.connection_count(), 0u);
    EXPECT_EQ(w.close_loop(), 0);
  }
  EXPECT_EQ(open_fds(), fds);
}

TEST(HttpLoop, SendFileShorterThanPromisedClosesTheConnection) {
  std::signal(SIGPIPE, SIG_IGN);
  TempFile file;
  // 100 bytes are left in the file; more are promised, on both paths.
  for (const uint64_t count : {uint64_t{200}, uint64_t{100000}}) {
    AppStats stats;
    http::HttpWorker w(0, strata::test::loop_test_config(), http::Options{},
                       file_app(file.fd, kFileSize - 100, count, &stats));
    strata::test::listen_local(w);
    strata::test::UvClient c;
    c.request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    c.hang_up_after_reply = false;  // the server must hang up: the length cannot be met
    c.start(w);
    w.run();
    const std::string head = head_of(c.received);
    EXPECT_EQ(c.received.size(), head.size() + 100) << count;
    EXPECT_EQ(c.eofs, 1) << count;
    EXPECT_EQ(stats.finished, 1);
    EXPECT_EQ(w.close_loop(), 0);
  }
}

}  // namespace
