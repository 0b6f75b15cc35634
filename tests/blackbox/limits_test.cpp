// Tier 2: requests the server refuses by itself. Each refusal is a
// self-delimiting response with `Connection: close`, then EOF.
#include <thread>

#include "blackbox.hpp"

namespace strata::test {
namespace {

using BlackboxHttpLimits = BlackboxServerTest;

std::string headers_n(int n) {  // n extra header fields
  std::string h;
  for (int i = 0; i < n; ++i) h += "X-Field-" + std::to_string(i) + ": v\r\n";
  return h;
}

TEST_F(BlackboxHttpLimits, MalformedRequestLineIs400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), "GARBAGE\r\n\r\n", 400));
  EXPECT_TRUE(IsRejected(s->port(), "get / HTTP/1.1\r\nHost: x\r\n\r\n", 400));
  EXPECT_TRUE(IsRejected(s->port(), "GET / XTTP/1.1\r\nHost: x\r\n\r\n", 400));
  EXPECT_TRUE(IsRejected(s->port(), "GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400));
  // still serving
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/")), kHello));
}

// Request lines that are malformed around the version are not requests for
// another HTTP version: 400, not 505.
TEST_F(BlackboxHttpLimits, MalformedVersionTokenIs400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400));
  EXPECT_TRUE(IsRejected(s->port(), "GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400));
}

TEST_F(BlackboxHttpLimits, HeadersOver8KiBAre431) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), get("/", "X-Big: " + std::string(9000, 'a') + "\r\n"), 431));
  // a long head under the limit is fine
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/", "X-Big: " + std::string(7000, 'a') + "\r\n")), kHello));
}

TEST_F(BlackboxHttpLimits, HeadersOver8KiBInManyFieldsAre431) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  std::string many;
  for (int i = 0; i < 90; ++i) many += "X-F" + std::to_string(i) + ": " + std::string(100, 'b') + "\r\n";
  EXPECT_TRUE(IsRejected(s->port(), get("/", many), 431));
}

TEST_F(BlackboxHttpLimits, OneHundredAndOneHeadersAre431) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  // Host + 100 = 101 fields
  EXPECT_TRUE(IsRejected(s->port(), get("/", headers_n(100)), 431));
  // Host + 99 = 100 fields is allowed
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/", headers_n(99))), kHello));
}

TEST_F(BlackboxHttpLimits, ContentLengthOver1MiBIs413) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(),
                         "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", 413));
}

TEST_F(BlackboxHttpLimits, ContentLengthOver1MiBWithExpectContinueIs413WithoutContinue) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  // IsRejected reads the first response: a 100 Continue there fails it.
  EXPECT_TRUE(IsRejected(s->port(),
                         "POST /user HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n",
                         413));
}

TEST_F(BlackboxHttpLimits, MaxBodyBytesFlagLimitsContentLength) {
  ServerProcess* s = start_http({"--max-body-bytes", "100"});
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), post("/user", std::string(200, ' ')), 413));
  // 52 bytes are under the limit
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
}

TEST_F(BlackboxHttpLimits, MaxBodyBytesFlagLimitsChunkedBody) {
  ServerProcess* s = start_http({"--max-body-bytes", "100"});
  ASSERT_TRUE(s);
  const std::string chunk = std::string(100, ' ');
  EXPECT_TRUE(IsRejected(s->port(),
                         "POST /user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "64\r\n" + chunk + "\r\n64\r\n" + chunk + "\r\n0\r\n\r\n",
                         413));
  // and when the over-limit chunk comes in a later write
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send("POST /user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n" +
                     std::string(50, ' ') + "\r\n"));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(c.send("64\r\n" + chunk + "\r\n0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 413) << describe(r);
  EXPECT_TRUE(r->header_has_token("connection", "close")) << describe(r);
  EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
}

TEST_F(BlackboxHttpLimits, ContentLengthWithChunkedIs400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(),
                         "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "0\r\n\r\n",
                         400));
}

TEST_F(BlackboxHttpLimits, TwoDifferentContentLengthsAre400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(),
                         "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400));
}

TEST_F(BlackboxHttpLimits, TransferEncodingGzipIs501) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), "POST /user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501));
}

