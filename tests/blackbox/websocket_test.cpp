// WebSockets against the real `strata serve --tier app` and `--tier typed`
// on an ephemeral port: the /ws/echo route, spoken to over raw TCP with a
// frame encoder of the test's own (not the server's), so the bytes on the
// wire are checked independently. CTest runs the suite over io_uring too.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "blackbox.hpp"

namespace strata::test {
namespace {

constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";  // RFC 6455 1.3

std::string handshake(std::string_view path, std::string_view version = "13") {
  std::string r = "GET ";
  r.append(path).append(" HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
  r.append("Sec-WebSocket-Key: ").append(kKey).append("\r\nSec-WebSocket-Version: ").append(version).append("\r\n\r\n");
  return r;
}

// A masked client frame.
std::string frame(uint8_t opcode, std::string_view payload, bool fin = true, bool masked = true) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  const char m = masked ? static_cast<char>(0x80) : 0;
  const uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(m | static_cast<char>(n)));
  } else if (n < 65536) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int s = 56; s >= 0; s -= 8) f.push_back(static_cast<char>((n >> s) & 0xff));
  }
  const unsigned char key[4] = {0xa1, 0xb2, 0xc3, 0xd4};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ (masked ? key[i & 3] : 0)));
  return f;
}

std::string close_payload(uint16_t code) { return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)}; }

struct Frame {
  uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
};

// Reads one unmasked server frame from the client's buffer.
std::optional<Frame> read_frame(Client& c) {
  for (;;) {
    const std::string_view b = c.buffered();
    if (b.size() >= 2) {
      const auto b1 = static_cast<unsigned char>(b[1]);
      if (b1 & 0x80) return std::nullopt;  // a server must not mask
      size_t len = b1 & 0x7f, at = 2;
      if (len == 126 && b.size() >= 4) {
        len = static_cast<unsigned char>(b[2]) << 8 | static_cast<unsigned char>(b[3]);
        at = 4;
      } else if (len == 127 && b.size() >= 10) {
        len = 0;
        for (int i = 0; i < 8; ++i) len = len << 8 | static_cast<unsigned char>(b[2 + i]);
        at = 10;
      }
      if ((b1 & 0x7f) < 126 || at > 2) {
        if (b.size() >= at + len) {
          Frame f{static_cast<uint8_t>(b[0] & 0x0f), (b[0] & 0x80) != 0, std::string(b.substr(at, len))};
          c.consume(at + len);
          return f;
        }
      }
    }
    if (c.read_once(5000ms) == 0) return std::nullopt;
  }
}

uint16_t code_of(const Frame& f) {
  return f.payload.size() < 2 ? 0
                              : static_cast<uint16_t>(static_cast<unsigned char>(f.payload[0]) << 8 |
                                                      static_cast<unsigned char>(f.payload[1]));
}

class WebSocketBlackbox : public BlackboxServerTest, public ::testing::WithParamInterface<const char*> {
 protected:
  ServerProcess* serve() { return start({"--tier", GetParam()}); }
};

TEST_P(WebSocketBlackbox, HandshakeEchoAndClosingHandshake) {
  ServerProcess* s = serve();
  ASSERT_NE(s, nullptr);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(handshake("/ws/echo")));
  auto r = c.read_response();
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 101);
  EXPECT_EQ(r->header("sec-websocket-accept"), std::string(kAccept));
  EXPECT_TRUE(r->header_has_token("connection", "upgrade"));
  EXPECT_EQ(r->header("upgrade"), "websocket");

  const std::string big(300 * 1024, 'q');
  ASSERT_TRUE(c.send(frame(1, "héllo") + frame(2, std::string("\x00\x01\xfe\xff", 4)) + frame(1, "frag", false) +
                     frame(9, "ping!") + frame(0, "mented") + frame(2, big)));
  auto f = read_frame(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 1);
  EXPECT_EQ(f->payload, "héllo");
  f = read_frame(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 2);
  EXPECT_EQ(f->payload, std::string("\x00\x01\xfe\xff", 4));
  f = read_frame(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 10) << "the ping is answered before the fragmented message completes";
  EXPECT_EQ(f->payload, "ping!");
  f = read_frame(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 1);
  EXPECT_EQ(f->payload, "fragmented");
  f = read_frame(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 2);
  EXPECT_EQ(f->payload.size(), big.size());
  EXPECT_TRUE(f->payload == big);

  ASSERT_TRUE(c.send(frame(8, close_payload(4000) + "bye")));
  f = read_frame(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 8);
  EXPECT_EQ(code_of(*f), 4000);
  EXPECT_TRUE(c.wait_for_eof()) << "the server closes the connection after the closing handshake";
}

