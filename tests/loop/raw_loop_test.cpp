// Loop tests: the raw tier served on a real libuv loop to a libuv client on
// the same loop. Every callback is counted, and the loop must close clean.
#include <gtest/gtest.h>

#include "loop/raw.hpp"
#include "support/uv_client.hpp"

namespace {

using strata::loop::raw::RawWorker;
using strata::test::UvClient;

const char kPostUser[] =
    "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 52\r\n\r\n"
    R"({"id": 1, "name": "user", "email": "user@email.com"})";
const char kReply[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 47\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n\r\n"
    R"({"id":1,"name":"user","email":"user@email.com"})";

TEST(RawLoop, PipelinedRequestsAnsweredInOrderAndLoopClosesClean) {
  RawWorker worker(0, strata::test::loop_test_config());
  strata::test::listen_local(worker);
  UvClient c;
  c.request = std::string(kPostUser) + "GET /index?name=a%20b HTTP/1.1\r\n\r\n" + kPostUser;
  const std::string hello =
      "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Connection: keep-alive\r\n\r\nHello a b";
  const std::string expected = std::string(kReply) + hello + kReply;
  c.expect_bytes = expected.size();
  c.start(worker);
  worker.run();

  EXPECT_EQ(c.received, expected);
  EXPECT_EQ(c.connects, 1);
  EXPECT_EQ(c.writes, 1);
  EXPECT_EQ(c.eofs, 0);
  EXPECT_EQ(c.closes, 1);
  EXPECT_EQ(worker.connection_count(), 0u);
  EXPECT_EQ(worker.close_loop(), 0);
}

TEST(RawLoop, GarbageClosesTheConnection) {
  RawWorker worker(0, strata::test::loop_test_config());
  strata::test::listen_local(worker);
  UvClient c;
  c.request = std::string(kPostUser) + "garbage-without-spaces\r\n\r\n";
  c.hang_up_after_reply = false;  // wait for the server to hang up
  c.start(worker);
  worker.run();

  EXPECT_EQ(c.received, kReply);  // the good request before the garbage is answered
  EXPECT_EQ(c.eofs, 1);
  EXPECT_EQ(c.closes, 1);
  EXPECT_EQ(worker.close_loop(), 0);
}

}  // namespace
