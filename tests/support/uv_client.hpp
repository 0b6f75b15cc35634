// A libuv client for loop tests: connects to a worker on the same loop,
// writes its request in one write, collects the reply, and counts every
// callback so tests can assert them exactly.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "loop/server.hpp"

namespace strata::test {

struct UvClient {
  loop::Worker* worker = nullptr;
  uv_tcp_t tcp{};
  uv_connect_t connect{};
  uv_write_t write{};
  std::string request;
  std::string received;
  size_t expect_bytes = 0;         // hang up once this much arrived...
  bool hang_up_after_reply = true; // ...or wait for the server to hang up
  bool stop_worker_on_close = true;
  int connects = 0, writes = 0, eofs = 0, closes = 0;
  char buf[65536];

  void start(loop::Worker& w) {
    worker = &w;
    uv_tcp_init(w.loop(), &tcp);
    tcp.data = this;
    connect.data = this;
    write.data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", w.bound_port(), &addr);
    uv_tcp_connect(&connect, &tcp, reinterpret_cast<sockaddr*>(&addr), on_connect);
  }

 private:
  static UvClient* self(void* h) { return static_cast<UvClient*>(static_cast<uv_handle_t*>(h)->data); }

  static void on_connect(uv_connect_t* req, int status) {
    auto* c = static_cast<UvClient*>(req->data);
    ASSERT_EQ(status, 0);
    ++c->connects;
    uv_buf_t b = uv_buf_init(c->request.data(), static_cast<unsigned>(c->request.size()));
    uv_write(&c->write, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1, [](uv_write_t* w, int st) {
      EXPECT_EQ(st, 0);
      ++static_cast<UvClient*>(w->data)->writes;
    });
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp),
                  [](uv_handle_t* h, size_t, uv_buf_t* out) {
                    auto* cl = self(h);
                    *out = uv_buf_init(cl->buf, sizeof cl->buf);
                  },
                  on_read);
  }

  static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t*) {
    auto* c = self(s);
    if (n > 0) {
      c->received.append(c->buf, static_cast<size_t>(n));
      if (c->hang_up_after_reply && c->received.size() >= c->expect_bytes) c->hang_up();
    } else if (n < 0) {
      if (n == UV_EOF) ++c->eofs;
      c->hang_up();
    }
  }

  void hang_up() {
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), [](uv_handle_t* h) {
      auto* c = self(h);
      ++c->closes;
      if (c->stop_worker_on_close) c->worker->request_stop();
    });
  }
};

// The config loop tests build their workers with: the transport comes from
// STRATA_TEST_IO ("uring", else libuv), so CTest runs the same loop tests
// over both (tests/CMakeLists.txt).
inline loop::ServerConfig loop_test_config() {
  loop::ServerConfig c;
  const char* io = std::getenv("STRATA_TEST_IO");
  if (io && std::string_view(io) == "uring") c.io = loop::ServerConfig::Io::uring;
  return c;
}

// Binds a worker to an ephemeral port on 127.0.0.1.
inline void listen_local(loop::Worker& w) {
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  std::string err;
  ASSERT_EQ(w.listen(reinterpret_cast<sockaddr*>(&addr), false, err), 0) << err;
}

}  // namespace strata::test
