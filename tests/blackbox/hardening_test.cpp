// What a hostile client can make the real server hold, and for how long:
// framing that outgrows the buffer, bodies and reads that stall, floods of
// requests and connections, handlers that outlive a stop. Only outcomes are
// asserted (a status, an EOF, the server still answering), never durations;
// the waits are upper bounds generous enough for a sanitizer build.
#include <thread>

#include "blackbox.hpp"

namespace strata::test {
namespace {

using BlackboxHardening = BlackboxServerTest;

// A chunk extension longer than the read buffer, then a valid user: the
// shape that once left a connection with a full buffer, reading stopped and
// no timer running, until the descriptors ran out.
std::string long_extension_request() {
  return "POST /user HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
         "34;a=" +
         std::string(30'000, 'x') + "\r\n" + std::string(kUserBody) + "\r\n0\r\n\r\n";
}

TEST_F(BlackboxHardening, LongChunkExtensionIs400AndClosed) {
  for (const char* tier : {"http", "app", "typed"}) {
    ServerProcess* s = start({"--tier", tier});
    ASSERT_TRUE(s);
    EXPECT_TRUE(IsRejected(s->port(), long_extension_request(), 400)) << tier;
    EXPECT_TRUE(IsUserOk(round_trip(s->port(), post_user()))) << tier;
  }
}

// 300 of them, each left open by the client, under a limit of 256
// descriptors: none may be held by the server, which still answers after.
TEST_F(BlackboxHardening, ThreeHundredLongExtensionsDoNotExhaustDescriptors) {
  SpawnOptions o;
  o.max_open_files = 256;
  ServerProcess* s = start({"--tier", "typed"}, o);
  ASSERT_TRUE(s);
  const std::string req = long_extension_request();
  std::vector<std::unique_ptr<Client>> open;
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    auto c = std::make_unique<Client>(s->port());
    ASSERT_TRUE(c->ok()) << "connection " << i << ": " << c->error();
    (void)c->send(req, 2000ms);  // the server may reset once it has refused the request
    auto r = c->read_response(false, 5000ms);
    refused += r && r->status == 400;
    open.push_back(std::move(c));  // the client keeps its end open
  }
  EXPECT_EQ(refused, 300);
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
}

TEST_F(BlackboxHardening, LongTrailerSectionIs431) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  std::string trailers;
  for (int i = 0; i < 100; ++i) trailers += "X-T" + std::to_string(i) + ": " + std::string(1000, 't') + "\r\n";
  EXPECT_TRUE(IsRejected(s->port(),
                         "POST /user HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n34\r\n" +
                             std::string(kUserBody) + "\r\n0\r\n" + trailers + "\r\n",
                         431));
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
}

TEST_F(BlackboxHardening, BodyNotSentInTimeIs408) {
  for (const char* tier : {"http", "typed"}) {
    ServerProcess* s = start({"--tier", tier, "--body-timeout", "0.3"});
    ASSERT_TRUE(s);
    Client c(s->port());
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.send("POST /user HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                       "{\"id\":"));
    auto r = c.read_response(false, 5000ms);
    ASSERT_TRUE(r) << tier << ": " << c.last_error();
    EXPECT_EQ(r->status, 408) << describe(r);
    EXPECT_TRUE(r->header_has_token("connection", "close")) << describe(r);
    EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
  }
}

TEST_F(BlackboxHardening, SlowButSteadyBodyIsNotCutOff) {
  ServerProcess* s = start_http({"--body-timeout", "0.5"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  // Six pieces 200 ms apart: more than a second in all, never 0.5 s silent.
  const std::string req = post_user();
  const size_t head = req.find("\r\n\r\n") + 4;
  std::vector<std::string> pieces{req.substr(0, head)};
  for (size_t at = head; at < req.size(); at += 10) pieces.push_back(req.substr(at, 10));
  ASSERT_TRUE(c.send_pieces(pieces, 200ms));
  EXPECT_TRUE(IsUserOk(c.read_response()));
}

// A client that sends requests but never reads the answers: once the
// server's output stops moving for --send-timeout, the connection closes
// and what was still queued is dropped. The answers (16 MB) are far more
// than the kernel's socket buffers hold, so the server's own queue backs up.
TEST_F(BlackboxHardening, ClientThatDoesNotReadIsCutOffBySendTimeout) {
  for (const char* tier : {"raw", "http"}) {
    ServerProcess* s = start({"--tier", tier, "--send-timeout", "0.3", "--idle-timeout", "60"});
    ASSERT_TRUE(s);
    Client::Options small;
    small.rcvbuf = 4096;
    Client c(s->port(), small);
    ASSERT_TRUE(c.ok()) << c.error();
    const std::string req = get("/index?name=" + std::string(2000, 'n'));
    constexpr size_t kRequests = 8000;
    std::string many;
    for (size_t i = 0; i < kRequests; ++i) many += req;
    (void)c.send(many, 1000ms);  // the server stops reading once its output backs up
    std::this_thread::sleep_for(1500ms);
    size_t got = 0;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (c.peer() == Client::Peer::open && std::chrono::steady_clock::now() < until) got += c.read_once(100ms);
    EXPECT_NE(c.peer(), Client::Peer::open) << tier << ": the connection is still open after " << got << " bytes";
    EXPECT_LT(got, kRequests * 2000) << tier << ": every answer arrived; nothing was cut off";
  }
}

TEST_F(BlackboxHardening, RawTierClosesAConnectionThatSendsNothing) {
  ServerProcess* s = start_raw({"--idle-timeout", "0.3"});
  ASSERT_TRUE(s);
  Client half(s->port());
  ASSERT_TRUE(half.ok()) << half.error();
  ASSERT_TRUE(half.send("POST /user HTTP/1.1\r\nContent-Length: 52\r\n\r\n{\"id\""));
  EXPECT_TRUE(half.wait_for_eof(5000ms)) << half.last_error();
  Client silent(s->port());
  ASSERT_TRUE(silent.ok()) << silent.error();
  EXPECT_TRUE(silent.wait_for_eof(5000ms)) << silent.last_error();
}

TEST_F(BlackboxHardening, LimitConcurrencyAnswers503AboveTheLimit) {
  ServerProcess* s = start({"--tier", "typed", "--limit-concurrency", "1"});
  ASSERT_TRUE(s);
  Client slow(s->port());
  ASSERT_TRUE(slow.ok()) << slow.error();
  ASSERT_TRUE(slow.send(get("/fastapi/async_sleep/?delay=1")));
  std::this_thread::sleep_for(200ms);  // the first request is in the handler
  EXPECT_TRUE(IsRejected(s->port(), get("/"), 503));
  auto r = slow.read_response(false, 5000ms);
  ASSERT_TRUE(r) << slow.last_error();
  EXPECT_EQ(r->status, 200) << describe(r);
  // Below the limit again: served.
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
}

TEST_F(BlackboxHardening, MaxConnectionsClosesNewConnectionsAboveTheLimit) {
  ServerProcess* s = start_http({"--max-connections", "2"});
  ASSERT_TRUE(s);
  auto held = [&] {
    auto c = std::make_unique<Client>(s->port());
    EXPECT_TRUE(c->ok()) << c->error();
    EXPECT_TRUE(c->send(get("/")));
    EXPECT_TRUE(IsText(c->read_response(), kHello));
    return c;
  };
  auto a = held();
  auto b = held();
  {
    Client third(s->port());
    ASSERT_TRUE(third.ok()) << third.error();  // the kernel accepts; the server hangs up
    (void)third.send(get("/"));
    EXPECT_TRUE(third.wait_for_eof(5000ms)) << third.last_error();
  }
  a->close();
  // The freed place is usable again (the close takes a moment to be seen).
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = IsText(round_trip(s->port(), get("/"), false, 1000ms), kHello);
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served);
  EXPECT_TRUE(IsText((b->send(get("/")), b->read_response()), kHello));
}

// --graceful-timeout bounds the process, not only its connections: handlers
// still sleeping (on the loop, in the thread pool) are abandoned.
TEST_F(BlackboxHardening, GracefulTimeoutBoundsTheExitWhileHandlersSleep) {
  for (const char* route : {"/fastapi/async_sleep/?delay=20", "/fastapi/async_sleep_in_thread/?delay=20"}) {
    ServerProcess* s = start({"--tier", "typed", "--graceful-timeout", "0.3"});
    ASSERT_TRUE(s);
    Client c(s->port());
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.send(get(route)));
    std::this_thread::sleep_for(200ms);  // the handler is asleep
    stopped_by_test_ = true;
    ASSERT_TRUE(s->send_signal(SIGTERM));
    auto st = s->wait_exit(5000ms);
    ASSERT_TRUE(st) << route << ": still running 5 s after SIGTERM with --graceful-timeout 0.3";
    EXPECT_TRUE(st->exited && st->code == 0) << st->describe();
    EXPECT_TRUE(c.wait_for_eof(1000ms)) << c.last_error();
  }
}

}  // namespace
}  // namespace strata::test
