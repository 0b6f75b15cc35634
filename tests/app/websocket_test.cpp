// Tier 3's WebSocket and websocket routes, driven through tier 2's engine
// over an in-memory stream (the bytes a client would send, the bytes it
// would get back).
#include <gtest/gtest.h>

#include <simdjson.h>

#include <string>

#include "app/application.hpp"
#include "app/websocket.hpp"
#include "parser/harness.hpp"
#include "parser/websocket.hpp"

namespace app_websocket_test {

using namespace strata;
namespace ws = http::ws;
using app::WebSocket;

constexpr unsigned char kMask[4] = {9, 8, 7, 6};

std::string client(ws::Opcode op, std::string_view payload) {
  std::string out;
  ws::append_client_frame(out, op, payload, kMask);
  return out;
}

std::string server(ws::Opcode op, std::string_view payload) {
  std::string out;
  ws::append_frame(out, op, payload);
  return out;
}

std::string upgrade(std::string_view target, std::string_view protocols = {}) {
  std::string r = "GET " + std::string(target) +
                  " HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  if (!protocols.empty()) r += "Sec-WebSocket-Protocol: " + std::string(protocols) + "\r\n";
  return r + "\r\n";
}

app::Router rooms() {
  app::Router r;
  r.websocket("/ws/{room}", [](WebSocket& w) -> Task<void> {
    co_await w.accept(w.offered_subprotocols().empty() ? "" : "chat");
    const std::string room(w.path_param("room"));
    const std::string who = w.query_param("who").value_or("anon");
    while (auto m = co_await w.receive()) {
      if (m->text) co_await w.send_text(room + "/" + who + ": " + std::string(m->data));
      else co_await w.send_bytes(m->data);
    }
  });
  r.websocket("/ws/json/{n:int}", [](WebSocket& w) -> Task<void> {
    co_await w.accept();
    simdjson::dom::element doc = co_await w.receive_json();
    const int64_t n = w.path_params().find("n")->i;
    co_await w.send_json("{\"got\":" + std::to_string(int64_t(doc["x"]) + n) + "}");
    co_await w.close(4001, "done");
  });
  r.websocket("/ws/refuse", [](WebSocket& w) -> Task<void> { co_await w.close(); });
  r.websocket("/ws/throws", [](WebSocket& w) -> Task<void> {
    co_await w.accept();
    co_await w.receive_text();
    throw std::runtime_error("handler failed");
  });
  r.get("/plain", [](app::Request&) -> Task<app::Response> { co_return app::Response::text("plain"); });
  return r;
}

TEST(AppWebSocket, RouteWithPathAndQueryParamsEchoes) {
  app::Router r = rooms();
  strata::test::Harness h(r.as_app());
  h.feed(upgrade("/ws/lobby?who=ann", "chat, other") + client(ws::Opcode::text, "hi") +
         client(ws::Opcode::binary, std::string("\x01\x02", 2)) + client(ws::Opcode::close, std::string("\x03\xe8", 2)));
  const std::string& w = h.s->written;
  EXPECT_EQ(w.substr(0, 34), "HTTP/1.1 101 Switching Protocols\r\n");
  EXPECT_NE(w.find("Sec-WebSocket-Protocol: chat\r\n"), std::string::npos);
  EXPECT_NE(w.find(server(ws::Opcode::text, "lobby/ann: hi")), std::string::npos);
  EXPECT_NE(w.find(server(ws::Opcode::binary, std::string("\x01\x02", 2))), std::string::npos);
  EXPECT_TRUE(h.s->closed());
}

TEST(AppWebSocket, JsonAndCloseWithACode) {
  app::Router r = rooms();
  strata::test::Harness h(r.as_app());
  h.feed(upgrade("/ws/json/5") + client(ws::Opcode::text, R"({"x": 37})"));
  std::string close;
  ws::append_close(close, 4001, "done");
  EXPECT_NE(h.s->written.find(server(ws::Opcode::text, R"({"got":42})") + close), std::string::npos);
  h.feed(client(ws::Opcode::close, std::string("\x0f\xa1", 2)));
  EXPECT_TRUE(h.s->closed());
}

TEST(AppWebSocket, UnknownPathAndCloseBeforeAcceptAre403) {
  for (std::string_view target : {"/nowhere", "/ws/refuse", "/plain"}) {
    app::Router r = rooms();
    strata::test::Harness h(r.as_app());
    h.feed(upgrade(target));
    EXPECT_EQ(h.s->written.substr(0, 22), "HTTP/1.1 403 Forbidden") << target;
    EXPECT_TRUE(h.s->closed());
  }
}

TEST(AppWebSocket, PlainHttpToAWebSocketPathIs404) {
  app::Router r = rooms();
  strata::test::Harness h(r.as_app());
  h.feed("GET /ws/lobby HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(h.s->written.substr(0, 22), "HTTP/1.1 404 Not Found");
}

TEST(AppWebSocket, HandlerErrorAfterAcceptCloses1011) {
  app::Router r = rooms();
  strata::test::Harness h(r.as_app());
  h.feed(upgrade("/ws/throws") + client(ws::Opcode::text, "x"));
  std::string close;
  ws::append_close(close, 1011);
  EXPECT_NE(h.s->written.find(close), std::string::npos);
}

TEST(AppWebSocket, ReceiveTextOnBytesThrowsAndDisconnectThrows) {
  app::Router r;
  int disconnects = 0;
  uint16_t code = 0;
  r.websocket("/x", [&](WebSocket& w) -> Task<void> {
    co_await w.accept();
    try {
      co_await w.receive_text();
    } catch (const app::WebSocketDisconnect& d) {
      ++disconnects;
      code = d.code;
    }
  });
  strata::test::Harness h(r.as_app());
  h.feed(upgrade("/x") + client(ws::Opcode::close, std::string("\x0b\xb8", 2)));  // 3000
  EXPECT_EQ(disconnects, 1);
  EXPECT_EQ(code, 3000);
}

}  // namespace app_websocket_test
