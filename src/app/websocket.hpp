// Tier 3's WebSocket: Starlette's WebSocket class over tier 2's websocket
// events (parser/asgi.hpp). A route declared with app.websocket("/ws/{room}",
// handler) gets one per connection:
//
//   app.websocket("/ws/echo", [](app::WebSocket& ws) -> Task<void> {
//     co_await ws.accept();
//     while (auto msg = co_await ws.receive())  // std::nullopt once the peer is gone
//       co_await (msg->text ? ws.send_text(msg->data) : ws.send_bytes(msg->data));
//   });
//
// Contract:
//  - accept() first; a handler that returns or closes before it is
//    answered 403 (500 if it threw), as Starlette and uvicorn do.
//  - receive() and the receive_* calls return views valid until the next
//    receive; they suspend until a message (or the disconnect) arrives.
//    receive_text/bytes/json throw WebSocketDisconnect once the peer has
//    gone (its close code in .code), and std::invalid_argument when the
//    message is of the other kind (or, for receive_json, not JSON).
//  - send_* copy what they are given and suspend while the peer is slower
//    than the app (backpressure); after the disconnect they do nothing.
//  - A handler returning after accept closes with 1000 (1011 if it threw).
//  - Threading: on the connection's loop thread only. Another connection's
//    handler on the same loop may send to this WebSocket (a broadcast),
//    as long as it stops doing so once this handler has returned.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "app/request.hpp"
#include "parser/asgi.hpp"

namespace strata::app {

// The peer closed (or the connection was lost: code 1006).
class WebSocketDisconnect : public std::runtime_error {
 public:
  explicit WebSocketDisconnect(uint16_t close_code, std::string close_reason = {})
      : std::runtime_error("websocket disconnected"), code(close_code), reason(std::move(close_reason)) {}
  uint16_t code;
  std::string reason;
};

class WebSocket {
 public:
  enum class State { connecting, connected, disconnected };

  struct Message {
    bool text = false;      // else bytes
    std::string_view data;  // valid until the next receive
  };

  WebSocket(const http::Scope& scope, http::Receive& receive, http::Send& send, const PathParams& params);
  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  const http::Scope& scope() const { return scope_; }
  std::string_view path() const { return scope_.path; }
  std::string_view query_string() const { return scope_.query_string; }
  const PathParams& path_params() const { return params_; }
  // A path parameter's text ("" when the route has none of that name).
  std::string_view path_param(std::string_view name) const;
  // A query parameter, percent-decoded (std::nullopt when absent).
  std::optional<std::string> query_param(std::string_view name) const;
  // The first request header of that name (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
  // The subprotocols the client offered, as sent ("chat, superchat").
  std::string_view offered_subprotocols() const { return header("sec-websocket-protocol"); }
  State state() const { return state_; }

  // `subprotocol` must be one the client offered (std::logic_error if not).
  Task<void> accept(std::string_view subprotocol = {}, std::span<const http::Header> headers = {});
  // The next message, or std::nullopt once the peer has gone (see close_code()).
  Task<std::optional<Message>> receive();
  Task<std::string_view> receive_text();
  Task<std::string_view> receive_bytes();
  // Parsed with simdjson; the document is owned by this WebSocket and valid
  // until the next receive. The caller includes <simdjson.h>.
  Task<simdjson::dom::element> receive_json();
  Task<void> send_text(std::string_view text);
  Task<void> send_bytes(std::string_view bytes);
  // `encoded` is JSON already (common/json.hpp writes it); sent as text.
  Task<void> send_json(std::string_view encoded) { return send_text(encoded); }
  Task<void> close(uint16_t code = 1000, std::string_view reason = {});
  // The peer's close code once disconnected (1005: none given; 1006: lost).
  uint16_t close_code() const { return close_code_; }

 private:
  Task<Message> receive_or_throw();
  const http::Scope& scope_;
  http::Receive& receive_;
  http::Send& send_;
  const PathParams& params_;
  State state_ = State::connecting;
  bool connect_seen_ = false;
  uint16_t close_code_ = 0;
  std::unique_ptr<simdjson::dom::parser> json_parser_;
};

using WebSocketEndpoint = std::function<Task<void>(WebSocket&)>;

}  // namespace strata::app
