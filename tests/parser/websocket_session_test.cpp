// The WebSocket engine behind the HTTP one, over an in-memory stream: the
// hand-over from an Upgrade request, the app's websocket events, the
// closing handshake, and the close code each malformed frame gets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.hpp"
#include "parser/http_server.hpp"
#include "parser/websocket.hpp"
#include "support/uv_client.hpp"

namespace ws_session_test {

using namespace strata;
using namespace strata::test;
using http::WebSocketAction;
using http::WebSocketEvent;
namespace ws = http::ws;

constexpr unsigned char kMask[4] = {1, 2, 3, 4};

std::string client(ws::Opcode op, std::string_view payload, bool fin = true) {
  std::string out;
  ws::append_client_frame(out, op, payload, kMask, fin);
  return out;
}

std::string server(ws::Opcode op, std::string_view payload) {
  std::string out;
  ws::append_frame(out, op, payload);
  return out;
}

std::string close_frame(uint16_t code) {
  std::string out;
  ws::append_close(out, code);
  return out;
}

const std::string kUpgrade =
    "GET /ws?room=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: chat, echo\r\n\r\n";

const std::string k101 =
    "HTTP/1.1 101 Switching Protocols\r\nServer: strata\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: echo\r\n\r\n";

struct Log {
  std::string type, scheme, path, query;
  std::vector<std::string> events;
  uint16_t disconnect_code = 0;
  bool finished = false;
};

// Accepts with "echo", echoes every message as it came, records the rest.
http::App echo_app(Log& log) {
  return [&log](const http::Scope& scope, http::Receive& receive, http::Send& send) -> Task<void> {
    log.type = scope.type;
    log.scheme = scope.scheme;
    log.path = scope.path;
    log.query = scope.query_string;
    WebSocketEvent ev = co_await receive.websocket();
    EXPECT_EQ(ev.type, WebSocketEvent::connect);
    WebSocketAction accept;
    accept.type = WebSocketAction::accept;
    accept.subprotocol = "echo";
    co_await send.websocket(accept);
    for (;;) {
      ev = co_await receive.websocket();
      if (ev.type == WebSocketEvent::disconnect) {
        log.disconnect_code = ev.code;
        break;
      }
      log.events.push_back((ev.text ? "text:" : "bytes:") + std::string(ev.data));
      WebSocketAction echo;
      echo.text = ev.text;
      echo.data = ev.data;
      co_await send.websocket(echo);
    }
    log.finished = true;
  };
}

TEST(WebSocketSession, HandshakeEchoAndClosingHandshake) {
  Log log;
  Harness h(echo_app(log));
  h.feed(kUpgrade + client(ws::Opcode::text, "hello") + client(ws::Opcode::binary, std::string("\x00\xff", 2)) +
         client(ws::Opcode::ping, "p") + client(ws::Opcode::close, std::string("\x03\xe8", 2)));
  EXPECT_EQ(log.type, "websocket");
  EXPECT_EQ(log.scheme, "ws");
  EXPECT_EQ(log.path, "/ws");
  EXPECT_EQ(log.query, "room=1");
  EXPECT_EQ(log.events, (std::vector<std::string>{"text:hello", std::string("bytes:\x00\xff", 8)}));
  EXPECT_EQ(log.disconnect_code, 1000);
  EXPECT_TRUE(log.finished);
  EXPECT_EQ(h.s->written, k101 + server(ws::Opcode::text, "hello") + server(ws::Opcode::binary, std::string("\x00\xff", 2)) +
                              server(ws::Opcode::pong, "p") + close_frame(1000));
  EXPECT_TRUE(h.s->closed());
  EXPECT_FALSE(h.p->busy());
}

TEST(WebSocketSession, ABurstLargerThanTheReadBufferIsEchoedInOrder) {
  Log log;
  Harness h(echo_app(log));
  std::string burst = kUpgrade, want;
  for (int i = 0; i < 5000; ++i) {
    const std::string m = "message " + std::to_string(i);
    burst += client(ws::Opcode::text, m);
    want += server(ws::Opcode::text, m);
  }
  burst += client(ws::Opcode::binary, std::string(200'000, 'b'));  // over the read buffer, one message
  want += server(ws::Opcode::binary, std::string(200'000, 'b'));
  h.feed(burst + client(ws::Opcode::close, ""));
  ASSERT_EQ(log.events.size(), 5001u);
  EXPECT_EQ(h.s->written, k101 + want + close_frame(0));
  EXPECT_TRUE(h.s->closed());
}

TEST(WebSocketSession, EverySplitPointGivesTheSameBytes) {
  const std::string stream = kUpgrade + client(ws::Opcode::text, "fr", false) + client(ws::Opcode::ping, "") +
                             client(ws::Opcode::continuation, "ag") + client(ws::Opcode::binary, std::string(200, 'b')) +
                             client(ws::Opcode::close, "");
  Log whole_log;
  Harness whole(echo_app(whole_log));
  whole.feed(stream);
  ASSERT_EQ(whole_log.disconnect_code, ws::kNoStatus);
  for (size_t i = 1; i < stream.size(); ++i) {
    Log log;
    Harness h(echo_app(log));
    h.feed(std::string_view(stream).substr(0, i));
    h.feed(std::string_view(stream).substr(i));
    ASSERT_EQ(h.s->written, whole.s->written) << "split at " << i;
    ASSERT_EQ(log.events, whole_log.events) << "split at " << i;
    ASSERT_TRUE(h.s->closed());
  }
}

// The close frame the server sent last, and that it closed.
uint16_t close_code_for(const std::string& frames, http::Options o = {}) {
  Log log;
  Harness h(echo_app(log), o);
  h.feed(kUpgrade + frames);
  EXPECT_TRUE(h.s->closed());
  EXPECT_TRUE(log.finished);
  const std::string& w = h.s->written;
  // The last frame is the close: 0x88, a 7-bit length, the code.
  const size_t at = w.rfind('\x88');
  if (at == std::string::npos || at + 4 > w.size()) return 0;
  return static_cast<uint16_t>(static_cast<unsigned char>(w[at + 2]) << 8 | static_cast<unsigned char>(w[at + 3]));
}

TEST(WebSocketSession, MalformedFramesAreClosedWithTheirCodes) {
  EXPECT_EQ(close_code_for(server(ws::Opcode::text, "unmasked")), ws::kProtocolError);
  std::string rsv = client(ws::Opcode::text, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  EXPECT_EQ(close_code_for(rsv), ws::kProtocolError);
  EXPECT_EQ(close_code_for(client(static_cast<ws::Opcode>(5), "x")), ws::kProtocolError);
  EXPECT_EQ(close_code_for(client(ws::Opcode::ping, std::string(126, 'x'))), ws::kProtocolError);
  EXPECT_EQ(close_code_for(client(ws::Opcode::ping, "x", false)), ws::kProtocolError);
  EXPECT_EQ(close_code_for(client(ws::Opcode::text, "bad \xc0\xaf")), ws::kInvalidPayload);
  EXPECT_EQ(close_code_for(client(ws::Opcode::close, std::string("\x03\xee", 2))), ws::kProtocolError);
  EXPECT_EQ(close_code_for(client(ws::Opcode::close, "\x03")), ws::kProtocolError);
  http::Options small;
  small.ws_max_message_bytes = 1000;
  EXPECT_EQ(close_code_for(client(ws::Opcode::binary, std::string(1001, 'x')), small), ws::kTooBig);
  EXPECT_EQ(close_code_for(client(ws::Opcode::binary, std::string(1000, 'x')) + client(ws::Opcode::close, ""), small), 0)
      << "a message at the limit is fine; the close frame is then empty";
}

TEST(WebSocketSession, AppClosingBeforeAcceptGets403) {
  Harness h([](const http::Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
    co_await receive.websocket();
    WebSocketAction close;
    close.type = WebSocketAction::close;
    co_await send.websocket(close);
  });
  h.feed(kUpgrade);
  EXPECT_EQ(h.s->written.substr(0, 22), "HTTP/1.1 403 Forbidden");
  EXPECT_TRUE(h.s->closed());
}

TEST(WebSocketSession, AppReturningWithoutAcceptGets403AndAfterAnErrorGets500) {
  Harness quiet([](const http::Scope&, http::Receive&, http::Send&) -> Task<void> { co_return; });
  quiet.feed(kUpgrade);
  EXPECT_EQ(quiet.s->written.substr(0, 22), "HTTP/1.1 403 Forbidden");
  Harness failing([](const http::Scope&, http::Receive&, http::Send&) -> Task<void> {
    throw std::runtime_error("boom");
    co_return;
  });
  failing.feed(kUpgrade);
  EXPECT_EQ(failing.s->written.substr(0, 34), "HTTP/1.1 500 Internal Server Error");
}

TEST(WebSocketSession, AppReturningAfterAcceptClosesWith1000ThenWaitsForThePeer) {
  Harness h([](const http::Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
    co_await receive.websocket();
    WebSocketAction a;
    a.type = WebSocketAction::accept;
    co_await send.websocket(a);
    a.type = WebSocketAction::send;
    a.text = true;
    a.data = "bye";
    co_await send.websocket(a);
  });
  h.feed(kUpgrade);
  EXPECT_FALSE(h.s->closed()) << "the server waits for the peer's close frame";
  EXPECT_NE(h.s->written.find(server(ws::Opcode::text, "bye") + close_frame(1000)), std::string::npos);
  h.feed(client(ws::Opcode::close, std::string("\x03\xe8", 2)));
  EXPECT_TRUE(h.s->closed());
  EXPECT_GE(h.s->releases, 1);
}

TEST(WebSocketSession, ThePeersCloseFrameIsAwaitedOnlyForTheCloseTimeout) {
  Harness h([](const http::Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
    co_await receive.websocket();
    WebSocketAction a;
    a.type = WebSocketAction::accept;
    co_await send.websocket(a);
    a.type = WebSocketAction::close;
    a.code = 4000;
    co_await send.websocket(a);
  });
  h.feed(kUpgrade);
  const uint64_t t = h.ctx.options.ws_close_timeout_ms;
  h.p->on_tick(t - 1);
  EXPECT_FALSE(h.s->closed());
  h.p->on_tick(t);
  EXPECT_TRUE(h.s->closed()) << "no close frame came back in time";
}

TEST(WebSocketSession, AQuietPeerIsPingedThenDroppedIfStillQuiet) {
  Log log;
  Harness h(echo_app(log));
  h.feed(kUpgrade);
  const http::Options& o = h.ctx.options;
  h.p->on_tick(o.ws_ping_interval_ms - 1);
  EXPECT_EQ(h.s->written, k101);
  h.p->on_tick(o.ws_ping_interval_ms);
  EXPECT_EQ(h.s->written, k101 + server(ws::Opcode::ping, "")) << "a keep-alive ping after the quiet spell";
  // A pong is input: the clock starts again.
  h.feed(client(ws::Opcode::pong, ""));
  h.p->on_tick(o.ws_ping_interval_ms + o.ws_ping_timeout_ms);
  EXPECT_FALSE(h.s->closed());
  const uint64_t quiet_from = o.ws_ping_interval_ms + o.ws_ping_timeout_ms;
  h.p->on_tick(quiet_from + o.ws_ping_interval_ms);  // pings again
  h.p->on_tick(quiet_from + o.ws_ping_interval_ms + o.ws_ping_timeout_ms);
  EXPECT_TRUE(h.s->closed()) << "no answer to the ping";
  EXPECT_EQ(log.disconnect_code, ws::kAbnormal);
  EXPECT_TRUE(log.finished);
}

TEST(WebSocketSession, AcceptCarriesHeadersAndOnlyAnOfferedSubprotocol) {
  auto accepting = [](std::string_view subprotocol) {
    return [subprotocol](const http::Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
      co_await receive.websocket();
      const Header extra[] = {{"x-room", "7"}};
      WebSocketAction a;
      a.type = WebSocketAction::accept;
      a.subprotocol = subprotocol;
      a.headers = extra;
      co_await send.websocket(a);
    };
  };
  Harness ok(accepting("chat"));
  ok.feed(kUpgrade);
  EXPECT_NE(ok.s->written.find("Sec-WebSocket-Protocol: chat\r\nx-room: 7\r\n\r\n"), std::string::npos) << ok.s->written;
  Harness not_offered(accepting("superchat"));
  not_offered.feed(kUpgrade);
  EXPECT_EQ(not_offered.s->written.substr(0, 34), "HTTP/1.1 500 Internal Server Error");
}

TEST(WebSocketSession, OtherVersionsGet426) {
  std::string req = kUpgrade;
  req.replace(req.find("Version: 13"), 11, "Version: 8");
  Log log;
  Harness h(echo_app(log));
  h.feed(req);
  EXPECT_EQ(h.s->written.substr(0, 31), "HTTP/1.1 426 Upgrade Required\r\n");
  EXPECT_NE(h.s->written.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_TRUE(log.type.empty()) << "the app never ran";
}

TEST(WebSocketSession, PlainRequestsBeforeTheUpgradeAreServed) {
  Log log;
  std::vector<Seen> seen;
  auto echo = echo_app(log);
  auto http_app = recording_app(seen);
  Harness h([&](const http::Scope& s, http::Receive& r, http::Send& sd) {
    return s.type == "websocket" ? echo(s, r, sd) : http_app(s, r, sd);
  });
  h.feed("GET /first HTTP/1.1\r\nHost: a\r\n\r\n" + kUpgrade + client(ws::Opcode::text, "x"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(log.events, std::vector<std::string>{"text:x"});
}

TEST(WebSocketSession, StopSends1001) {
  Log log;
  Harness h(echo_app(log));
  h.feed(kUpgrade);
  h.p->on_stop();
  EXPECT_NE(h.s->written.find("\x03\xe9server shutting down"), std::string::npos);
  h.feed(client(ws::Opcode::close, std::string("\x03\xe9", 2)));
  EXPECT_TRUE(h.s->closed());
  EXPECT_EQ(log.disconnect_code, 1001);
}

// On a real loop, over libuv (and over io_uring: the HttpLoop tests run
// again with STRATA_TEST_IO=uring): handshake, echo, the closing handshake,
// and no handle left behind.
TEST(HttpLoop, WebSocketEchoThenClosingHandshakeAndLoopClosesClean) {
  Log log;
  auto w = std::make_unique<http::HttpWorker>(0, strata::test::loop_test_config(), http::Options{},
                                              [&log](http::AppHost&) { return echo_app(log); });
  strata::test::listen_local(*w);
  test::UvClient c;
  c.request = kUpgrade + client(ws::Opcode::text, "over the loop") + client(ws::Opcode::binary, std::string(100000, 'z')) +
              client(ws::Opcode::close, std::string("\x0f\xa0" "done", 6));  // 4000
  c.hang_up_after_reply = false;  // the server ends the connection after the closing handshake
  c.start(*w);
  w->run();
  EXPECT_EQ(c.connects, 1);
  EXPECT_EQ(c.eofs, 1);
  EXPECT_EQ(c.closes, 1);
  EXPECT_EQ(c.received.substr(0, 34), "HTTP/1.1 101 Switching Protocols\r\n");
  EXPECT_NE(c.received.find(server(ws::Opcode::text, "over the loop")), std::string::npos);
  EXPECT_NE(c.received.find(server(ws::Opcode::binary, std::string(100000, 'z'))), std::string::npos);
  EXPECT_EQ(c.received.substr(c.received.size() - 4), close_frame(4000));
  EXPECT_EQ(log.disconnect_code, 4000);
  EXPECT_TRUE(log.finished);
  EXPECT_EQ(w->connection_count(), 0u);
  EXPECT_EQ(w->close_loop(), 0);
}

}  // namespace ws_session_test
