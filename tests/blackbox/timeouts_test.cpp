// Tier 2 timers, with the timeouts lowered by flag. Only outcomes are
// asserted (a 408, an EOF, a connection still answering), never durations;
// the waits are just upper bounds generous enough for a sanitizer build.
#include <thread>

#include "blackbox.hpp"

namespace strata::test {
namespace {

using BlackboxHttpTimeouts = BlackboxServerTest;

TEST_F(BlackboxHttpTimeouts, PartialHeadGets408ThenEof) {
  ServerProcess* s = start_http({"--head-timeout", "0.3"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow:"));
  auto r = c.read_response(false, 5000ms);
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 408) << describe(r);
  EXPECT_TRUE(r->header_has_token("connection", "close")) << describe(r);
  EXPECT_EQ(r->header("content-length"), std::to_string(r->body.size())) << describe(r);
  EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
}

TEST_F(BlackboxHttpTimeouts, PartialHeadAfterAResponseGets408) {
  ServerProcess* s = start_http({"--head-timeout", "0.3"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(get("/") + "GET /index HTTP/1.1\r\n"));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
  auto r = c.read_response(false, 5000ms);
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 408) << describe(r);
  EXPECT_TRUE(r->header_has_token("connection", "close")) << describe(r);
  EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
}

TEST_F(BlackboxHttpTimeouts, IdleKeepAliveConnectionIsClosed) {
  ServerProcess* s = start_http({"--idle-timeout", "0.3"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
  // nothing more is sent: the server hangs up without another byte
  EXPECT_TRUE(c.wait_for_eof(5000ms)) << c.last_error();
}

TEST_F(BlackboxHttpTimeouts, FreshIdleConnectionIsClosed) {
  ServerProcess* s = start_http({"--idle-timeout", "0.3", "--head-timeout", "0.3"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c.wait_for_eof(5000ms)) << c.last_error();
}

TEST_F(BlackboxHttpTimeouts, BusyConnectionOutlivesTheIdleTimeout) {
  // Requests every 50 ms for twice the idle timeout (1 s): the connection
  // is never idle that long, so it must stay open throughout.
  ServerProcess* s = start_http({"--idle-timeout", "1"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    ASSERT_TRUE(c.send(get("/index?name=busy" + std::to_string(i)))) << c.last_error();
    ASSERT_TRUE(IsText(c.read_response(), "Hello busy" + std::to_string(i))) << c.last_error();
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace
}  // namespace strata::test
