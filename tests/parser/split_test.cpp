// Every-split-point parsing: each request stream is fed whole, split in two
// at every byte, and one byte at a time; the app must see the same requests
// and the client the same bytes every time (llhttp's "scan" idea).
#include <gtest/gtest.h>

#include "harness.hpp"

namespace {

using namespace strata;
using namespace strata::test;

struct Outcome {
  std::vector<Seen> seen;
  std::string written;
  bool closed = false;
};

bool operator==(const Outcome& a, const Outcome& b) {
  return a.seen == b.seen && a.written == b.written && a.closed == b.closed;
}

Outcome run_split(const std::vector<std::string_view>& pieces) {
  Outcome o;
  Harness h(recording_app(o.seen));
  for (std::string_view p : pieces) h.feed(p);
  o.written = h.s->written;
  o.closed = h.s->closed();
  return o;
}

const char* const kCorpus[] = {
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST /user HTTP/1.1\r\nHost: localhost:8000\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
    R"({"id": 1, "name": "user", "email": "user@email.com"})",
    "GET /index?name=J%C3%BCrgen HTTP/1.1\r\nHost: a\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
    "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n",
    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
    "GET /3 HTTP/1.0\r\n\r\n",
    "\r\nGET /after-crlf HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Spaces:   v   \r\n\r\n",
    // errors must be found identically wherever the bytes are cut
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
};

TEST(SplitPoints, EverySplitGivesTheSameResult) {
  for (const char* raw : kCorpus) {
    const std::string_view req(raw);
    const Outcome whole = run_split({req});
    ASSERT_FALSE(whole.written.empty()) << req;
    for (size_t i = 1; i < req.size(); ++i) {
      const Outcome split = run_split({req.substr(0, i), req.substr(i)});
      ASSERT_TRUE(split == whole) << "split at " << i << " of:\n" << req << "\ngot:\n" << split.written
                                  << "\nwant:\n" << whole.written;
    }
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < req.size(); ++i) bytes.push_back(req.substr(i, 1));
    EXPECT_TRUE(run_split(bytes) == whole) << "byte by byte:\n" << req;
  }
}

TEST(SplitPoints, ChunkedBodyIsDechunkedExactly) {
  const Outcome o = run_split({kCorpus[3]});
  ASSERT_EQ(o.seen.size(), 1u);
  EXPECT_EQ(o.seen[0].body, "Wikipedia in\r\n\r\nchunks.");
}

}  // namespace
