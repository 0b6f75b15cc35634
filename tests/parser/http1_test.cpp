// The HTTP/1.1 engine in-process: scope building, response framing, app
// failures, streaming, timeouts and graceful stop, over a MemoryStream.
#include <gtest/gtest.h>

#include <stdexcept>

#include "common/ablation.hpp"
#include "harness.hpp"
#include "parser/ablations.hpp"

namespace {

using namespace strata;
using namespace strata::test;

const std::string kDate = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";

TEST(HttpDate, FormatsImfFixdate) {
  char out[29];
  http::format_http_date(784111777, out);
  EXPECT_EQ(std::string(out, 29), "Sun, 06 Nov 1994 08:49:37 GMT");
  http::format_http_date(0, out);
  EXPECT_EQ(std::string(out, 29), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(Http1, BuildsTheScope) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed(
      "GET /a%20b/c?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nX-Twice: 1\r\nx-twice: 2\r\n"
      "Accept:  text/plain  \r\n\r\n");
  ASSERT_EQ(log.size(), 1u);
  const Seen& s = log[0];
  EXPECT_EQ(s.method, "GET");
  EXPECT_EQ(s.path, "/a b/c");
  EXPECT_EQ(s.raw_path, "/a%20b/c");
  EXPECT_EQ(s.query, "x=1&y=%20");
  EXPECT_EQ(s.version, "1.1");
  const std::vector<std::pair<std::string, std::string>> want = {
      {"host", "example.com"}, {"x-twice", "1"}, {"x-twice", "2"}, {"accept", "text/plain"}};
  EXPECT_EQ(s.headers, want);
  EXPECT_EQ(s.body, "");
  EXPECT_EQ(h.s->written,
            "HTTP/1.1 200 OK\r\nServer: strata\r\n" + kDate +
                "content-type: text/plain\r\nContent-Length: 5\r\n\r\necho:");
}

TEST(Http1, AbsoluteFormTargetYieldsThePath) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("GET http://example.com/p/q?z=9 HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].path, "/p/q");
  EXPECT_EQ(log[0].query, "z=9");
}

TEST(Http1, PipelinedRequestsGoOutInOneWriteInOrder) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed(
      "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\none"
      "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nthree\r\n0\r\n\r\n");
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].path, "/1");
  EXPECT_EQ(log[1].path, "/2");
  EXPECT_EQ(log[2].body, "three");
  EXPECT_EQ(h.s->flushes, 1);
  const size_t a = h.s->written.find("echo:one"), b = h.s->written.find("echo:\r\n"),
               c = h.s->written.find("echo:three");
  (void)b;
  EXPECT_LT(a, c);
  EXPECT_FALSE(h.s->closed());
}

TEST(Http1, ChunkedResponseWhenTheAppGivesNoLength) {
  Harness h([](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    co_await send.start({200, {}});
    co_await send.body({"a", true});
    co_await send.body({"", true});  // empty pieces emit no chunk
    co_await send.body({"bc", true});
    co_await send.body({"", false});
  });
  h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.s->written, "HTTP/1.1 200 OK\r\nServer: strata\r\n" + kDate +
                              "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n2\r\nbc\r\n0\r\n\r\n");
  EXPECT_FALSE(h.s->closed());
}

TEST(Http1, MessagesMayBeTemporariesAwaitedLater) {
  // A Task made from a temporary message and awaited afterwards must not
  // dangle: messages are taken by value.
  Harness h([](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    auto piece = [&send](std::string_view s, bool more) { return send.body({s, more}); };
    Task<void> start = send.start({200, {}});
    co_await start;
    Task<void> a = piece("early-", true);
    Task<void> b = piece("late", false);
    co_await a;
    co_await b;
  });
  h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(h.s->written.find("6\r\nearly-\r\n4\r\nlate\r\n0\r\n\r\n"), std::string::npos) << h.s->written;
}

TEST(Http1, ALargeResponseWrittenAtOnceDoesNotWaitForADrain) {
  // Over the high-water mark the app waits for the output to drain, but only
  // if the flush could not write it all: a transport that takes everything
  // at once (as a roomy socket does) must not leave the app waiting forever.
  const std::string big(3 * http::Options{}.high_water, 'x');
  int finished = 0;
  Harness h([&](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    co_await send.start({200, {}});
    co_await send.body({big, false});
    ++finished;
  });
  h.feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(finished, 2);
  EXPECT_FALSE(h.p->busy());
  const std::string head = "HTTP/1.1 200 OK\r\nServer: strata\r\n" + kDate + "Content-Length: " +
                           std::to_string(big.size()) + "\r\n\r\n";
  EXPECT_TRUE(h.s->written == head + big + head + big);
}

