// The kit's response parser: every valid response is incomplete at every
// split point before its end and complete at its end, whatever follows;
// hostile bytes are refused instead of waited for or trusted.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "kit/http.hpp"

namespace strata::kit {
namespace {

struct Case {
  std::string name;
  std::string bytes;
  std::string body;  // de-chunked
  int status = 200;
  bool head_request = false;
};

std::vector<Case> valid_responses() {
  return {
      {"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello", "hello"},
      {"empty body", "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n", "", 404},
      {"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n7;x=y\r\n strata\r\n0\r\n\r\n",
       "Hello strata"},
      {"chunked with trailers",
       "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n",
       "0123456789"},
      {"no content", "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", "", 204},
      {"head", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", "", 200, true},
      {"no reason", "HTTP/1.0 200\r\nContent-Length: 2\r\n\r\nok", "ok"},
  };
}

ParseResult parse(std::string_view bytes, Response& r, size_t& consumed, bool head = false, bool eof = false,
                  std::string* error = nullptr) {
  ParseOptions o;
  o.head_request = head;
  o.at_eof = eof;
  return parse_response(bytes, o, r, consumed, error);
}

TEST(KitParse, EveryValidResponseAtEverySplitPoint) {
  for (const Case& c : valid_responses()) {
    SCOPED_TRACE(c.name);
    for (size_t i = 0; i < c.bytes.size(); ++i) {
      Response r;
      size_t consumed = 0;
      std::string error;
      ASSERT_EQ(parse(std::string_view(c.bytes).substr(0, i), r, consumed, c.head_request, false, &error),
                ParseResult::incomplete)
          << "split at " << i << ": " << error;
      // The peer closing there leaves nothing complete.
      EXPECT_NE(parse(std::string_view(c.bytes).substr(0, i), r, consumed, c.head_request, true),
                ParseResult::complete)
          << "closed at " << i;
    }
    // Complete at its end, and the same when a next response follows.
    for (const std::string& after : {std::string(), std::string("HTTP/1.1 200 OK\r\n")}) {
      Response r;
      size_t consumed = 0;
      std::string error;
      ASSERT_EQ(parse(c.bytes + after, r, consumed, c.head_request, false, &error), ParseResult::complete) << error;
      EXPECT_EQ(consumed, c.bytes.size());
      EXPECT_EQ(r.status, c.status);
      EXPECT_EQ(r.body, c.body);
      EXPECT_EQ(r.raw, c.bytes);
    }
  }
}

TEST(KitParse, HeadersAndTokens) {
  Response r;
  size_t consumed = 0;
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, Upgrade\r\nX-A:  1 \r\nx-a: 2\r\nContent-Length: 0\r\n\r\n";
  ASSERT_EQ(parse(bytes, r, consumed), ParseResult::complete);
  EXPECT_EQ(r.version, "HTTP/1.1");
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.header("X-A"), "1");
  EXPECT_EQ(r.header_count("x-a"), 2u);
  EXPECT_TRUE(r.header_has_token("connection", "upgrade"));
  EXPECT_FALSE(r.header_has_token("connection", "close"));
  EXPECT_FALSE(r.header("missing"));
}

TEST(KitParse, CloseDelimitedBodyEndsAtEof) {
  const std::string bytes = "HTTP/1.0 200 OK\r\n\r\nall of it";
  Response r;
  size_t consumed = 0;
  EXPECT_EQ(parse(bytes, r, consumed), ParseResult::incomplete);
  ASSERT_EQ(parse(bytes, r, consumed, false, true), ParseResult::complete);
  EXPECT_EQ(r.body, "all of it");
  // A pipelining client cannot frame it.
  ParseOptions o;
  o.require_length = true;
  std::string error;
  EXPECT_EQ(parse_response(bytes, o, r, consumed, &error), ParseResult::invalid);
  EXPECT_NE(error.find("neither Content-Length nor chunked"), std::string::npos) << error;
}

// Bytes no amount of waiting can turn into a response.
TEST(KitParse, RefusesHostileResponses) {
  const std::string big_size = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not HTTP", "garbage\r\n\r\n"},
      {"not HTTP/1", "HTTP/2 200\r\n\r\n"},
      {"bad status", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"},
      {"no space after status", "HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n"},
      {"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\nContent-Length: 0\r\n\r\n"},
      {"empty header name", "HTTP/1.1 200 OK\r\n: v\r\nContent-Length: 0\r\n\r\n"},
      {"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"},
      {"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"},
      {"Content-Length over 64 bits", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"},
      {"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"},
      {"bad chunk size", big_size + "zz\r\nhello\r\n0\r\n\r\n"},
      {"empty chunk size", big_size + "\r\nhello\r\n0\r\n\r\n"},
      {"chunk size over 64 bits", big_size + "10000000000000000\r\n"},
      {"chunk data longer than its size", big_size + "2\r\nabc\r\n0\r\n\r\n"},
      {"chunk size line over 1 KiB", big_size + "1;" + std::string(1100, 'x') + "\r\n"},
      {"unterminated chunk size line over 1 KiB", big_size + std::string(1100, '1')},
      {"trailer over 1 KiB", big_size + "0\r\nX: " + std::string(1100, 'x')},
      {"head over 64 KiB", "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n"},
      {"unterminated head over 64 KiB", "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 * 1024, 'a')},
  };
  for (const auto& [name, bytes] : cases) {
    Response r;
    size_t consumed = 0;
    std::string error;
    EXPECT_EQ(parse(bytes, r, consumed, false, false, &error), ParseResult::invalid) << name;
    EXPECT_FALSE(error.empty()) << name;
  }
}

TEST(KitParse, HeadLimitIsTheWholeHead) {
  ParseOptions o;
  o.max_head_bytes = 64;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n";  // 36 bytes + padding + CRLF CRLF
  const std::string at_limit = head + "X: " + std::string(64 - head.size() - 3 - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(at_limit.size(), 64u);
  Response r;
  size_t consumed = 0;
  EXPECT_EQ(parse_response(at_limit, o, r, consumed), ParseResult::complete);
  const std::string over = head + "X: " + std::string(64 - head.size() - 3 - 3, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse_response(over, o, r, consumed), ParseResult::invalid);
}

// A chunk announced near 2^64 bytes is waited for, never added to.
TEST(KitParse, HugeChunkSizeIsWaitedForNotOverflowed) {
  std::string body;
  EXPECT_EQ(decode_chunked("fffffffffffffffe\r\nabc", body), 0);
  EXPECT_EQ(decode_chunked("ffffffffffffffff\r\n", body), 0);
}

TEST(KitParse, TruncatedBodyAtEofIsAnError) {
  Response r;
  size_t consumed = 0;
  std::string error;
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", r, consumed, false, true, &error),
            ParseResult::invalid);
  EXPECT_NE(error.find("closed inside the body"), std::string::npos) << error;
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", r, consumed, false, true, &error),
            ParseResult::invalid);
  EXPECT_NE(error.find("closed inside a chunked body"), std::string::npos) << error;
}

TEST(KitParse, PrintableEscapesAndShortens) {
  EXPECT_EQ(printable("a\r\n\t\\\x01"), "a\\r\\n\\t\\\\\\x01");
  EXPECT_EQ(printable("abcdef", 3), "abc...(3 more bytes)");
}

// ------------------------------------------------------------------ the client against a scripted peer

// A one-connection peer on 127.0.0.1 that sends `reply` and closes.
class ScriptedPeer {
 public:
  explicit ScriptedPeer(std::string reply) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 1) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return;
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, reply = std::move(reply)] {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)!recv(c, buf, sizeof buf, 0);  // the request, whatever it is
      (void)!send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      close(c);
    });
  }
  ~ScriptedPeer() {
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST(KitClient, ServerClosingEarlyIsAnErrorNotAHang) {
  ScriptedPeer peer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  ASSERT_NE(peer.port(), 0);
  Client c(peer.port(), Millis(2000));
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(c.read_response(false, Millis(2000)));
  EXPECT_NE(c.last_error().find("closed inside the body"), std::string::npos) << c.last_error();
}

TEST(KitClient, ServerClosingInsideTheHead) {
  ScriptedPeer peer("HTTP/1.1 200 OK\r\nContent-Le");
  Client c(peer.port(), Millis(2000));
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(c.read_response(false, Millis(2000)));
  EXPECT_NE(c.last_error().find("before a complete response"), std::string::npos) << c.last_error();
}

TEST(KitClient, ReadsAPipelinedPairAndThenEof) {
  ScriptedPeer peer(
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nb\r\n0\r\n\r\n");
  Client c(peer.port(), Millis(2000));
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_response();
  ASSERT_TRUE(a) << c.last_error();
  EXPECT_EQ(a->body, "a");
  auto b = c.read_response();
  ASSERT_TRUE(b) << c.last_error();
  EXPECT_EQ(b->body, "b");
  EXPECT_TRUE(b->chunked);
  EXPECT_TRUE(c.wait_for_eof(Millis(2000))) << c.last_error();
}

TEST(KitClient, ConnectRefusedIsReported) {
  uint16_t port;
  {
    ScriptedPeer gone("");
    port = gone.port();
    Client wake(port, Millis(1000));  // lets the peer's thread finish
  }
  Client c(port, Millis(1000));
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(c.error_code(), ECONNREFUSED) << c.error();
}

}  // namespace
}  // namespace strata::kit
