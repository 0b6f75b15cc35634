// A chat room over WebSockets on strata's tier 3: a text message sent to
// /chat/{room} reaches everyone in that room, prefixed with the sender's
// name (?name=..., "anon" without one).
//
//   strata-example-ws-chat --port 8000 --workers 1
//
// Rooms live on the worker (loop thread) that accepted the connection:
// with one worker every client meets every other; with several, a room is
// split by worker unless the workers share a broker (Redis, a database).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <strata/app/application.hpp>
#include <strata/app/websocket.hpp>
#include <strata/serve.hpp>

using namespace strata;

namespace {

// One loop thread's rooms: only that thread touches them, so no lock.
std::map<std::string, std::vector<app::WebSocket*>>& rooms() {
  thread_local std::map<std::string, std::vector<app::WebSocket*>> r;
  return r;
}

// Sends to a copy of the member list: a slow member suspends the send
// (backpressure), and meanwhile others may join or leave.
Task<void> broadcast(const std::string& room, const std::string& text) {
  const std::vector<app::WebSocket*> members = rooms()[room];
  for (app::WebSocket* m : members) {
    const auto& now = rooms()[room];
    if (std::find(now.begin(), now.end(), m) != now.end()) co_await m->send_text(text);
  }
}

Task<void> chat(app::WebSocket& ws) {
  co_await ws.accept();
  const std::string room(ws.path_param("room"));
  const std::string name = ws.query_param("name").value_or("anon");
  rooms()[room].push_back(&ws);
  co_await broadcast(room, name + " joined");
  while (auto msg = co_await ws.receive()) {
    if (msg->text) co_await broadcast(room, name + ": " + std::string(msg->data));
  }
  // Gone: leave the room before this WebSocket ends with the handler.
  auto& members = rooms()[room];
  members.erase(std::remove(members.begin(), members.end(), &ws), members.end());
  if (members.empty()) rooms().erase(room);
  else co_await broadcast(room, name + " left");
}

}  // namespace

int main(int argc, char** argv) {
  app::Application app;
  app.websocket("/chat/{room}", chat);
  return strata::serve(app, argc, argv, {.description = "strata example: a WebSocket chat room on tier 3"});
}
