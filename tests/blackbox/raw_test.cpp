// Tier 1, "raw": crude framing, keep-alive, the shared workload.
#include "blackbox.hpp"

namespace strata::test {
namespace {

using BlackboxRaw = BlackboxServerTest;

TEST_F(BlackboxRaw, BannerNamesTheTier) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->banner(), "listening on http://127.0.0.1:" + std::to_string(s->port()) + " tier=raw");
}

TEST_F(BlackboxRaw, WorkloadAnswersTheUser) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
}

TEST_F(BlackboxRaw, WorkloadRejectsABodyThatIsNotAUser) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsBadRequestWithReason(round_trip(s->port(), post("/user", "[1, 2, 3]"))));
  EXPECT_TRUE(IsBadRequestWithReason(round_trip(s->port(), post("/user", R"({"id": 1, "name": "user")"))));
  EXPECT_TRUE(IsBadRequestWithReason(round_trip(s->port(), post("/user", R"({"id": "x", "name": "u", "email": "e"})"))));
}

TEST_F(BlackboxRaw, GetRootAndIndex) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/")), kHello));
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/index?name=J%C3%BCrgen")), "Hello J\xC3\xBCrgen"));
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/index?name=Ada+Lovelace")), "Hello Ada Lovelace"));
}

TEST_F(BlackboxRaw, PipelinedThreeInOneWrite) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(get("/index?name=first") + post_user() + get("/index?name=third")));
  EXPECT_TRUE(IsText(c.read_response(), "Hello first"));
  EXPECT_TRUE(IsUserOk(c.read_response()));
  EXPECT_TRUE(IsText(c.read_response(), "Hello third"));
  EXPECT_EQ(c.buffered(), "");
}

TEST_F(BlackboxRaw, KeepAliveOverManyRequests) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  for (int i = 0; i < 200; ++i) {
    SCOPED_TRACE("request " + std::to_string(i));
    if (i % 2 == 0) {
      ASSERT_TRUE(c.send(get("/index?name=n" + std::to_string(i))));
      ASSERT_TRUE(IsText(c.read_response(), "Hello n" + std::to_string(i))) << c.last_error();
    } else {
      ASSERT_TRUE(c.send(post_user()));
      ASSERT_TRUE(IsUserOk(c.read_response())) << c.last_error();
    }
  }
}

// Garbage the raw tier cannot frame: it hangs up without answering, and
// keeps serving everyone else.
void ExpectGarbageClosesConnection(uint16_t port, std::string_view garbage) {
  SCOPED_TRACE("sent: " + printable(garbage));
  {
    Client c(port);
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(c.send(garbage));
    EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
  }
  EXPECT_TRUE(IsText(round_trip(port, get("/")), kHello)) << "a new connection after the garbage";
}

TEST_F(BlackboxRaw, RequestLineWithoutSpacesClosesConnection) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  ExpectGarbageClosesConnection(s->port(), "GARBAGE\r\n\r\n");
  EXPECT_TRUE(s->running());
}

TEST_F(BlackboxRaw, NonNumericContentLengthClosesConnection) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  ExpectGarbageClosesConnection(s->port(), "POST /user HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}");
  EXPECT_TRUE(s->running());
}

TEST_F(BlackboxRaw, GarbageAfterAValidRequestAnswersItThenCloses) {
  ServerProcess* s = start_raw();
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(get("/") + "NOSPACES\r\n\r\n"));
  EXPECT_TRUE(IsText(c.read_response(), kHello)) << c.last_error();
  EXPECT_TRUE(c.wait_for_eof()) << c.last_error();
  EXPECT_TRUE(IsText(round_trip(s->port(), get("/")), kHello));
}

}  // namespace
}  // namespace strata::test
