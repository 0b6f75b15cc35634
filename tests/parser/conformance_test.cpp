// Framing conformance (RFC 9112 sections 2-7, RFC 9110 fields): for each
// request shape, the status the engine answers, whether the connection
// closes, and whether a request pipelined behind it is served. A request
// smuggled past a framing error would show up as a served pipelined request
// or as bytes the app saw; each case is also cut at every byte.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <uv.h>

#include "harness.hpp"

namespace {

using namespace strata;
using namespace strata::test;

constexpr std::string_view kNext = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

struct Case {
  const char* name;
  std::string request;  // kNext is appended
  int status;           // of the first response
  bool closes;          // the connection ends after it
  bool next_served;     // the pipelined GET /next was answered
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

struct Result {
  int status = 0;
  bool closed = false;
  bool next_served = false;
  std::vector<Seen> seen;
  std::string written;
};

Result run(const std::vector<std::string_view>& pieces, http::Options o = {}) {
  Result r;
  Harness h(recording_app(r.seen), o);
  for (std::string_view p : pieces) h.feed(p);
  r.written = h.s->written;
  r.closed = h.s->closed();
  if (r.written.size() >= 12 && r.written.starts_with("HTTP/1.1 ")) r.status = std::stoi(r.written.substr(9, 3));
  for (const Seen& s : r.seen) r.next_served |= s.path == "/next";
  return r;
}

std::string chunked_post(std::string_view chunks, std::string_view version = "1.1") {
  return "POST /c HTTP/" + std::string(version) + "\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" +
         std::string(chunks);
}

const std::string kUser = R"({"id": 1, "name": "user", "email": "user@email.com"})";

std::vector<Case> cases() {
  return {
      // ---- message body length (RFC 9112 6.1-6.3)
      {"ContentLength", "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 200, false, true},
      {"ContentLengthTrailingTab", "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\t\r\n\r\nabc", 200, false, true},
      {"ContentLengthTrailingSpaceAndTab", "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3 \t \r\n\r\nabc", 200,
       false, true},
      {"ContentLengthNotANumber", "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc", 400, true, false},
      {"ContentLengthNegative", "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, true, false},
      {"ContentLengthList", "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400, true, false},
      {"TwoContentLengths", "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", 400,
       true, false},
      {"ContentLengthAndChunked",
       "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       400, true, false},
      {"ChunkedAndContentLength",
       "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       400, true, false},
      {"Chunked", chunked_post("3\r\nabc\r\n0\r\n\r\n"), 200, false, true},
      {"ChunkedTrailingTab", "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\t\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       200, false, true},
      {"ChunkedUpperCase", "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 200,
       false, true},
      {"GzipThenChunked",
       "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 501, true, false},
      {"ChunkedTwice",
       "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400, true,
       false},
      // RFC 9112 6.3: chunked not last is a 400; an unknown coding alone, 501 (6.1).
      {"ChunkedNotLast", "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, true, false},
      {"UnknownCoding", "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, true, false},
      {"Http10Chunked", chunked_post("3\r\nabc\r\n0\r\n\r\n", "1.0"), 400, true, false},
      {"Http10KeepAliveChunked",
       "POST /c HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400,
       true, false},
      {"Http10ContentLength",
       "POST /c HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc", 200, false, true},
      {"Http10ClosesByDefault", "GET / HTTP/1.0\r\n\r\n", 200, true, false},

      // ---- chunked coding grammar (RFC 9112 7.1)
      {"ChunkSizeHexMixedCase", chunked_post("a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n"), 200, false, true},
      {"ChunkSizeNotHex", chunked_post("zz\r\nabc\r\n0\r\n\r\n"), 400, true, false},
      {"ChunkSizeEmpty", chunked_post("\r\nabc\r\n0\r\n\r\n"), 400, true, false},
      {"ChunkSizeOverTheBodyLimit", chunked_post("ffffffffffffffff\r\nab"), 413, true, false},
      {"ChunkSizeOverflows", chunked_post("1ffffffffffffffff\r\nab"), 400, true, false},
      {"ChunkSizeJustOverTheBodyLimit", chunked_post("100001\r\nab"), 413, true, false},
      {"ChunkDataLongerThanItsSize", chunked_post("3\r\nabcd\r\n0\r\n\r\n"), 400, true, false},
      {"ChunkWithoutCrlfAfterData", chunked_post("3\r\nabc0\r\n\r\n"), 400, true, false},
      {"ChunkExtension", chunked_post("3;a=b\r\nabc\r\n0\r\n\r\n"), 200, false, true},
      {"ChunkExtensionQuoted", chunked_post("3;a=\"q r\"\r\nabc\r\n0\r\n\r\n"), 200, false, true},
      {"ChunkExtensionNameOnly", chunked_post("3;a\r\nabc\r\n0\r\n\r\n"), 200, false, true},
      {"LastChunkExtension", chunked_post("3\r\nabc\r\n0;done\r\n\r\n"), 200, false, true},
      {"ChunkBareLf", chunked_post("3\nabc\r\n0\r\n\r\n"), 400, true, false},
      {"TrailerField", chunked_post("3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"), 200, false, true},
      {"TrailerNameWithSpace", chunked_post("3\r\nabc\r\n0\r\nX T: 1\r\n\r\n"), 400, true, false},
      {"TrailerNameEmpty", chunked_post("3\r\nabc\r\n0\r\n: 1\r\n\r\n"), 400, true, false},
      {"TrailerObsFold", chunked_post("3\r\nabc\r\n0\r\nX-T: 1\r\n 2\r\n\r\n"), 400, true, false},

      // ---- field syntax (RFC 9110 5, RFC 9112 5)
      {"FieldNameWithSpace", "GET / HTTP/1.1\r\nHost: a\r\nX A: 1\r\n\r\n", 400, true, false},
      {"FieldNameEmpty", "GET / HTTP/1.1\r\nHost: a\r\n: 1\r\n\r\n", 400, true, false},
      {"WhitespaceBeforeColon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n", 400, true, false},
      {"WhitespaceBeforeColonOnContentLength",
       "POST /c HTTP/1.1\r\nHost: a\r\nContent-Length : 3\r\n\r\nabc", 400, true, false},
      {"FieldNameWithSlash", "GET / HTTP/1.1\r\nHost: a\r\nX/A: 1\r\n\r\n", 400, true, false},
      {"FieldNameWithControl", "GET / HTTP/1.1\r\nHost: a\r\nX\x01: 1\r\n\r\n", 400, true, false},
      {"ObsFold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n  b\r\n\r\n", 400, true, false},
      {"ObsFoldTab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\r\n\tb\r\n\r\n", 400, true, false},
      {"LeadingWhitespaceLine", "GET / HTTP/1.1\r\n X: 1\r\nHost: a\r\n\r\n", 400, true, false},
      {"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", 400, true, false},
      {"BareLfInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\nb\r\n\r\n", 400, true, false},
      {"BareLfLineEnds", "GET / HTTP/1.1\nHost: a\n\n", 400, true, false},
      {"NulInValue", std::string("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n", 37), 400, true, false},
      {"NulInTarget", std::string("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n", 30), 400, true, false},
      {"EmptyValue", "GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n\r\n", 200, false, true},
      {"NoHost", "GET / HTTP/1.1\r\n\r\n", 400, true, false},
      {"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, true, false},
      {"InvalidHost", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, true, false},

      // ---- request line (RFC 9112 3)
      {"LowerCaseMethod", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 400, true, false},
      // RFC 9112 3: a recipient MAY split the request line on whitespace.
      {"TwoSpaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 200, false, true},
      {"Http12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505, true, false},
      {"Http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, true, false},
      {"LeadingEmptyLine", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 200, false, true},

      // ---- expectations, upgrades (RFC 9110 10.1.1, 7.8)
      {"ExpectUnknown", "POST /c HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 3\r\n\r\nabc", 417, true,
       false},
      {"UpgradeWebSocket",
       "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
       500, true, false},  // handed to the app as a WebSocket: this HTTP-only app fails the handshake
      {"UpgradeWebSocketVersion8",
       "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
       426, true, false},
      {"UpgradeWithoutConnectionUpgrade", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", 200, false, true},
      {"Connect", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 200, true, false},
  };
}

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, StatusClosePipelined) {
  const Case& c = GetParam();
  const std::string req = c.request + std::string(kNext);
  const Result whole = run({req});
  EXPECT_EQ(whole.status, c.status) << whole.written;
  EXPECT_EQ(whole.closed, c.closes) << whole.written;
  EXPECT_EQ(whole.next_served, c.next_served) << whole.written;
  if (c.closes) {
    EXPECT_NE(whole.written.find("Connection: close\r\n"), std::string::npos) << whole.written;
  }
  // No value the app sees ever holds CR, LF or NUL.
  for (const Seen& s : whole.seen)
    for (const auto& [name, value] : s.headers)
      EXPECT_EQ(value.find_first_of(std::string_view("\r\n\0", 3)), std::string::npos) << name;
  // Wherever the bytes are cut, the outcome is the same.
  for (size_t i = 1; i < req.size(); ++i) {
    const Result split = run({std::string_view(req).substr(0, i), std::string_view(req).substr(i)});
    ASSERT_EQ(split.written, whole.written) << "split at " << i;
    ASSERT_EQ(split.closed, whole.closed) << "split at " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc9112, Conformance, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// ---- limits on what a client may make the server hold

TEST(ConformanceLimits, HeadLimitCountsTheFinalCrlf) {
  http::Options o;
  o.max_head_bytes = 256;
  auto head_of = [](size_t total) {
    const std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
    return start + std::string(total - start.size() - 4, 'p') + "\r\n\r\n";
  };
  EXPECT_EQ(head_of(256).size(), 256u);
  EXPECT_EQ(run({head_of(256)}, o).status, 200);
  EXPECT_EQ(run({head_of(257)}, o).status, 431);
  EXPECT_TRUE(run({head_of(257)}, o).closed);
  // A head with no fields ends in " HTTP/1.1\r\n\r\n".
  const std::string bare = "GET /" + std::string(256 - 18, 'u') + " HTTP/1.0\r\n\r\n";
  ASSERT_EQ(bare.size(), 256u);
  EXPECT_EQ(run({bare}, o).status, 200);
  EXPECT_EQ(run({"GET /u" + bare.substr(5)}, o).status, 431);
}

// The denial of service this suite exists for: a chunk extension longer
// than the read buffer used to fill it with bytes nobody reclaimed, so
// reading stopped, the FIN was never seen and no timer ran.
TEST(ConformanceLimits, LongChunkExtensionIsRefusedNotHeld) {
  for (size_t len : {20'000u, 30'000u, 100'000u}) {
    const std::string req = chunked_post("34;a=" + std::string(len, 'x') + "\r\n" + kUser + "\r\n0\r\n\r\n");
    const Result r = run({req});
    EXPECT_EQ(r.status, 400) << len;
    EXPECT_TRUE(r.closed) << len;
    EXPECT_TRUE(r.seen.empty() || r.seen[0].disconnected) << len;
  }
}

TEST(ConformanceLimits, LongTrailerSectionIsRefused) {
  std::string trailers;
  for (int i = 0; i < 100; ++i) trailers += "X-T" + std::to_string(i) + ": " + std::string(1000, 't') + "\r\n";
  const Result r = run({chunked_post("3\r\nabc\r\n0\r\n" + trailers + "\r\n")});
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(r.closed);
}

TEST(ConformanceLimits, ManyZerosInAChunkSizeAreRefused) {
  const Result r = run({chunked_post(std::string(50'000, '0') + "3\r\nabc\r\n0\r\n\r\n")});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.closed);
}

TEST(ConformanceLimits, HonestChunkFramingIsNotCountedAgainstTheBody) {
  // 4,000 one-byte chunks: four times as much framing as body, all accepted.
  std::string chunks, body;
  for (int i = 0; i < 4000; ++i) {
    const char c = static_cast<char>('a' + i % 26);
    chunks += std::string("1;e=1\r\n") + c + "\r\n";
    body += c;
  }
  const Result r = run({chunked_post(chunks + "0\r\nX-Done: 1\r\n\r\n") + std::string(kNext)});
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[0].body, body);
  EXPECT_FALSE(r.closed);
}

TEST(ConformanceLimits, ReadingNeverStopsWithAFullBufferWhileTheAppWaits) {
  // Fed a byte at a time, a request whose framing outgrows the buffer is
  // still read to its end and answered: the buffer never sits full.
  const std::string req = chunked_post("3;" + std::string(40'000, 'e') + "\r\nabc\r\n0\r\n\r\n");
  std::vector<Seen> seen;
  Harness h(recording_app(seen));
  for (size_t i = 0; i < req.size() && !h.s->closed(); ++i) {
    h.feed(req.substr(i, 1));
    ASSERT_TRUE(h.s->closed() || (h.s->reading && h.s->in.free_space() > 0)) << "stuck at byte " << i;
  }
  EXPECT_TRUE(h.s->closed());
  EXPECT_EQ(h.s->written.substr(0, 12), "HTTP/1.1 400");
}

// ---- 100-continue

TEST(ConformanceExpect, ContinueOnlyToHttp11) {
  auto continued = [](std::string_view version) {
    std::vector<Seen> seen;
    Harness h(recording_app(seen));
    h.feed("POST /c HTTP/" + std::string(version) +
           "\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    const bool sent = h.s->written.starts_with("HTTP/1.1 100 Continue\r\n\r\n");
    h.feed("abc");
    EXPECT_NE(h.s->written.find("echo:abc"), std::string::npos);
    return sent;
  };
  EXPECT_TRUE(continued("1.1"));
  EXPECT_FALSE(continued("1.0"));
}

// ---- timeouts: every waiting state has one

TEST(ConformanceTimeouts, BodyNotSentInTimeIs408AndTheAppSeesADisconnect) {
  std::vector<Seen> seen;
  http::Options o;
  o.body_timeout_ms = 1000;
  Harness h(recording_app(seen), o);
  h.feed("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabcdef");
  ASSERT_TRUE(h.p->busy());
  h.p->on_tick(0);
  h.p->on_tick(900);
  EXPECT_FALSE(h.s->closed());
  h.feed("g");  // progress restarts the clock
  h.p->on_tick(1500);
  h.p->on_tick(2400);
  EXPECT_FALSE(h.s->closed());
  h.p->on_tick(2600);
  EXPECT_TRUE(h.s->closed());
  EXPECT_TRUE(h.s->written.starts_with("HTTP/1.1 408 Request Timeout\r\n")) << h.s->written;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].disconnected);
  EXPECT_FALSE(h.p->busy());
}

// The worker's tick time is up to a tick old; a deadline stamped from it
// would fire that much early. Stamps read the loop's clock instead.
TEST(ConformanceTimeouts, IdleDeadlineStartsAtTheLoopsTimeNotTheTicks) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  {
    std::vector<Seen> seen;
    http::Options o;
    o.idle_timeout_ms = 1000;
    Harness h(recording_app(seen), o);
    h.ctx.loop = &loop;
    const uint64_t now = uv_now(&loop);
    h.ctx.now_ms = now - 200;  // the last tick's time, stale
    h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(seen.size(), 1u);
    h.p->on_tick(now + 999);
    EXPECT_FALSE(h.s->closed());
    h.p->on_tick(now + 1000);
    EXPECT_TRUE(h.s->closed());
  }
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(ConformanceTimeouts, AnAppThatDoesNotWaitForBodyIsNotTimedOut) {
  // Only waiting for the client counts: an app busy elsewhere is its own business.
  Gate gate;
  http::Options o;
  o.body_timeout_ms = 1000;
  Harness h(
      [&](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
        co_await gate.wait();
        co_await send.start({200, {}});
        co_await send.body({"late", false});
      },
      o);
  h.feed("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc");
  for (uint64_t t = 0; t <= 5000; t += 500) h.p->on_tick(t);
  EXPECT_FALSE(h.s->closed());
  gate.open();
  EXPECT_NE(h.s->written.find("late"), std::string::npos);
  EXPECT_TRUE(h.s->closed());  // the unread body ends the connection
}

}  // namespace

namespace {

// ---- cases the fuzzer found (tests/fuzz/regressions/fuzz_http1/)

// An app that starts its response, then reads the body before sending it.
App head_then_read() {
  return [](const Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
    const Header headers[] = {{"content-type", "text/plain"}};
    co_await send.start({200, headers});
    std::string body;
    for (;;) {
      ReceiveEvent ev = co_await receive();
      if (ev.type == ReceiveEvent::disconnect) co_return;  // gives up without a body event
      body.append(ev.bytes);
      if (!ev.more_body) break;
    }
    co_await send.body({body, false});
  };
}

TEST(ConformanceFuzzFound, EofWhileTheResponseHeadIsOpenEndsTheHead) {
  Harness h(head_then_read());
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n");
  h.p->on_eof();
  EXPECT_TRUE(h.s->closed());
  EXPECT_TRUE(h.s->written.ends_with("\r\n\r\n")) << h.s->written;
  EXPECT_NE(h.s->written.find("Connection: close\r\n"), std::string::npos) << h.s->written;
  EXPECT_FALSE(h.p->busy());
}

TEST(ConformanceFuzzFound, AnErrorAfterAHeadRequestHasItsBody) {
  const Result r = run({"HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nBad Header: x\r\n\r\n"});
  const size_t second = r.written.find("HTTP/1.1 400");
  ASSERT_NE(second, std::string::npos) << r.written;
  const std::string error = r.written.substr(second);
  const size_t cl = error.find("Content-Length: ");
  ASSERT_NE(cl, std::string::npos);
  const size_t body = error.find("\r\n\r\n") + 4;
  EXPECT_EQ(std::to_string(error.size() - body), error.substr(cl + 16, error.find("\r\n", cl) - cl - 16)) << error;
}

TEST(ConformanceFuzzFound, AnOpenHeadOverTheHighWaterMarkDoesNotStopReading) {
  http::Options o;
  o.high_water = 64;  // the head alone is over it
  Harness h(head_then_read(), o);
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
  EXPECT_TRUE(h.s->reading);
  h.feed("hello");
  EXPECT_TRUE(h.s->written.ends_with("hello")) << h.s->written;
  EXPECT_FALSE(h.p->busy());
}

// A pipelined request's app opens its head and waits for body; the answer
// to the request before it is complete and must not wait for, or die with,
// the open head.
TEST(ConformanceFuzzFound, AnOpenHeadDoesNotHoldBackTheResponseBeforeIt) {
  Harness h(head_then_read());
  h.feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(h.p->busy());
  EXPECT_EQ(h.s->written.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << h.s->written;
  EXPECT_TRUE(h.s->written.ends_with("\r\n\r\n")) << h.s->written;  // the first answer, whole, and nothing more
  EXPECT_EQ(h.s->written.find("HTTP/1.1", 1), std::string::npos) << h.s->written;
}

TEST(ConformanceFuzzFound, AnErrorBehindAnOpenHeadKeepsTheResponseBeforeIt) {
  Harness h(head_then_read());
  h.feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  h.feed("ZZ\r\n");  // not a chunk size
  EXPECT_TRUE(h.s->closed());
  h.p->on_closed();  // what the transport reports next: the waiting app hears of it
  EXPECT_FALSE(h.p->busy());
  const std::string& w = h.s->written;
  EXPECT_EQ(w.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << w;
  // Nothing of the second answer had left, so the engine's 400 replaces it.
  const size_t second = w.find("HTTP/1.1 ", 1);
  ASSERT_NE(second, std::string::npos) << w;
  EXPECT_EQ(w.compare(second, 13, "HTTP/1.1 400 "), 0) << w;
  EXPECT_EQ(w.find("HTTP/1.1 ", second + 1), std::string::npos) << w;
}

}  // namespace

namespace {

// A long chunked upload read by the app as it arrives: delivered body is
// dropped from the buffer under the parser's feet, and the framing limit
// must keep counting from the right place.
TEST(ConformanceFuzzFound, ALongChunkedUploadReadAsItArrivesIsAccepted) {
  std::string chunks, body;
  for (int i = 0; i < 100; ++i) {
    const std::string piece(1000, static_cast<char>('a' + i % 26));
    chunks += "3e8;n=" + std::to_string(i) + "\r\n" + piece + "\r\n";
    body += piece;
  }
  const std::string req = chunked_post(chunks + "0\r\n\r\n") + std::string(kNext);
  std::vector<Seen> seen;
  Harness h(recording_app(seen));
  for (size_t at = 0; at < req.size(); at += 1000) h.feed(std::string_view(req).substr(at, 1000));
  ASSERT_EQ(seen.size(), 2u) << h.s->written.substr(0, 200);
  EXPECT_EQ(seen[0].body, body);
  EXPECT_FALSE(h.s->closed());
}

}  // namespace
