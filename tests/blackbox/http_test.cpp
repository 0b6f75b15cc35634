// Tier 2, "http": the workload, framing, pipelining, keep-alive, request
// bodies, Expect: 100-continue and HEAD, as a client sees them.
#include <unistd.h>

#include <cstdio>

#include "blackbox.hpp"

namespace strata::test {
namespace {

using BlackboxHttp = BlackboxServerTest;

constexpr const char* kCurl = "/usr/bin/curl";

TEST_F(BlackboxHttp, BannerNamesTheTier) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->banner(), "listening on http://127.0.0.1:" + std::to_string(s->port()) + " tier=http");
}

TEST_F(BlackboxHttp, WorkloadAnswersTheUser) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
  // any path
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), post("/somewhere/else", kUserBody))));
}

TEST_F(BlackboxHttp, WorkloadRejectsABodyThatIsNotAUser) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsBadRequestWithReason(round_trip(s->port(), post("/user", "[1, 2, 3]"))));
  EXPECT_TRUE(IsBadRequestWithReason(round_trip(s->port(), post("/user", R"({"id": 1, "name": "user")"))));
  EXPECT_TRUE(IsBadRequestWithReason(round_trip(s->port(), post("/user", R"({"name": "u", "email": "e"})"))));
  EXPECT_TRUE(IsBadRequestWithReason(round_trip(s->port(), post("/user", ""))));
}

TEST_F(BlackboxHttp, WorkloadViaCurl) {
  if (::access(kCurl, X_OK) != 0) GTEST_SKIP() << kCurl << " not found";
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  const std::string url = "http://127.0.0.1:" + std::to_string(s->port());
  RunResult r = run_command(kCurl, {"-sS", "--noproxy", "*", "--max-time", "5", "-H", "Content-Type: application/json",
                                    "--data-binary", std::string(kUserBody), "-w", "\n%{http_code} %{content_type}",
                                    url + "/user"});
  ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << "curl: " << r.err;
  EXPECT_EQ(r.out, std::string(kUserReply) + "\n200 application/json");

  r = run_command(kCurl, {"-sS", "--noproxy", "*", "--max-time", "5", "-w", "\n%{http_code}",
                          url + "/index?name=J%C3%BCrgen"});
  ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << "curl: " << r.err;
  EXPECT_EQ(r.out, "Hello J\xC3\xBCrgen\n200");
}

TEST_F(BlackboxHttp, GetRootAndIndexWithPercentDecoding) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/")), kHello));
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/index?name=J%C3%BCrgen")), "Hello J\xC3\xBCrgen"));
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/index?name=Ada+Lovelace")), "Hello Ada Lovelace"));
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/index?x=1&name=a%2Bb")), "Hello a+b"));
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/index")), kHello));
}

// RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
bool IsImfFixdate(std::string_view d) {
  if (d.size() != 29) return false;
  auto one_of = [](std::string_view v, std::string_view names) {  // names: 3-letter words back to back
    for (size_t i = 0; i + 3 <= names.size(); i += 3)
      if (names.substr(i, 3) == v) return true;
    return false;
  };
  const bool day_ok = one_of(d.substr(0, 3), "MonTueWedThuFriSatSun");
  const bool month_ok = one_of(d.substr(8, 3), "JanFebMarAprMayJunJulAugSepOctNovDec");
  auto digits = [&](size_t at, size_t n, int max) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (d[i] < '0' || d[i] > '9') return false;
      v = v * 10 + (d[i] - '0');
    }
    return v <= max;
  };
  return day_ok && month_ok && d.substr(3, 2) == ", " && digits(5, 2, 31) && d[7] == ' ' && d[11] == ' ' &&
         digits(12, 4, 9999) && d[16] == ' ' && digits(17, 2, 23) && d[19] == ':' && digits(20, 2, 59) &&
         d[22] == ':' && digits(23, 2, 60) && d.substr(25) == " GMT";
}

TEST_F(BlackboxHttp, ResponseHasServerAndImfFixdate) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  for (const std::string& req : {get("/"), post_user(), post("/user", "nope")}) {
    auto r = round_trip(s->port(), req);
    ASSERT_TRUE(r);
    SCOPED_TRACE(describe(r));
    EXPECT_EQ(r->version, "HTTP/1.1");
    EXPECT_EQ(r->header_count("server"), 1u);
    EXPECT_TRUE(r->header("server").value_or("").size() > 0);
    ASSERT_EQ(r->header_count("date"), 1u);
    EXPECT_TRUE(IsImfFixdate(*r->header("date"))) << "Date: " << *r->header("date");
  }
}

