// Loop tests of tier 2 on a real libuv loop: callbacks counted, loop closed clean.
#include <gtest/gtest.h>

#include "parser/bare_app.hpp"
#include "parser/http_server.hpp"
#include "support/uv_client.hpp"

namespace {

using namespace strata;
using strata::test::UvClient;

std::unique_ptr<http::HttpWorker> make_worker(http::Options o = {}) {
  return std::make_unique<http::HttpWorker>(0, strata::test::loop_test_config(), o, [](http::AppHost&) { return http::make_bare_app(); });
}

TEST(HttpLoop, PipelinedThenCloseAndLoopClosesClean) {
  auto w = make_worker();
  strata::test::listen_local(*w);
  UvClient c;
  c.request =
      "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 52\r\n\r\n"
      R"({"id": 1, "name": "user", "email": "user@email.com"})"
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /index?name=Z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      "GET /index?name=after-close HTTP/1.1\r\nHost: x\r\n\r\n";
  c.hang_up_after_reply = false;  // Connection: close makes the server hang up
  c.start(*w);
  w->run();

  EXPECT_EQ(c.connects, 1);
  EXPECT_EQ(c.writes, 1);
  EXPECT_EQ(c.eofs, 1);
  EXPECT_EQ(c.closes, 1);
  const size_t a = c.received.find(R"({"id":1,"name":"user","email":"user@email.com"})");
  const size_t b = c.received.find("Hello ASGI World!");
  const size_t z = c.received.find("Hello Z");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(z, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, z);
  EXPECT_NE(c.received.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(c.received.find("after-close"), std::string::npos);  // nothing is answered after close
  EXPECT_EQ(w->connection_count(), 0u);
  EXPECT_EQ(w->close_loop(), 0);
}

TEST(HttpLoop, StopClosesIdleKeepAliveConnections) {
  auto w = make_worker();
  strata::test::listen_local(*w);
  UvClient c;
  c.request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  c.hang_up_after_reply = false;
  c.stop_worker_on_close = false;
  c.start(*w);
  // Once the reply is in, ask the worker to stop: the idle connection must be closed by it.
  uv_timer_t t;
  uv_timer_init(w->loop(), &t);
  t.data = &c;
  uv_timer_start(&t, [](uv_timer_t* timer) {
    auto* cl = static_cast<UvClient*>(timer->data);
    if (cl->received.find("Hello ASGI World!") == std::string::npos) return;
    cl->worker->request_stop();
    uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
  }, 5, 5);
  w->run();
  EXPECT_EQ(c.eofs, 1);
  EXPECT_EQ(c.closes, 1);
  EXPECT_EQ(w->close_loop(), 0);
}

}  // namespace

namespace {

TEST(HttpLoop, TheAppIsBuiltKnowingTheServersBodyLimit) {
  // One limit, set once in the server's options: an app that buffers bodies
  // (tier 3's Request) reads it from its host, never from a copy of its own.
  http::Options o;
  o.max_body_bytes = 12345;
  size_t seen = 0;
  int index = -1;
  http::HttpWorker w(3, strata::test::loop_test_config(), o, [&](http::AppHost& host) {
    seen = host.max_body_bytes;
    index = host.worker_index;
    return http::make_bare_app();
  });
  EXPECT_EQ(seen, 12345u);
  EXPECT_EQ(index, 3);
  strata::test::listen_local(w);
  UvClient c;
  c.request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  c.expect_bytes = 1;
  c.start(w);
  w.run();
  EXPECT_EQ(w.close_loop(), 0);
}

TEST(HttpLoop, ShutdownHooksRunOnTheLoopSoAppHandlesCanClose) {
  // An app that owns a handle on the loop (as a thread pool's async handle
  // would) closes it from its shutdown hook; otherwise run() never returns.
  static uv_async_t wake;
  static int hooks = 0;
  hooks = 0;
  http::HttpWorker w(0, strata::test::loop_test_config(), http::Options{}, [](http::AppHost& host) {
    uv_async_init(host.loop, &wake, [](uv_async_t*) {});
    host.on_shutdown.push_back([] {
      ++hooks;
      uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
    });
    return http::make_bare_app();
  });
  strata::test::listen_local(w);
  UvClient c;
  c.request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  c.expect_bytes = 1;  // any reply, then hang up and stop the worker
  c.start(w);
  w.run();
  EXPECT_EQ(hooks, 1);
  EXPECT_EQ(w.close_loop(), 0);
}

TEST(HttpLoop, AFactoryThatThrowsStopsTheServerWithItsMessage) {
  loop::ServerConfig cfg = strata::test::loop_test_config();
  cfg.port = 0;
  loop::Server server(cfg, http::http_workers({}, [](http::AppHost&) -> http::App {
    throw std::runtime_error("database unreachable");
  }));
  std::string error;
  EXPECT_FALSE(server.listen(error));
  EXPECT_EQ(error, "start-up failed: database unreachable");
}

}  // namespace

namespace {

TEST(HttpLoop, WorkersBuiltBeforeAFailedStartRunTheirShutdownHooks) {
  // Worker 0 starts (and opens a handle on its loop); worker 1's start-up
  // fails. Tearing the server down must close worker 0's handle through
  // its hook, or destroying its loop would wait forever.
  static uv_async_t wake;
  static int hooks = 0;
  hooks = 0;
  loop::ServerConfig cfg = strata::test::loop_test_config();
  cfg.port = 0;
  cfg.workers = 2;
  {
    loop::Server server(cfg, http::http_workers({}, [](http::AppHost& host) -> http::App {
      if (host.worker_index == 1) throw std::runtime_error("second worker cannot start");
      uv_async_init(host.loop, &wake, [](uv_async_t*) {});
      host.on_shutdown.push_back([] {
        ++hooks;
        uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
      });
      return http::make_bare_app();
    }));
    std::string error;
    EXPECT_FALSE(server.listen(error));
    EXPECT_EQ(error, "start-up failed: second worker cannot start");
  }
  EXPECT_EQ(hooks, 1);
}

}  // namespace
