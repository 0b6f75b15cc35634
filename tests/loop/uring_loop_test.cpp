// Loop tests of the io_uring transport: the raw and HTTP tiers served over
// a worker's ring to libuv clients on the worker's own libuv loop (which
// the ring loop runs). Every test ends with close_loop() == 0, which on a
// ring also means every submitted operation completed or was cancelled.
#include <gtest/gtest.h>

#include <cstdlib>
#include <dirent.h>
#include <memory>
#include <vector>

#include "loop/raw.hpp"
#include "loop/uring.hpp"
#include "parser/bare_app.hpp"
#include "parser/http_server.hpp"
#include "support/uv_client.hpp"

namespace uring_loop {

using namespace strata;
using strata::test::UvClient;

const char kPostUser[] =
    "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 52\r\n\r\n"
    R"({"id": 1, "name": "user", "email": "user@email.com"})";
const char kRawReply[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 47\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n\r\n"
    R"({"id":1,"name":"user","email":"user@email.com"})";

loop::ServerConfig uring_config() {
  loop::ServerConfig c;
  c.io = loop::ServerConfig::Io::uring;
  return c;
}

std::unique_ptr<http::HttpWorker> http_worker() {
  return std::make_unique<http::HttpWorker>(0, uring_config(), http::Options{},
                                            [](http::AppHost&) { return http::make_bare_app(); });
}

size_t count(const std::string& s, std::string_view what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

// Stops the worker once every client has closed.
struct StopWhenAllClosed {
  uv_timer_t timer{};
  std::vector<std::unique_ptr<UvClient>>* clients = nullptr;
  loop::Worker* worker = nullptr;
  void start(loop::Worker& w, std::vector<std::unique_ptr<UvClient>>& cs) {
    worker = &w;
    clients = &cs;
    uv_timer_init(w.loop(), &timer);
    timer.data = this;
    uv_timer_start(&timer, [](uv_timer_t* t) {
      auto* s = static_cast<StopWhenAllClosed*>(t->data);
      for (auto& c : *s->clients)
        if (c->closes == 0) return;
      s->worker->request_stop();
      uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
    }, 5, 5);
  }
};

TEST(UringLoop, RawPipelinedRequestsAnsweredInOrderAndTheRingEndsEmpty) {
  loop::raw::RawWorker worker(0, uring_config());
  strata::test::listen_local(worker);
  UvClient c;
  c.request = std::string(kPostUser) + "GET /index?name=a%20b HTTP/1.1\r\n\r\n" + kPostUser;
  const std::string hello =
      "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Connection: keep-alive\r\n\r\nHello a b";
  const std::string expected = std::string(kRawReply) + hello + kRawReply;
  c.expect_bytes = expected.size();
  c.start(worker);
  worker.run();

  EXPECT_EQ(c.received, expected);
  EXPECT_EQ(c.connects, 1);
  EXPECT_EQ(c.writes, 1);
  EXPECT_EQ(c.closes, 1);
  EXPECT_EQ(worker.connection_count(), 0u);
  EXPECT_EQ(worker.close_loop(), 0);
}

TEST(UringLoop, RawGarbageClosesTheConnection) {
  loop::raw::RawWorker worker(0, uring_config());
  strata::test::listen_local(worker);
  UvClient c;
  c.request = std::string(kPostUser) + "garbage-without-spaces\r\n\r\n";
  c.hang_up_after_reply = false;  // wait for the server to hang up
  c.start(worker);
  worker.run();

  EXPECT_EQ(c.received, kRawReply);
  EXPECT_EQ(c.eofs, 1);
  EXPECT_EQ(c.closes, 1);
  EXPECT_EQ(worker.close_loop(), 0);
}

// More bytes in one write than the read buffer holds (the HTTP tier's
// 16 KiB): receives land beyond it and wait in the transport until the
// protocol has consumed, then every request is answered, in order.
TEST(UringLoop, HttpPipelineLargerThanTheReadBufferIsAnsweredWhole) {
  auto w = http_worker();
  strata::test::listen_local(*w);
  UvClient c;
  constexpr int kRequests = 3000;
  for (int i = 0; i < kRequests; ++i) c.request += "GET /index?name=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  c.request += "GET /index?name=last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_GT(c.request.size(), 4 * 16384u);
  c.hang_up_after_reply = false;
  c.start(*w);
  w->run();

  EXPECT_EQ(count(c.received, "HTTP/1.1 200 OK"), static_cast<size_t>(kRequests + 1));
  EXPECT_LT(c.received.find("Hello 2999"), c.received.find("Hello last"));
  EXPECT_NE(c.received.find("Hello 1234"), std::string::npos);
  EXPECT_EQ(c.eofs, 1);
  EXPECT_EQ(w->connection_count(), 0u);
  EXPECT_EQ(w->close_loop(), 0);
}

// Many connections at once, half of them hanging up in the middle of a
// request: each close cancels its connection's receive, and the ring still
// ends with nothing in flight.
TEST(UringLoop, ManyConnectionsSomeHangingUpMidRequestLeaveNothingInFlight) {
  auto w = http_worker();
  strata::test::listen_local(*w);
  std::vector<std::unique_ptr<UvClient>> clients;
  for (int i = 0; i < 24; ++i) {
    auto c = std::make_unique<UvClient>();
    c->stop_worker_on_close = false;
    if (i % 2 == 0) {
      c->request = std::string(kPostUser) + "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
      c->expect_bytes = 1;  // hangs up at the first reply bytes, whatever follows
    } else {
      c->request = "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 52\r\n\r\n{\"id\": 1";  // half a body
      c->expect_bytes = 0;  // hangs up as soon as it has read anything (a 408 never comes in time)
      c->hang_up_after_reply = true;
    }
    c->start(*w);
    clients.push_back(std::move(c));
  }
  // The half-body clients get nothing back: close them from the loop once
  // the full ones are done, as a client that gives up would.
  uv_timer_t giveup;
  uv_timer_init(w->loop(), &giveup);
  giveup.data = &clients;
  uv_timer_start(&giveup, [](uv_timer_t* t) {
    auto& cs = *static_cast<std::vector<std::unique_ptr<UvClient>>*>(t->data);
    for (size_t i = 0; i < cs.size(); i += 2)
      if (cs[i]->closes == 0) return;
    for (size_t i = 1; i < cs.size(); i += 2)
      if (cs[i]->connects == 1 && cs[i]->closes == 0 && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&cs[i]->tcp)))
        uv_close(reinterpret_cast<uv_handle_t*>(&cs[i]->tcp), [](uv_handle_t* h) { ++static_cast<UvClient*>(h->data)->closes; });
    uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  }, 20, 20);
  StopWhenAllClosed stopper;
  stopper.start(*w, clients);
  w->run();

  for (size_t i = 0; i < clients.size(); ++i) {
    EXPECT_EQ(clients[i]->connects, 1) << i;
    EXPECT_EQ(clients[i]->closes, 1) << i;
    if (i % 2 == 0) {
      EXPECT_EQ(clients[i]->received.rfind("HTTP/1.1 200 OK", 0), 0u) << i;
    }
  }
  EXPECT_EQ(w->connection_count(), 0u);
  EXPECT_EQ(w->close_loop(), 0);
}

TEST(UringLoop, StopClosesIdleKeepAliveConnections) {
  auto w = http_worker();
  strata::test::listen_local(*w);
  UvClient c;
  c.request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  c.hang_up_after_reply = false;
  c.stop_worker_on_close = false;
  c.start(*w);
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

size_t open_descriptors() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d)) ++n;
    ::closedir(d);
  }
  return n;
}

// A worker that listened but never ran (another worker failed to start)
// gives back its ring and its sockets when destroyed.
TEST(UringLoop, AWorkerThatNeverRanGivesEverythingBack) {
  auto listen_and_drop = [] {
    auto w = http_worker();
    strata::test::listen_local(*w);
    return open_descriptors();
  };
  listen_and_drop();  // the first opens what libuv keeps for the process (its signal pipe)
  const size_t before = open_descriptors();
  EXPECT_GT(listen_and_drop(), before);
  EXPECT_EQ(open_descriptors(), before);
}

TEST(UringLoop, ARefusedRingFailsListenWithOneSentence) {
  ::setenv("STRATA_IO_URING_FAIL", "1", 1);
  loop::raw::RawWorker worker(0, uring_config());
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  std::string err;
  EXPECT_NE(worker.listen(reinterpret_cast<sockaddr*>(&addr), false, err), 0);
  ::unsetenv("STRATA_IO_URING_FAIL");
  EXPECT_EQ(err.rfind("io_uring is unavailable: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos);
}

}  // namespace uring_loop