TEST_F(BlackboxHttpLimits, Http11WithoutHostIs400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), "GET / HTTP/1.1\r\n\r\n", 400));
  // HTTP/1.0 does not need one
  EXPECT_TRUE(IsText(round_trip(s->port(), "GET / HTTP/1.0\r\n\r\n"), kHello));
}

TEST_F(BlackboxHttpLimits, TwoHostHeadersAre400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400));
}

TEST_F(BlackboxHttpLimits, Http20Is505) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505));
}

TEST_F(BlackboxHttpLimits, Http12Is505) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505));
}

TEST_F(BlackboxHttpLimits, UnknownExpectationIs417) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), post_user("Expect: something-else\r\n"), 417));
}

TEST_F(BlackboxHttpLimits, MaxHeadBytesFlagIsHonoured) {
  ServerProcess* s = start_http({"--max-head-bytes", "1024"});
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), get("/", "X-Big: " + std::string(1100, 'a') + "\r\n"), 431));
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/", "X-Big: " + std::string(800, 'a') + "\r\n")), kHello));
}

TEST_F(BlackboxHttpLimits, MaxHeadersFlagIsHonoured) {
  ServerProcess* s = start_http({"--max-headers", "5"});
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejected(s->port(), get("/", headers_n(5)), 431));              // 6 fields
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/", headers_n(4))), kHello));  // 5 fields
}

// The refusals above, on a connection that has already served a request:
// the refusal must still be answered (then the connection closes).
::testing::AssertionResult IsRejectedAfterAResponse(uint16_t port, const std::string& request, int status,
                                                    bool pipelined) {
  Client c(port);
  if (!c.ok()) return ::testing::AssertionFailure() << c.error();
  const std::string first = get("/");
  if (pipelined) {
    if (!c.send(first + request)) return ::testing::AssertionFailure() << c.last_error();
  } else {
    if (!c.send(first)) return ::testing::AssertionFailure() << c.last_error();
  }
  auto ok = c.read_response();
  if (!IsText(ok, kHello)) return ::testing::AssertionFailure() << "first request: " << describe(ok);
  if (!pipelined && !c.send(request)) return ::testing::AssertionFailure() << c.last_error();
  auto r = c.read_response();
  auto fail = [&]() {
    return ::testing::AssertionFailure()
           << "sent " << printable(first) << (pipelined ? " + " : " (answered 200), then ")
           << printable(request, 120) << "\n     expected " << status
           << " with Connection: close then EOF after the 200\n     ";
  };
  if (!r) return fail() << c.last_error();
  if (r->status != status || !r->header_has_token("connection", "close")) return fail() << describe(r);
  if (!c.wait_for_eof()) return fail() << describe(r) << "\n     then: " << c.last_error();
  return ::testing::AssertionSuccess();
}

const std::string kGarbage = "GARBAGE\r\n\r\n";
const std::string kTooLarge = "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n";
const std::string kTooManyHeaders = get("/", headers_n(100));

TEST_F(BlackboxHttpLimits, AfterAResponseMalformedRequestLineIs400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejectedAfterAResponse(s->port(), kGarbage, 400, false));
}

TEST_F(BlackboxHttpLimits, AfterAResponseBodyTooLargeIs413) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejectedAfterAResponse(s->port(), kTooLarge, 413, false));
}

TEST_F(BlackboxHttpLimits, AfterAResponseTooManyHeadersIs431) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejectedAfterAResponse(s->port(), kTooManyHeaders, 431, false));
}

TEST_F(BlackboxHttpLimits, PipelinedBehindAGoodRequestMalformedRequestLineIs400) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejectedAfterAResponse(s->port(), kGarbage, 400, true));
}

TEST_F(BlackboxHttpLimits, PipelinedBehindAGoodRequestBodyTooLargeIs413) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejectedAfterAResponse(s->port(), kTooLarge, 413, true));
}

TEST_F(BlackboxHttpLimits, PipelinedBehindAGoodRequestTooManyHeadersIs431) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsRejectedAfterAResponse(s->port(), kTooManyHeaders, 431, true));
}

}  // namespace
}  // namespace strata::test