TEST_P(WebSocketBlackbox, MalformedFramesCloseWithTheirCodes) {
  ServerProcess* s = serve();
  ASSERT_NE(s, nullptr);
  struct Case {
    const char* what;
    std::string bytes;
    uint16_t code;
  };
  const Case cases[] = {
      {"unmasked", frame(1, "x", true, false), 1002},
      {"reserved bit", std::string(1, '\xc1') + frame(1, "x").substr(1), 1002},
      {"unknown opcode", frame(3, "x"), 1002},
      {"control frame over 125 bytes", frame(9, std::string(126, 'p')), 1002},
      {"fragmented control frame", frame(9, "p", false), 1002},
      {"invalid UTF-8", frame(1, "\xc0\xaf"), 1007},
      {"close code 1005", frame(8, close_payload(1005)), 1002},
      {"1-byte close payload", frame(8, "\x03"), 1002},
      {"over the 16 MiB limit", frame(2, "").substr(0, 1) + std::string("\xff\x00\x00\x00\x00\x01\x00\x00\x01", 9) +
                                    std::string(4, '\0'), 1009},
  };
  for (const Case& k : cases) {
    Client c(s->port());
    ASSERT_TRUE(c.send(handshake("/ws/echo") + k.bytes)) << k.what;
    auto r = c.read_response();
    ASSERT_TRUE(r && r->status == 101) << k.what;
    auto f = read_frame(c);
    ASSERT_TRUE(f) << k.what;
    EXPECT_EQ(f->opcode, 8) << k.what;
    EXPECT_EQ(code_of(*f), k.code) << k.what;
    EXPECT_TRUE(c.wait_for_eof()) << k.what;
  }
}

TEST_P(WebSocketBlackbox, HandshakeRefusals) {
  ServerProcess* s = serve();
  ASSERT_NE(s, nullptr);
  auto r = round_trip(s->port(), handshake("/ws/echo", "8"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 426);
  EXPECT_EQ(r->header("sec-websocket-version"), "13");
  r = round_trip(s->port(), handshake("/ws/nowhere"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  // Plain HTTP still works beside it, and to the WebSocket path is a 404.
  r = round_trip(s->port(), "GET /ws/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_P(WebSocketBlackbox, GracefulStopClosesWith1001ThenExits) {
  ServerProcess* s = serve();
  ASSERT_NE(s, nullptr);
  Client c(s->port());
  ASSERT_TRUE(c.send(handshake("/ws/echo")));
  auto r = c.read_response();
  ASSERT_TRUE(r && r->status == 101);
  ASSERT_TRUE(c.send(frame(1, "still here")));
  auto f = read_frame(c);
  ASSERT_TRUE(f && f->payload == "still here");

  stopped_by_test_ = true;  // the test ends the server itself
  ASSERT_TRUE(s->send_signal(SIGTERM));
  f = read_frame(c);
  ASSERT_TRUE(f) << "no close frame after SIGTERM";
  EXPECT_EQ(f->opcode, 8);
  EXPECT_EQ(code_of(*f), 1001);
  ASSERT_TRUE(c.send(frame(8, close_payload(1001))));
  EXPECT_TRUE(c.wait_for_eof());
  auto st = s->wait_exit(5000ms);
  ASSERT_TRUE(st) << "the server did not exit after its last WebSocket closed";
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe();
}

TEST_P(WebSocketBlackbox, WsMaxSizeFlagSetsTheMessageLimit) {
  ServerProcess* s = start({"--tier", GetParam(), "--ws-max-size", "1000"});
  ASSERT_NE(s, nullptr);
  Client c(s->port());
  ASSERT_TRUE(c.send(handshake("/ws/echo") + frame(2, std::string(1000, 'a'))));
  auto r = c.read_response();
  ASSERT_TRUE(r && r->status == 101);
  auto f = read_frame(c);
  ASSERT_TRUE(f && f->payload.size() == 1000) << "a message at the limit is echoed";
  ASSERT_TRUE(c.send(frame(2, std::string(500, 'b'), false) + frame(0, std::string(501, 'c'))));
  f = read_frame(c);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 8);
  EXPECT_EQ(code_of(*f), 1009) << "fragments adding up to more than the limit";
  EXPECT_TRUE(c.wait_for_eof());
}

INSTANTIATE_TEST_SUITE_P(Tiers, WebSocketBlackbox, ::testing::Values("app", "typed"));

}  // namespace
}  // namespace strata::test