// write=per-response (parser/ablations.hpp): the same batch goes out as one
// write per response, with the same bytes.
TEST(Http1, WritePerResponseWritesEachPipelinedResponseAlone) {
  const std::string batch =
      "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\none"
      "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::vector<Seen> base_log, ablated_log;
  Harness base(recording_app(base_log));
  Harness ablated(recording_app(ablated_log));
  ablation::set_active({{"write", "per-response"}});
  http::apply_ablations(ablated.ctx);
  ablation::set_active({});
  base.feed(batch);
  ablated.feed(batch);
  ASSERT_EQ(ablated_log.size(), 3u);
  EXPECT_EQ(base.s->flushes, 1);
  EXPECT_EQ(ablated.s->flushes, 3);
  EXPECT_EQ(ablated.s->written, base.s->written);
}

TEST(Http1, PipelinedResponsesBeyondTheHighWaterMarkAreAllAnswered) {
  // 100 small pipelined requests in one read, 100 KB of answers: parsing
  // pauses at the high-water mark, and must resume once the transport has
  // taken the output, even when it took it at once and no drain follows.
  const std::string piece(1000, 'y');
  int answered = 0;
  Harness h([&](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    co_await send.start({200, {}});
    co_await send.body({piece, false});
    ++answered;
  });
  std::string batch;
  for (int i = 0; i < 100; ++i) batch += "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_LT(batch.size(), h.s->in.capacity());
  h.feed(batch);
  EXPECT_EQ(answered, 100);
  EXPECT_GE(h.s->flushes, 2);  // more than one write: the mark was crossed
}

TEST(Http1, Http10StreamingEndsWithClose) {
  Harness h([](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    co_await send.start({200, {}});
    co_await send.body({"a", true});
    co_await send.body({"b", false});
  });
  h.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(h.s->written, "HTTP/1.1 200 OK\r\nServer: strata\r\n" + kDate + "Connection: close\r\n\r\nab");
  EXPECT_TRUE(h.s->closed());
}

TEST(Http1, Http10KeepAliveIsAnnouncedAndKept) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_NE(h.s->written.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_FALSE(h.s->closed());
  h.feed("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(log.size(), 2u);
  EXPECT_TRUE(h.s->closed());
}

TEST(Http1, HeadGetsHeadersAndLengthButNoBody) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string head = "HTTP/1.1 200 OK\r\nServer: strata\r\n" + kDate +
                           "content-type: text/plain\r\nContent-Length: 5\r\n\r\n";
  EXPECT_EQ(h.s->written, head + head + "echo:");
}

TEST(Http1, ExceptionBeforeStartIs500AndConnectionStaysUsable) {
  int calls = 0;
  Harness h([&calls](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    if (++calls == 1) throw std::runtime_error("handler exploded");
    co_await send.start({204, {}});
    co_await send.body({"", false});
  });
  h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.s->written, "HTTP/1.1 500 Internal Server Error\r\nServer: strata\r\n" + kDate +
                              "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n\r\n"
                              "Internal Server Error\nHTTP/1.1 204 No Content\r\nServer: strata\r\n" + kDate +
                              "\r\n");
  EXPECT_EQ(h.s->written.find("exploded"), std::string::npos);  // no internals leaked
  EXPECT_FALSE(h.s->closed());
}

TEST(Http1, AppReturningWithoutResponseIs500) {
  Harness h([](const Scope&, http::Receive&, http::Send&) -> Task<void> { co_return; });
  h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.s->written.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u);
}

TEST(Http1, FailureAfterStartClosesWithAnEndedHead) {
  Harness h([](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    co_await send.start({200, {}});
    throw std::runtime_error("late");
  });
  h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.s->written, "HTTP/1.1 200 OK\r\nServer: strata\r\n" + kDate + "Connection: close\r\n\r\n");
  EXPECT_TRUE(h.s->closed());
}

TEST(Http1, HeaderInjectionIsRefused) {
  Harness h([](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    const Header bad[] = {{"x-evil", "a\r\nSet-Cookie: x=1"}};
    co_await send.start({200, bad});
    co_await send.body({"", false});
  });
  h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.s->written.rfind("HTTP/1.1 500 ", 0), 0u);
  EXPECT_EQ(h.s->written.find("Set-Cookie"), std::string::npos);
}

