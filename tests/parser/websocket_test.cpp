// WebSocket frames and handshake as pure functions (parser/websocket.hpp):
// RFC 6455's own examples, every split point of a frame stream, and each
// malformed case with the close code it must get.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parser/websocket.hpp"

namespace ws_frames_test {

using namespace strata::http;
using namespace strata::http::ws;

constexpr unsigned char kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

std::string client(Opcode op, std::string_view payload, bool fin = true, uint8_t rsv = 0) {
  std::string out;
  append_client_frame(out, op, payload, kMask, fin, rsv);
  return out;
}

struct Got {
  FrameEvent::Kind kind;
  std::string data;
  uint16_t code = 0;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{" << static_cast<int>(g.kind) << ", '" << g.data << "', " << g.code << "}";
}

// Feeds `pieces` in order, as reads would arrive, collecting every event;
// unconsumed bytes are carried into the next piece, as the read buffer keeps them.
std::vector<Got> run(const std::vector<std::string_view>& pieces, size_t limit = 1 << 20) {
  FrameParser p(limit);
  std::vector<Got> got;
  std::string pending;
  for (std::string_view piece : pieces) {
    pending.append(piece);
    for (;;) {
      FrameEvent ev;
      const size_t used = p.parse(pending, ev);
      pending.erase(0, used);
      if (ev.kind == FrameEvent::none) break;
      got.push_back({ev.kind, std::string(ev.data), ev.code});
      if (ev.kind == FrameEvent::error) return got;
    }
  }
  return got;
}

TEST(WebSocketHandshake, AcceptKeyFromTheRfc) {
  // RFC 6455 1.3's example.
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

Scope scope_with(std::vector<Header>& h) {
  Scope s;
  s.method = "GET";
  s.headers = h;
  return s;
}

TEST(WebSocketHandshake, UpgradeRequestNeedsGetUpgradeAndConnectionTokens) {
  std::vector<Header> h = {{"upgrade", "WebSocket"}, {"connection", "keep-alive, Upgrade"}};
  Scope s = scope_with(h);
  EXPECT_TRUE(is_upgrade_request(s));
  s.method = "POST";
  EXPECT_FALSE(is_upgrade_request(s));
  std::vector<Header> h2 = {{"upgrade", "h2c"}, {"connection", "upgrade"}};
  EXPECT_FALSE(is_upgrade_request(scope_with(h2)));
  std::vector<Header> h3 = {{"upgrade", "websocket"}, {"connection", "keep-alive"}};
  EXPECT_FALSE(is_upgrade_request(scope_with(h3)));
}

TEST(WebSocketHandshake, VersionAndKeyChecks) {
  std::vector<Header> ok = {{"sec-websocket-version", "13"}, {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  EXPECT_EQ(check_handshake(scope_with(ok)).status, 0);
  EXPECT_EQ(check_handshake(scope_with(ok)).key, "dGhlIHNhbXBsZSBub25jZQ==");
  std::vector<Header> v8 = {{"sec-websocket-version", "8"}, {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  EXPECT_EQ(check_handshake(scope_with(v8)).status, 426);
  std::vector<Header> none = {{"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  EXPECT_EQ(check_handshake(scope_with(none)).status, 426);
  for (std::string_view bad : {"", "short", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZR==", "dGhlIHNhbXBs!SBub25jZQ=="}) {
    std::vector<Header> h = {{"sec-websocket-version", "13"}, {"sec-websocket-key", bad}};
    EXPECT_EQ(check_handshake(scope_with(h)).status, 400) << bad;
  }
}

TEST(WebSocketHandshake, SubprotocolMustBeOffered) {
  EXPECT_TRUE(offers_subprotocol("chat, superchat", "superchat"));
  EXPECT_TRUE(offers_subprotocol("chat", "chat"));
  EXPECT_FALSE(offers_subprotocol("chat, superchat", "Chat"));
  EXPECT_FALSE(offers_subprotocol("chat", "cha"));
  EXPECT_FALSE(offers_subprotocol("", "chat"));
  EXPECT_FALSE(offers_subprotocol("chat", ""));
}

TEST(WebSocketHandshake, AcceptResponse) {
  std::string out;
  const Header extra[] = {{"x-room", "1"}};
  append_accept_response(out, "dGhlIHNhbXBsZSBub25jZQ==", "chat", extra, "Date: x\r\n");
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\nServer: strata\r\nDate: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: chat\r\nx-room: 1\r\n\r\n");
}

TEST(WebSocketUtf8, ValidAndInvalid) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("hello, world: plain ASCII longer than eight bytes"));
  EXPECT_TRUE(valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
  EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));                              // U+10FFFF
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));                             // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));                                 // a surrogate
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));                                     // overlong
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));                                 // overlong
  EXPECT_FALSE(valid_utf8("\xce"));                                         // cut short
  EXPECT_FALSE(valid_utf8("\xff"));
}

