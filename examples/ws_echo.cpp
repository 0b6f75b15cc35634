// A WebSocket echo on strata's tier 3: every message comes back as it was
// sent, text as text and bytes as bytes.
//
//   strata-example-ws-echo --port 8000
//   node -e "const ws = new (require('ws'))('ws://localhost:8000/echo');
//            ws.on('open', () => ws.send('hi')); ws.on('message', m => { console.log(String(m)); ws.close(); })"
#include <strata/app/application.hpp>
#include <strata/app/websocket.hpp>
#include <strata/serve.hpp>

using namespace strata;

int main(int argc, char** argv) {
  app::Application echo;
  echo.websocket("/echo", [](app::WebSocket& ws) -> Task<void> {
    co_await ws.accept();
    // receive() gives std::nullopt once the client has closed or gone.
    while (auto msg = co_await ws.receive()) {
      if (msg->text) co_await ws.send_text(msg->data);
      else co_await ws.send_bytes(msg->data);
    }
  });
  return strata::serve(echo, argc, argv, {.description = "strata example: a WebSocket echo on tier 3"});
}