TEST(Http1, AsyncAppHoldsThePipelineUntilItFinishes) {
  Gate gate;
  std::vector<std::string> order;
  Harness h([&](const Scope& scope, http::Receive&, http::Send& send) -> Task<void> {
    const std::string path(scope.path);
    order.push_back("start " + path);
    if (path == "/slow") co_await gate.wait();
    order.push_back("end " + path);
    co_await send.start({200, {}});
    co_await send.body({path, false});
  });
  h.feed("GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(order, (std::vector<std::string>{"start /slow"}));
  EXPECT_TRUE(h.s->written.empty());
  EXPECT_TRUE(h.p->busy());
  gate.open();
  EXPECT_EQ(order, (std::vector<std::string>{"start /slow", "end /slow", "start /fast", "end /fast"}));
  const size_t slow = h.s->written.find("\r\n\r\n/slow"), fast = h.s->written.find("\r\n\r\n/fast");
  ASSERT_NE(slow, std::string::npos);
  ASSERT_NE(fast, std::string::npos);
  EXPECT_LT(slow, fast);
}

TEST(Http1, NoReadingAfterThePeersFinWhileTheAppRuns) {
  // The peer half-closes while its request is still being handled: another
  // read could only report EOF again, so asking for one would spin the loop
  // until the app finishes.
  Gate gate;
  Harness h([&](const Scope&, http::Receive&, http::Send& send) -> Task<void> {
    co_await gate.wait();
    co_await send.start({200, {}});
    co_await send.body({"late", false});
  });
  h.feed("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(h.p->busy());
  h.s->set_reading(false);  // what the transport does on EOF, before telling the engine
  h.p->on_eof();
  EXPECT_FALSE(h.s->reading);
  EXPECT_FALSE(h.s->closed());  // the response can still be written
  gate.open();
  EXPECT_FALSE(h.s->reading);
  EXPECT_NE(h.s->written.find("\r\n\r\nlate"), std::string::npos) << h.s->written;
  EXPECT_TRUE(h.s->closed());
}

TEST(Http1, BodyArrivesAsItIsReceived) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123");
  EXPECT_TRUE(log.empty());
  EXPECT_TRUE(h.p->busy());  // dispatched with the head, waiting for body
  h.feed("456");
  h.feed("789");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].body, "0123456789");
  EXPECT_EQ(log[0].body_events, 3);
}

TEST(Http1, LargeChunkedUploadStreamsThroughASmallBuffer) {
  // Ten times the read buffer, in 1000-byte chunks: only possible if
  // consumed body bytes are reclaimed while the app is still running.
  http::Options o;
  o.max_body_bytes = 10 << 20;
  size_t total = 0;
  uint32_t sum = 0;
  Harness h(
      [&](const Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
        for (;;) {
          ReceiveEvent ev = co_await receive();
          if (ev.type == ReceiveEvent::disconnect) co_return;
          total += ev.bytes.size();
          for (char c : ev.bytes) sum += static_cast<unsigned char>(c);
          if (!ev.more_body) break;
        }
        co_await send.start({200, {}});
        co_await send.body({"ok", false});
      },
      o);
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  const size_t chunks = 10 * o.read_capacity() / 1000;
  uint32_t want = 0;
  for (size_t i = 0; i < chunks; ++i) {
    std::string piece(1000, static_cast<char>('a' + i % 26));
    for (char c : piece) want += static_cast<unsigned char>(c);
    h.feed("3e8\r\n" + piece + "\r\n");
  }
  h.feed("0\r\n\r\n");
  EXPECT_EQ(total, chunks * 1000);
  EXPECT_EQ(sum, want);
  EXPECT_NE(h.s->written.find("\r\n\r\nok"), std::string::npos);
}

TEST(Http1, ExpectContinueIsSentWhenTheAppAsksForTheBody) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(h.s->written, "HTTP/1.1 100 Continue\r\n\r\n");
  h.feed("hi");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].body, "hi");
  EXPECT_NE(h.s->written.find("echo:hi"), std::string::npos);
}

TEST(Http1, DisconnectWakesAnAppWaitingForBody) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01");
  EXPECT_TRUE(h.p->busy());
  h.s->close();
  h.p->on_closed();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log[0].disconnected);
  EXPECT_FALSE(h.p->busy());
}