TEST_F(BlackboxHttp, PipelinedThreeInOneWrite) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(post_user() + get("/index?name=second") + post("/user", "[]")));
  EXPECT_TRUE(IsUserOk(c.read_response())) << c.last_error();
  EXPECT_TRUE(IsText(c.read_response(), "Hello second")) << c.last_error();
  EXPECT_TRUE(IsBadRequestWithReason(c.read_response())) << c.last_error();
  // and the connection is still usable
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
  EXPECT_EQ(c.buffered(), "");
}

// ------------------------------------------------------------ keep-alive

TEST_F(BlackboxHttp, Http11KeepsTheConnectionOpenByDefault) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  for (int i = 0; i < 50; ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    ASSERT_TRUE(c.send(i % 2 ? post_user() : get("/index?name=k" + std::to_string(i))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.last_error();
    EXPECT_FALSE(r->header_has_token("connection", "close")) << describe(r);
    if (i % 2) EXPECT_TRUE(IsUserOk(r));
    else EXPECT_TRUE(IsText(r, "Hello k" + std::to_string(i)));
  }
}

TEST_F(BlackboxHttp, ConnectionCloseIsHonoured) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(get("/", "Connection: close\r\n")));
  auto r = c.read_response();
  EXPECT_TRUE(IsText(r, kHello)) << c.last_error();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header_has_token("connection", "close")) << describe(r);
  EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
}

TEST_F(BlackboxHttp, ConnectionCloseOnAPost) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(post_user("Connection: close\r\n")));
  auto r = c.read_response();
  EXPECT_TRUE(IsUserOk(r)) << c.last_error();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header_has_token("connection", "close")) << describe(r);
  EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
}

TEST_F(BlackboxHttp, Http10WithoutKeepAliveCloses) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
  EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
}

TEST_F(BlackboxHttp, Http10WithKeepAliveStaysOpen) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = c.read_response();
  EXPECT_TRUE(IsText(r, kHello)) << c.last_error();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header_has_token("connection", "keep-alive")) << describe(r);
  ASSERT_TRUE(c.send("GET /index?name=again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_TRUE(IsText(c.read_response(), "Hello again")) << c.last_error();
}

// ------------------------------------------------------------ request bodies

TEST_F(BlackboxHttp, ContentLengthBodySplitAcrossWrites) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  const std::string req = post_user();
  const size_t body_at = req.size() - kUserBody.size();
  // head in two pieces, then the body in four
  ASSERT_TRUE(c.send_pieces({req.substr(0, 10), req.substr(10, body_at - 10), req.substr(body_at, 1),
                             req.substr(body_at + 1, 20), req.substr(body_at + 21, 30), req.substr(body_at + 51)}));
  EXPECT_TRUE(IsUserOk(c.read_response())) << c.last_error();
  // the connection stays in sync
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
}

std::string chunked_user_head() {
  return "POST /user HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\n";
}

TEST_F(BlackboxHttp, ChunkedBodyInOneWrite) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  const std::string body(kUserBody);  // 52 bytes: 0x0a + 0x2a
  const std::string req = chunked_user_head() + "a\r\n" + body.substr(0, 10) + "\r\n" + "2a\r\n" + body.substr(10) +
                          "\r\n" + "0\r\n\r\n";
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), req)));
}

TEST_F(BlackboxHttp, ChunkedBodySplitAcrossWritesAndInsideChunkSize) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  const std::string body(kUserBody);
  ASSERT_TRUE(c.send_pieces({
      chunked_user_head(),
      "a\r",                                  // inside the first size line
      "\n" + body.substr(0, 4),               // the rest of it, part of the data
      body.substr(4, 6) + "\r\n2",            // end of chunk 1, first digit of "2a"
      "a\r\n" + body.substr(10, 20),          // second digit, half of chunk 2
      body.substr(30) + "\r",                 // the rest, half of its CRLF
      "\n0",                                  // inside the last-chunk line
      "\r\n\r",                               // inside the final CRLF
      "\n",
  }));
  EXPECT_TRUE(IsUserOk(c.read_response())) << c.last_error();
  ASSERT_TRUE(c.send(get("/index?name=after")));
  EXPECT_TRUE(IsText(c.read_response(), "Hello after")) << c.last_error();
}

// Bodies larger than the connection's read buffer arrive in pieces.
std::string big_user(size_t name_size) {
  return R"({"id": 7, "name": ")" + std::string(name_size, 'n') + R"(", "email": "user@email.com"})";
}
std::string big_user_reply(size_t name_size) {
  return R"({"id":7,"name":")" + std::string(name_size, 'n') + R"(","email":"user@email.com"})";
}

