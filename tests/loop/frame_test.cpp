#include "loop/raw.hpp"

#include <gtest/gtest.h>

namespace {

using strata::loop::raw::Frame;
using strata::loop::raw::frame_request;

const std::string kPost =
    "POST /user HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 52\r\nContent-Type: application/json\r\n\r\n"
    R"({"id": 1, "name": "user", "email": "user@email.com"})";

TEST(RawFrame, FramesHeadAndContentLengthBody) {
  Frame f = frame_request(kPost);
  ASSERT_EQ(f.kind, Frame::complete);
  EXPECT_EQ(f.size, kPost.size());
  EXPECT_EQ(f.method, "POST");
  EXPECT_EQ(f.target, "/user");
  EXPECT_EQ(f.body, R"({"id": 1, "name": "user", "email": "user@email.com"})");
}

TEST(RawFrame, EveryPrefixIsIncomplete) {
  for (size_t i = 0; i < kPost.size(); ++i)
    EXPECT_EQ(frame_request(std::string_view(kPost).substr(0, i)).kind, Frame::incomplete) << i;
}

TEST(RawFrame, StopsAtTheFirstRequestOfAPipeline) {
  const std::string two = kPost + "GET / HTTP/1.1\r\n\r\n";
  Frame f = frame_request(two);
  ASSERT_EQ(f.kind, Frame::complete);
  EXPECT_EQ(f.size, kPost.size());
  Frame g = frame_request(std::string_view(two).substr(f.size));
  ASSERT_EQ(g.kind, Frame::complete);
  EXPECT_EQ(g.method, "GET");
  EXPECT_TRUE(g.body.empty());
}

TEST(RawFrame, NoContentLengthMeansNoBody) {
  Frame f = frame_request("GET /index?name=x HTTP/1.1\r\nHost: a\r\n\r\nleftover");
  ASSERT_EQ(f.kind, Frame::complete);
  EXPECT_EQ(f.target, "/index?name=x");
  EXPECT_EQ(f.size, 39u);
}

TEST(RawFrame, GarbageIsInvalid) {
  EXPECT_EQ(frame_request("garbage\r\n\r\n").kind, Frame::invalid);
  EXPECT_EQ(frame_request("GET  HTTP/1.1\r\n\r\n").kind, Frame::invalid);
  EXPECT_EQ(frame_request("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n").kind, Frame::invalid);
  EXPECT_EQ(frame_request("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").kind, Frame::invalid);
  EXPECT_EQ(frame_request("POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n").kind, Frame::invalid);
}

TEST(RawFrame, RespondWritesFixedHeadersAndTheWorkload) {
  strata::workload::UserEndpoint user;
  std::string scratch, out;
  strata::loop::raw::respond(frame_request(kPost), user, scratch, out);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\nContent-Length: 47\r\nContent-Type: application/json\r\n"
            "Connection: keep-alive\r\n\r\n"
            R"({"id":1,"name":"user","email":"user@email.com"})");
  out.clear();
  strata::loop::raw::respond(frame_request("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n[]"), user, scratch, out);
  EXPECT_EQ(out.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_NE(out.find("body must be a JSON object"), std::string::npos);
}

}  // namespace