TEST(Http1, ErrorsAreSelfDelimitingAndClose) {
  struct Case { const char* request; const char* status; };
  const Case cases[] = {
      {"GARBAGE\r\n\r\n", "400 Bad Request"},
      {"GET / HTTP/1.1\r\n\r\n", "400 Bad Request"},  // no Host
      {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400 Bad Request"},
      {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "400 Bad Request"},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "400 Bad Request"},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "400 Bad Request"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", "501 Not Implemented"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501 Not Implemented"},
      {"GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", "417 Expectation Failed"},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", "413 Content Too Large"},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "505 HTTP Version Not Supported"},
      {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", "505 HTTP Version Not Supported"},
  };
  for (const Case& c : cases) {
    std::vector<Seen> log;
    Harness h(recording_app(log));
    h.feed(c.request);
    const std::string& w = h.s->written;
    EXPECT_EQ(w.rfind(std::string("HTTP/1.1 ") + c.status + "\r\n", 0), 0u) << c.request << "\n" << w;
    EXPECT_NE(w.find("Connection: close\r\n"), std::string::npos) << c.request;
    // Self-delimiting: the Content-Length matches the bytes after the head.
    const size_t end = w.find("\r\n\r\n");
    const size_t cl = w.find("Content-Length: ");
    ASSERT_NE(cl, std::string::npos) << c.request;
    EXPECT_EQ(std::stoul(w.substr(cl + 16)), w.size() - end - 4) << c.request;
    EXPECT_TRUE(h.s->closed()) << c.request;
    EXPECT_TRUE(log.empty()) << c.request;
  }
}

TEST(Http1, HeadLimitsAnswer431) {
  http::Options o;
  o.max_head_bytes = 1024;
  o.max_headers = 5;
  {
    std::vector<Seen> log;
    Harness h(recording_app(log), o);
    h.feed("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(2000, 'x') + "\r\n\r\n");
    EXPECT_EQ(h.s->written.rfind("HTTP/1.1 431 ", 0), 0u) << h.s->written;
  }
  {
    std::vector<Seen> log;
    Harness h(recording_app(log), o);
    std::string req = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < 5; ++i) req += "X-" + std::to_string(i) + ": v\r\n";
    h.feed(req + "\r\n");
    EXPECT_EQ(h.s->written.rfind("HTTP/1.1 431 ", 0), 0u) << h.s->written;
  }
  {
    // A head that never ends is cut off at the limit, not buffered forever.
    std::vector<Seen> log;
    Harness h(recording_app(log), o);
    h.feed("GET /" + std::string(1100, 'a'));
    EXPECT_EQ(h.s->written.rfind("HTTP/1.1 431 ", 0), 0u) << h.s->written;
  }
}

TEST(Http1, ChunkedBodyOverTheLimitIs413) {
  http::Options o;
  o.max_body_bytes = 100;
  std::vector<Seen> log;
  Harness h(recording_app(log), o);
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + std::string(100, 'x') +
         "\r\n1\r\nx\r\n0\r\n\r\n");
  EXPECT_EQ(h.s->written.rfind("HTTP/1.1 413 ", 0), 0u) << h.s->written;
  EXPECT_TRUE(h.s->closed());
  h.p->on_closed();
  EXPECT_FALSE(h.p->busy());
}

TEST(Http1, HeadTimeoutAnswers408AndIdleTimeoutCloses) {
  http::Options o;
  o.head_timeout_ms = 100;
  o.idle_timeout_ms = 50;
  {
    std::vector<Seen> log;
    Harness h(recording_app(log), o);
    h.ctx.now_ms = 1000;
    h.feed("GET / HTT");
    h.p->on_tick(1099);
    EXPECT_TRUE(h.s->written.empty());
    h.p->on_tick(1100);
    EXPECT_EQ(h.s->written.rfind("HTTP/1.1 408 Request Timeout\r\n", 0), 0u);
    EXPECT_TRUE(h.s->closed());
  }
  {
    std::vector<Seen> log;
    Harness h(recording_app(log), o);
    h.ctx.now_ms = 1000;
    h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.p->on_tick(1049);
    EXPECT_FALSE(h.s->closed());
    h.p->on_tick(1050);
    EXPECT_TRUE(h.s->closed());
    EXPECT_EQ(h.s->written.find("408"), std::string::npos);
  }
}

TEST(Http1, GracefulStopFinishesTheRequestInFlight) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
  h.p->on_stop();
  EXPECT_FALSE(h.s->closed());
  h.feed("cd");
  ASSERT_EQ(log.size(), 1u);
  EXPECT_NE(h.s->written.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(h.s->written.find("echo:abcd"), std::string::npos);
  EXPECT_TRUE(h.s->closed());
}

TEST(Http1, GracefulStopClosesAnIdleConnection) {
  std::vector<Seen> log;
  Harness h(recording_app(log));
  h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_FALSE(h.s->closed());
  h.p->on_stop();
  EXPECT_TRUE(h.s->closed());
}

}  // namespace
