#include "parser/websocket_session.hpp"

#include <cstdio>
#include <stdexcept>
#include <utility>

namespace strata::http {

// The HTTP calls' defaults: an app that speaks WebSocket to an HTTP scope,
// or HTTP to a WebSocket scope, has a bug that should surface at once.
Task<WebSocketEvent> Receive::websocket() { throw std::logic_error("receive.websocket() on an HTTP scope"); }
Task<void> Send::websocket(WebSocketAction) { throw std::logic_error("send.websocket() on an HTTP scope"); }

Task<ReceiveEvent> WebSocketSession::ReceiveImpl::operator()() {
  throw std::logic_error("HTTP receive() on a websocket scope: use receive.websocket()");
}
Task<void> WebSocketSession::SendImpl::start(ResponseStart) {
  throw std::logic_error("HTTP send on a websocket scope: use send.websocket()");
}
Task<void> WebSocketSession::SendImpl::body(ResponseBody) {
  throw std::logic_error("HTTP send on a websocket scope: use send.websocket()");
}

WebSocketSession::WebSocketSession(loop::Stream& s, Context& ctx, const Scope& scope)
    : s_(s), ctx_(ctx), opt_(ctx.options), parser_(ctx.options.ws_max_message_bytes) {
  // One string holds every view of the copied scope: reserved first, so
  // appending never moves what earlier views point at.
  size_t total = scope.path.size() + scope.raw_path.size() + scope.query_string.size() + scope.method.size();
  for (const Header& h : scope.headers) total += h.name.size() + h.value.size();
  store_.reserve(total);
  auto keep = [this](std::string_view v) {
    const size_t at = store_.size();
    store_.append(v);
    return std::string_view(store_.data() + at, v.size());
  };
  scope_ = scope;
  scope_.type = "websocket";
  scope_.scheme = "ws";
  scope_.method = keep(scope.method);
  scope_.path = keep(scope.path);
  scope_.raw_path = keep(scope.raw_path);
  scope_.query_string = keep(scope.query_string);
  headers_.reserve(scope.headers.size());
  for (const Header& h : scope.headers) headers_.push_back({keep(h.name), keep(h.value)});
  scope_.headers = headers_;
  scope_.client = &s_.peer;
  scope_.server = &s_.local;
  last_input_ms_ = ctx_.now();
}

WebSocketSession::~WebSocketSession() = default;

void WebSocketSession::start() {
  {
    Entered entered(*this);
    const ws::HandshakeResult hs = ws::check_handshake(scope_);
    if (hs.status) {
      refuse(hs.status, hs.reason, hs.status == 426 ? "Sec-WebSocket-Version: 13\r\n" : "");
    } else {
      app_running_ = true;
      try {
        app_task_ = ctx_.app(scope_, receive_, send_);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "strata: application error: %s\n", e.what());
        app_failed_ = true;
        app_task_.reset();
      }
      if (!app_task_) app_finished();
      else app_task_.start(&WebSocketSession::on_app_done, this);
    }
  }
  settle();
}

void WebSocketSession::on_app_done(void* self) { static_cast<WebSocketSession*>(self)->app_finished(); }

void WebSocketSession::app_finished() {
  app_running_ = false;
  if (app_task_) {
    if (auto e = app_task_.error()) {
      app_failed_ = true;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "strata: application error: %s\n", ex.what());
      } catch (...) {
        std::fprintf(stderr, "strata: application error: unknown exception\n");
      }
    }
    // May run inside the task's final suspension; nothing touches the frame after.
    app_task_.reset();
  }
  if (state_ == State::connecting) {
    // Neither accepted nor closed: uvicorn's answers.
    if (app_failed_) refuse(500, "Internal Server Error");
    else refuse(403, "Forbidden");
  } else if (state_ == State::open) {
    send_close(app_failed_ ? ws::kInternalError : ws::kNormal, {});
  }
  // Nothing holds a message now; the peer's close frame may be waiting.
  message_held_ = message_ready_ = false;
  pump();
  settle();
}

// Releases the stream when it is closed and no app code holds it any more;
// only from the outermost handler, as the transport may free it at once.
void WebSocketSession::settle() {
  if (depth_ > 0 || in_on_closed_) return;
  if (s_.closed()) {
    if (!app_running_) s_.release();  // last use: the stream may be freed now
    return;
  }
  update_reading();
}

void WebSocketSession::update_reading() {
  // Input is wanted while there is room for it (a message waiting for the
  // app and a full buffer stop it until the app receives) and while the
  // peer reads what it is sent: pings it does not read the pongs of must
  // not queue output without bound.
  s_.set_reading(!s_.closed() && state_ != State::closed && s_.in.free_space() > 0 &&
                 s_.queued_bytes() < opt_.high_water);
}