TEST_F(BlackboxHttp, LargeContentLengthBody) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  for (size_t size : {30'000u, 300'000u}) {
    SCOPED_TRACE("name of " + std::to_string(size) + " bytes");
    ASSERT_TRUE(c.send(post("/user", big_user(size))));
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.last_error();
    EXPECT_EQ(r->status, 200) << describe(r);
    EXPECT_TRUE(r->body == big_user_reply(size)) << describe(r);
  }
}

TEST_F(BlackboxHttp, LargeChunkedBody) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  const std::string body = big_user(300'000);
  std::string req = chunked_user_head();
  for (size_t at = 0; at < body.size(); at += 7000) {
    const std::string piece = body.substr(at, 7000);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    req += size + piece + "\r\n";
  }
  req += "0\r\n\r\n";
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(req));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200) << describe(r);
  EXPECT_TRUE(r->body == big_user_reply(300'000)) << describe(r);
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
}

TEST_F(BlackboxHttp, ExpectContinueThenBody) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  const std::string req = post_user("Expect: 100-continue\r\n");
  const std::string head = req.substr(0, req.size() - kUserBody.size());
  ASSERT_TRUE(c.send(head));
  auto interim = c.read_response();
  ASSERT_TRUE(interim) << c.last_error();
  EXPECT_EQ(interim->raw, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(c.buffered(), "") << "nothing may follow 100 Continue before the body is sent";
  ASSERT_TRUE(c.send(kUserBody));
  EXPECT_TRUE(IsUserOk(c.read_response())) << c.last_error();
}

TEST_F(BlackboxHttp, HeadHasContentLengthAndNoBody) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  auto head = c.read_response(/*head_request=*/true);
  ASSERT_TRUE(head) << c.last_error();
  EXPECT_EQ(head->status, 200) << describe(head);
  EXPECT_EQ(head->header("content-length"), std::to_string(kHello.size())) << describe(head);
  EXPECT_EQ(head->header("content-type").value_or("").rfind("text/plain", 0), 0u) << describe(head);
  // A body sent after HEAD's headers would show up in front of this response.
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
  EXPECT_EQ(c.buffered(), "");
}

TEST_F(BlackboxHttp, UnknownPathIs404) {
  ServerProcess* s = start_http();
  ASSERT_TRUE(s);
  auto r = round_trip(s->port(), get("/nope"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << describe(r);
}

}  // namespace
}  // namespace strata::test

namespace strata::test {
namespace {

// --access-log: uvicorn's line per response, on every HTTP tier; nothing
// without it.
TEST_F(BlackboxHttp, AccessLogPrintsUvicornsLinePerResponse) {
  for (const char* tier : {"http", "app", "typed"}) {
    SpawnOptions o;
    o.capture_stderr = true;
    ServerProcess* s = start({"--tier", tier, "--access-log"}, o);
    ASSERT_TRUE(s);
    Client c(s->port());
    ASSERT_TRUE(c.send(get("/index?name=J%C3%BCrgen") + get("/nowhere")));
    ASSERT_TRUE(c.read_response());
    ASSERT_TRUE(c.read_response());
    const std::string peer = "127.0.0.1:" + std::to_string(c.local_port());
    stopped_by_test_ = true;
    ASSERT_TRUE(s->send_signal(SIGTERM));
    std::string out, err;
    s->process().read_outputs_until_eof(out, err);
    ASSERT_TRUE(s->wait_exit());
    EXPECT_NE(err.find("INFO:     " + peer + " - \"GET /index?name=J%C3%BCrgen HTTP/1.1\" 200 OK\n"),
              std::string::npos)
        << tier << ": " << err;
    EXPECT_NE(err.find("INFO:     " + peer + " - \"GET /nowhere HTTP/1.1\" 404 Not Found\n"), std::string::npos)
        << tier << ": " << err;
    stopped_by_test_ = false;
  }
  SpawnOptions o;
  o.capture_stderr = true;
  ServerProcess* quiet = start({"--tier", "http"}, o);
  ASSERT_TRUE(quiet);
  ASSERT_TRUE(round_trip(quiet->port(), get("/")));
  stopped_by_test_ = true;
  ASSERT_TRUE(quiet->send_signal(SIGTERM));
  std::string out, err;
  quiet->process().read_outputs_until_eof(out, err);
  ASSERT_TRUE(quiet->wait_exit());
  EXPECT_EQ(err.find("INFO:"), std::string::npos) << err;
}

}  // namespace
}  // namespace strata::test
