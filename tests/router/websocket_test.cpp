// Tier 4's websocket routes: typed path and query parameters read from the
// handshake, validation failures refused before accept.
#include <gtest/gtest.h>

#include <string>

#include "parser/harness.hpp"
#include "parser/websocket.hpp"
#include "router/api.hpp"

namespace router_websocket_test {

using namespace strata;
using namespace strata::router;
namespace ws = http::ws;

constexpr unsigned char kMask[4] = {5, 6, 7, 8};

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

std::string upgrade(std::string_view target) {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

struct Typed {
  API api;
  http::AppHost host;
  Typed() {
    api.websocket("/ws/{room}", [](app::WebSocket& w, Path<"room", int64_t> room,
                                   Query<"times", int, 1> times) -> Task<void> {
      co_await w.accept();
      while (auto m = co_await w.receive())
        for (int i = 0; i < times.value; ++i) co_await w.send_text(std::to_string(room.value) + ":" + std::string(m->data));
    });
  }
};

TEST(RouterWebSocket, TypedPathAndQueryParameters) {
  Typed t;
  strata::test::Harness h(t.api.application().router().as_app());
  h.feed(upgrade("/ws/7?times=2") + client(ws::Opcode::text, "hi"));
  EXPECT_EQ(h.s->written.substr(0, 34), "HTTP/1.1 101 Switching Protocols\r\n");
  EXPECT_NE(h.s->written.find(server(ws::Opcode::text, "7:hi") + server(ws::Opcode::text, "7:hi")), std::string::npos);
}

TEST(RouterWebSocket, InvalidParametersAreRefusedBeforeAccept) {
  for (std::string_view target : {"/ws/seven", "/ws/7?times=x"}) {
    Typed t;
    strata::test::Harness h(t.api.application().router().as_app());
    h.feed(upgrade(target));
    EXPECT_EQ(h.s->written.substr(0, 22), "HTTP/1.1 403 Forbidden") << target;
  }
}

TEST(RouterWebSocket, AMissingPathParameterIsRefusedAtRegistration) {
  API api;
  EXPECT_THROW(api.websocket("/ws", [](app::WebSocket&, Path<"room", int64_t>) -> Task<void> { co_return; }),
               std::invalid_argument);
}

}  // namespace router_websocket_test