TEST(WebSocketUtf8, AcrossPieces) {
  const std::string s = "a\xf0\x9f\x98\x80z\xce\xba";
  for (size_t i = 0; i <= s.size(); ++i) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(std::string_view(s).substr(0, i)));
    EXPECT_TRUE(v.feed(std::string_view(s).substr(i)));
    EXPECT_TRUE(v.complete()) << i;
  }
}

TEST(WebSocketFrames, ServerFramesAsInTheRfc) {
  std::string out;
  append_frame(out, Opcode::text, "Hello");
  EXPECT_EQ(out, std::string("\x81\x05Hello", 7));  // RFC 6455 5.7
  out.clear();
  append_frame(out, Opcode::text, "Hel", false);
  append_frame(out, Opcode::continuation, "lo");
  EXPECT_EQ(out, std::string("\x01\x03Hel\x80\x02lo", 9));
  out.clear();
  append_frame(out, Opcode::binary, std::string(256, 'x'));
  EXPECT_EQ(out.substr(0, 4), std::string("\x82\x7e\x01\x00", 4));
  out.clear();
  append_frame(out, Opcode::binary, std::string(65536, 'x'));
  EXPECT_EQ(out.substr(0, 10), std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  out.clear();
  append_close(out, 1000, "bye");
  EXPECT_EQ(out, std::string("\x88\x05\x03\xe8" "bye", 7));
  out.clear();
  append_close(out, 1000, std::string(200, 'r'));
  EXPECT_EQ(out.size(), 2u + 125u);
}

TEST(WebSocketFrames, MaskedTextFromTheRfc) {
  // RFC 6455 5.7: "Hello" masked with 37 fa 21 3d.
  const std::string frame("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  EXPECT_EQ(client(Opcode::text, "Hello"), frame);
  EXPECT_EQ(run({frame}), (std::vector<Got>{{FrameEvent::text, "Hello"}}));
}

// A stream with every kind of frame: small, 16-bit and 64-bit lengths,
// fragments with a ping between them, empty frames, then a close.
std::string corpus() {
  std::string s;
  s += client(Opcode::text, "Hello");
  s += client(Opcode::binary, std::string("\x00\x01\x02\xff", 4));
  s += client(Opcode::text, "fra", false);
  s += client(Opcode::ping, "are you there");
  s += client(Opcode::continuation, "g\xce", false);  // a character cut across fragments
  s += client(Opcode::continuation, "\xbamented");
  s += client(Opcode::binary, std::string(300, 'b'));
  s += client(Opcode::binary, std::string(70000, 'c'));
  s += client(Opcode::text, "");
  s += client(Opcode::pong, "");
  s += client(Opcode::binary, "", false);
  s += client(Opcode::continuation, "");
  s += client(Opcode::close, std::string("\x03\xe8" "done", 6));
  return s;
}

std::vector<Got> corpus_events() {
  return {{FrameEvent::text, "Hello"},
          {FrameEvent::binary, std::string("\x00\x01\x02\xff", 4)},
          {FrameEvent::ping, "are you there"},
          {FrameEvent::text, "frag\xce\xbamented"},
          {FrameEvent::binary, std::string(300, 'b')},
          {FrameEvent::binary, std::string(70000, 'c')},
          {FrameEvent::text, ""},
          {FrameEvent::pong, ""},
          {FrameEvent::binary, ""},
          {FrameEvent::close, std::string("\x03\xe8" "done", 6), 1000}};
}

TEST(WebSocketFrames, WholeStream) { EXPECT_EQ(run({corpus()}), corpus_events()); }

TEST(WebSocketFrames, EverySplitPoint) {
  const std::string s = corpus();
  const auto want = corpus_events();
  for (size_t i = 0; i < s.size(); ++i) {
    // The long frame's middle is the same at every cut: step through it.
    if (i > 400 && i < s.size() - 100 && i % 997 != 0) continue;
    ASSERT_EQ(run({std::string_view(s).substr(0, i), std::string_view(s).substr(i)}), want) << "split at " << i;
  }
}

TEST(WebSocketFrames, OneByteAtATime) {
  std::string s;
  s += client(Opcode::text, "fra", false);
  s += client(Opcode::ping, "p");
  s += client(Opcode::continuation, "g\xce");
  s += client(Opcode::binary, std::string(300, 'b'));
  s += client(Opcode::close, "");
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < s.size(); ++i) bytes.push_back(std::string_view(s).substr(i, 1));
  // "frag\xce" is cut short at the message's end: 1007 when the last fragment arrives.
  const auto got = run(bytes);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (Got{FrameEvent::ping, "p"}));
  EXPECT_EQ(got[1].kind, FrameEvent::error);
  EXPECT_EQ(got[1].code, kInvalidPayload);
}