void WebSocketSession::refuse(int status, std::string_view body, std::string_view extra_header) {
  state_ = State::closed;
  disconnected_ = true;
  std::string& o = s_.out();
  o.append("HTTP/1.1 ");
  char code[4] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                  static_cast<char>('0' + status % 10), 0};
  o.append(code, 3).push_back(' ');
  o.append(reason_phrase(status)).append("\r\nServer: strata\r\n").append(ctx_.date());
  o.append(extra_header);
  o.append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  o.append(std::to_string(body.size() + 1));
  o.append("\r\nConnection: close\r\n\r\n").append(body).push_back('\n');
  s_.finish();
}

void WebSocketSession::send_close(uint16_t code, std::string_view reason) {
  if (close_sent_ || s_.closed()) return;
  close_sent_ = true;
  close_sent_ms_ = ctx_.now();
  ws::append_close(s_.out(), code, reason);
  s_.flush();
  if (state_ == State::open) state_ = State::closing;
}

// A frame the parser refused: close with its code and stop reading; the
// app learns of it as a disconnect with the same code.
void WebSocketSession::protocol_error(uint16_t code, std::string_view why) {
  if (!close_sent_) {
    close_sent_ = true;
    ws::append_close(s_.out(), code, why);
  }
  state_ = State::closed;
  close_code_ = code;
  close_reason_.assign(why);
  disconnected_ = true;
  s_.finish();
}

void WebSocketSession::handle_peer_close(uint16_t code, std::string_view reason) {
  close_code_ = code;
  close_reason_.assign(reason);
  // The closing handshake: answer with the peer's code (none if it gave
  // none), then the server closes the connection (RFC 6455 7.1.1).
  if (!close_sent_) {
    close_sent_ = true;
    ws::append_close(s_.out(), code == ws::kNoStatus ? 0 : code, {});
  }
  state_ = State::closed;
  disconnected_ = true;
  s_.finish();
}

void WebSocketSession::lost(uint16_t code) {
  if (!disconnected_) close_code_ = code;
  disconnected_ = true;
  state_ = State::closed;
}

void WebSocketSession::pump() {
  if (state_ != State::open && state_ != State::closing) return;
  // After our close frame nothing the peer sends reaches the app, so its
  // close frame is looked for even while the app holds a message.
  const bool closing = state_ == State::closing;
  while (!message_ready_ && (!message_held_ || closing) && !s_.closed() && in_pos_ < s_.in.size()) {
    ws::FrameEvent ev;
    // The parser keeps what it returns in buffers of its own, so parsed
    // bytes are dead at once; they leave the buffer in compact_input().
    in_pos_ += parser_.parse(s_.in.view().substr(in_pos_), ev);
    switch (ev.kind) {
      case ws::FrameEvent::none: break;
      case ws::FrameEvent::text:
      case ws::FrameEvent::binary:
        // After our close frame, messages are dropped: the app said it is done.
        if (state_ == State::closing) break;
        message_ready_ = true;
        message_text_ = ev.kind == ws::FrameEvent::text;
        message_ = ev.data;
        break;
      case ws::FrameEvent::ping:
        if (!close_sent_) {
          ws::append_frame(s_.out(), ws::Opcode::pong, ev.data);
          s_.flush();
        }
        break;
      case ws::FrameEvent::pong: break;
      case ws::FrameEvent::close: handle_peer_close(ev.code, ev.reason); return;
      case ws::FrameEvent::error: protocol_error(ev.code, ev.reason); return;
    }
    if (ev.kind == ws::FrameEvent::none) break;
  }
  compact_input();
}

// Drops parsed bytes: for free when all were parsed, by moving the rest
// down only when space runs low, so a burst of small frames is not moved
// once per frame.
void WebSocketSession::compact_input() {
  if (in_pos_ == 0) return;
  if (in_pos_ == s_.in.size() || s_.in.free_space() < s_.in.capacity() / 4) {
    s_.in.consume(in_pos_);
    in_pos_ = 0;
  }
}

void WebSocketSession::wake_receiver() {
  if (recv_waiter_ && (message_ready_ || disconnected_)) std::exchange(recv_waiter_, {}).resume();
}

void WebSocketSession::wake_drain_waiters() {
  // Resuming one may queue more (a broadcast sends again): take the list first.
  if (drain_waiters_.empty()) return;
  std::vector<std::coroutine_handle<>> ready;
  ready.swap(drain_waiters_);
  for (auto h : ready) h.resume();
  // Keep the capacity for the next time, when nothing new was queued.
  if (drain_waiters_.empty()) {
    ready.clear();
    drain_waiters_.swap(ready);
  }
}

// ------------------------------------------------------------ events

void WebSocketSession::on_data() {
  {
    Entered entered(*this);
    read_since_tick_ = true;
    pump();
    wake_receiver();
  }
  settle();
}

void WebSocketSession::on_eof() {
  {
    Entered entered(*this);
    // Frames complete before the FIN still count (a close frame among them).
    peer_eof_ = true;
    pump();
    if (!message_ready_ && !message_held_ && !disconnected_) {
      lost(ws::kAbnormal);
      s_.finish();
    }
    wake_receiver();
  }
  settle();
}

