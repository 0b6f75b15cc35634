#include "app/websocket.hpp"

#include <simdjson.h>

#include <vector>

#include "common/text.hpp"

namespace strata::app {

WebSocket::WebSocket(const http::Scope& scope, http::Receive& receive, http::Send& send, const PathParams& params)
    : scope_(scope), receive_(receive), send_(send), params_(params) {}

WebSocket::~WebSocket() = default;

std::string_view WebSocket::path_param(std::string_view name) const {
  const PathParam* p = params_.find(name);
  return p ? p->text : std::string_view{};
}

std::optional<std::string> WebSocket::query_param(std::string_view name) const {
  std::vector<std::pair<std::string, std::string>> q;
  parse_query(scope_.query_string, q);
  for (auto& [k, v] : q)
    if (k == name) return std::move(v);
  return std::nullopt;
}

std::string_view WebSocket::header(std::string_view name) const {
  for (const http::Header& h : scope_.headers)
    if (text::iequals(h.name, name)) return h.value;
  return {};
}

Task<void> WebSocket::accept(std::string_view subprotocol, std::span<const http::Header> headers) {
  if (!connect_seen_) {
    // ASGI's order: the connect event comes first.
    http::WebSocketEvent ev = co_await receive_.websocket();
    connect_seen_ = true;
    if (ev.type == http::WebSocketEvent::disconnect) {
      state_ = State::disconnected;
      close_code_ = ev.code;
      co_return;
    }
  }
  if (state_ != State::connecting) throw std::logic_error("WebSocket.accept() called twice");
  http::WebSocketAction a;
  a.type = http::WebSocketAction::accept;
  a.subprotocol = subprotocol;
  a.headers = headers;
  co_await send_.websocket(a);
  state_ = State::connected;
}

Task<std::optional<WebSocket::Message>> WebSocket::receive() {
  if (state_ == State::connecting) throw std::logic_error("WebSocket.receive() before accept()");
  if (state_ == State::disconnected) co_return std::nullopt;
  http::WebSocketEvent ev = co_await receive_.websocket();
  if (ev.type == http::WebSocketEvent::disconnect) {
    state_ = State::disconnected;
    close_code_ = ev.code;
    co_return std::nullopt;
  }
  co_return Message{ev.text, ev.data};
}

Task<WebSocket::Message> WebSocket::receive_or_throw() {
  std::optional<Message> m = co_await receive();
  if (!m) throw WebSocketDisconnect(close_code_);
  co_return *m;
}

Task<std::string_view> WebSocket::receive_text() {
  const Message m = co_await receive_or_throw();
  if (!m.text) throw std::invalid_argument("expected a text message, got bytes");
  co_return m.data;
}

Task<std::string_view> WebSocket::receive_bytes() {
  const Message m = co_await receive_or_throw();
  if (m.text) throw std::invalid_argument("expected a bytes message, got text");
  co_return m.data;
}

Task<simdjson::dom::element> WebSocket::receive_json() {
  // Starlette's receive_json takes text frames by default; bytes are JSON too here.
  const Message m = co_await receive_or_throw();
  if (!json_parser_) json_parser_ = std::make_unique<simdjson::dom::parser>();
  simdjson::dom::element doc;
  if (auto e = json_parser_->parse(m.data.data(), m.data.size()).get(doc))
    throw std::invalid_argument(std::string("invalid JSON message: ") + simdjson::error_message(e));
  co_return doc;
}

Task<void> WebSocket::send_text(std::string_view text) {
  if (state_ == State::connecting) throw std::logic_error("WebSocket.send_text() before accept()");
  http::WebSocketAction a;
  a.type = http::WebSocketAction::send;
  a.text = true;
  a.data = text;
  co_await send_.websocket(a);
}

Task<void> WebSocket::send_bytes(std::string_view bytes) {
  if (state_ == State::connecting) throw std::logic_error("WebSocket.send_bytes() before accept()");
  http::WebSocketAction a;
  a.type = http::WebSocketAction::send;
  a.data = bytes;
  co_await send_.websocket(a);
}

Task<void> WebSocket::close(uint16_t code, std::string_view reason) {
  http::WebSocketAction a;
  a.type = http::WebSocketAction::close;
  a.code = code;
  a.reason = reason;
  co_await send_.websocket(a);
  state_ = State::disconnected;
}

}  // namespace strata::app