uint16_t error_code(const std::string& bytes, size_t limit = 1 << 20) {
  // Whole, and split at every point: the same code either way.
  const auto whole = run({bytes}, limit);
  uint16_t code = whole.empty() || whole.back().kind != FrameEvent::error ? 0 : whole.back().code;
  for (size_t i = 1; i < bytes.size(); ++i) {
    const auto split = run({std::string_view(bytes).substr(0, i), std::string_view(bytes).substr(i)}, limit);
    const uint16_t c = split.empty() || split.back().kind != FrameEvent::error ? 0 : split.back().code;
    EXPECT_EQ(c, code) << "split at " << i;
  }
  return code;
}

TEST(WebSocketFrames, MalformedFramesGetTheirCloseCodes) {
  std::string unmasked;
  append_frame(unmasked, Opcode::text, "hi");
  EXPECT_EQ(error_code(unmasked), kProtocolError);
  EXPECT_EQ(error_code(client(Opcode::text, "hi", true, 4)), kProtocolError);   // RSV1
  EXPECT_EQ(error_code(client(Opcode::text, "hi", true, 1)), kProtocolError);   // RSV3
  EXPECT_EQ(error_code(client(static_cast<Opcode>(3), "hi")), kProtocolError);  // reserved data opcode
  EXPECT_EQ(error_code(client(static_cast<Opcode>(11), "")), kProtocolError);   // reserved control opcode
  EXPECT_EQ(error_code(client(Opcode::ping, std::string(126, 'p'))), kProtocolError);
  EXPECT_EQ(error_code(client(Opcode::ping, "p", false)), kProtocolError);
  EXPECT_EQ(error_code(client(Opcode::continuation, "x")), kProtocolError);
  EXPECT_EQ(error_code(client(Opcode::text, "a", false) + client(Opcode::text, "b")), kProtocolError);
  EXPECT_EQ(error_code(client(Opcode::text, "\xff" "abc")), kInvalidPayload);
  EXPECT_EQ(error_code(client(Opcode::text, "ab\xce")), kInvalidPayload);
  EXPECT_EQ(error_code(client(Opcode::close, "\x03")), kProtocolError);                   // 1-byte payload
  EXPECT_EQ(error_code(client(Opcode::close, std::string("\x03\xed", 2))), kProtocolError);  // 1005
  EXPECT_EQ(error_code(client(Opcode::close, std::string("\x03\xee", 2))), kProtocolError);  // 1006
  EXPECT_EQ(error_code(client(Opcode::close, std::string("\x00\x00", 2))), kProtocolError);
  EXPECT_EQ(error_code(client(Opcode::close, std::string("\x13\x88", 2))), kProtocolError);  // 5000
  EXPECT_EQ(error_code(client(Opcode::close, std::string("\x03\xe8\xff", 3))), kInvalidPayload);
  EXPECT_EQ(error_code(client(Opcode::binary, std::string(101, 'x')), 100), kTooBig);
  EXPECT_EQ(error_code(client(Opcode::binary, std::string(60, 'x'), false) + client(Opcode::continuation, std::string(60, 'x')), 100),
            kTooBig);
  // A 64-bit length with its top bit set.
  std::string huge("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00\x37\xfa\x21\x3d", 14);
  EXPECT_EQ(error_code(huge), kProtocolError);
}

TEST(WebSocketFrames, ValidCloseCodes) {
  for (unsigned c : {1000u, 1001u, 1002u, 1003u, 1007u, 1008u, 1009u, 1010u, 1011u, 3000u, 4999u})
    EXPECT_TRUE(valid_close_code(c)) << c;
  for (unsigned c : {0u, 999u, 1004u, 1005u, 1006u, 1015u, 1016u, 2999u, 5000u}) EXPECT_FALSE(valid_close_code(c)) << c;
  EXPECT_EQ(run({client(Opcode::close, "")}), (std::vector<Got>{{FrameEvent::close, "", kNoStatus}}));
}

TEST(WebSocketFrames, FailedParserStaysFailed) {
  FrameParser p(1 << 20);
  FrameEvent ev;
  std::string bad;
  append_frame(bad, Opcode::text, "hi");
  p.parse(bad, ev);
  EXPECT_EQ(ev.kind, FrameEvent::error);
  EXPECT_EQ(p.parse(client(Opcode::text, "ok"), ev), 0u);
  EXPECT_EQ(ev.kind, FrameEvent::none);
}

}  // namespace ws_frames_test