void WebSocketSession::on_drained() {
  {
    Entered entered(*this);
    wake_drain_waiters();
  }
  settle();
}

void WebSocketSession::on_tick(uint64_t now_ms) {
  {
    Entered entered(*this);
    if (std::exchange(read_since_tick_, false)) {
      last_input_ms_ = now_ms;
      ping_sent_ = false;
    }
    if (state_ == State::closing) {
      // The peer never answered our close frame.
      if (now_ms - close_sent_ms_ >= opt_.ws_close_timeout_ms) {
        lost(ws::kAbnormal);
        s_.close();
        wake_receiver();
      }
    } else if (state_ == State::open) {
      // Keep-alive: a ping after a quiet spell; no answer, the peer is gone.
      if (!ping_sent_ && now_ms - last_input_ms_ >= opt_.ws_ping_interval_ms) {
        ping_sent_ = true;
        ws::append_frame(s_.out(), ws::Opcode::ping, {});
        s_.flush();
      } else if (ping_sent_ && now_ms - last_input_ms_ >= opt_.ws_ping_interval_ms + opt_.ws_ping_timeout_ms) {
        lost(ws::kAbnormal);
        s_.close();
        wake_receiver();
      }
    }
  }
  settle();
}

void WebSocketSession::on_stop() {
  {
    Entered entered(*this);
    // Graceful stop: 1001, then the closing handshake as usual; an app
    // still deciding whether to accept is left to decide.
    if (state_ == State::open) send_close(ws::kGoingAway, "server shutting down");
  }
  settle();
}

void WebSocketSession::on_closed() {
  in_on_closed_ = true;
  lost(ws::kAbnormal);
  // Let every waiting app run on; the transport frees us afterwards.
  wake_receiver();
  wake_drain_waiters();
  in_on_closed_ = false;
}

// ------------------------------------------------------------ the app's end

Task<WebSocketEvent> WebSocketSession::receive() {
  WebSocketEvent ev;
  if (!std::exchange(connect_delivered_, true)) co_return ev;  // connect
  // The message handed out last time is no longer in use.
  if (message_held_) {
    message_held_ = false;
    pump();
    update_reading();
  }
  for (;;) {
    if (message_ready_) {
      message_ready_ = false;
      message_held_ = true;
      ev.type = WebSocketEvent::receive;
      ev.text = message_text_;
      ev.data = message_;
      co_return ev;
    }
    if (peer_eof_ && !disconnected_) {
      // The rest of the input was parsed; no close frame came.
      lost(ws::kAbnormal);
      s_.finish();
    }
    if (disconnected_) {
      disconnect_delivered_ = true;
      ev.type = WebSocketEvent::disconnect;
      ev.code = close_code_;
      ev.reason = close_reason_;
      co_return ev;
    }
    co_await Waiter{recv_waiter_};
  }
}

Task<void> WebSocketSession::send(WebSocketAction a) {
  switch (a.type) {
    case WebSocketAction::accept: {
      if (state_ != State::connecting) {
        if (disconnected_) co_return;
        throw std::logic_error("websocket accept after the handshake");
      }
      if (!a.subprotocol.empty() && !ws::offers_subprotocol(scope_.header("sec-websocket-protocol"), a.subprotocol))
        throw std::logic_error("websocket subprotocol the client did not offer");
      for (const Header& h : a.headers)
        if (h.name.empty() || h.name.find_first_of(": \t\r\n") != std::string_view::npos ||
            h.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
          throw std::logic_error("invalid response header");
      ws::append_accept_response(s_.out(), scope_.header("sec-websocket-key"), a.subprotocol, a.headers, ctx_.date());
      state_ = State::open;
      last_input_ms_ = ctx_.now();
      s_.flush();
      // Frames may have come right behind the request.
      pump();
      update_reading();
      co_return;
    }
    case WebSocketAction::send: {
      if (state_ == State::connecting) throw std::logic_error("websocket send before accept");
      if (state_ != State::open || s_.closed()) co_return;  // gone, or closing: nothing more goes out
      if (a.text && !ws::valid_utf8(a.data)) throw std::logic_error("websocket text that is not UTF-8");
      ws::append_frame(s_.out(), a.text ? ws::Opcode::text : ws::Opcode::binary, a.data);
      s_.flush();
      if (s_.queued_bytes() >= opt_.high_water && !s_.closed()) co_await DrainWaiter{drain_waiters_};
      co_return;
    }
    case WebSocketAction::close: {
      if (state_ == State::connecting) {
        refuse(403, "Forbidden");
        co_return;
      }
      if (a.code != 1000 && !ws::valid_close_code(a.code)) throw std::logic_error("invalid websocket close code");
      send_close(a.code, a.reason);
      pump();  // the peer's close frame may be here already
      co_return;
    }
  }
}

}  // namespace strata::http
