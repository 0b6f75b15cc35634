// Tier 2's WebSocket engine, internal: what a connection becomes after the
// opening handshake was asked for. http::Protocol hands the connection over
// (its request copied, its head dropped from the read buffer) and forwards
// every transport event here from then on; applications see only the
// websocket events of asgi.hpp.
//
// Reading: frames are parsed as bytes arrive, control frames answered at
// once (ping: pong; close: the closing handshake), until one data message
// is complete; it waits there for the app's receive, and its bytes stay
// valid until the app's next receive. While a message waits and the read
// buffer is full, reading stops (backpressure, as for HTTP bodies).
// Writing: frames go into the stream's output buffer and are flushed at
// once; above Options::high_water the sending app is suspended until the
// peer has read them.
//
// Lifetime: owned by the Protocol, freed with the connection. The app may
// be awaited on (a send to this connection) by apps of other connections
// on the same loop; all of them are resumed before the connection is freed.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loop/stream.hpp"
#include "parser/http1.hpp"
#include "parser/websocket.hpp"

namespace strata::http {

class WebSocketSession {
 public:
  // `scope` is copied; the bytes of the handshake request must already be
  // consumed from s.in, so that s.in starts with the client's first frame.
  WebSocketSession(loop::Stream& s, Context& ctx, const Scope& scope);
  ~WebSocketSession();
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  // Checks the handshake and runs the app (or answers 400/426 and closes).
  void start();

  // The transport's events, forwarded by the Protocol.
  void on_data();
  void on_eof();
  void on_drained();
  void on_tick(uint64_t now_ms);
  void on_stop();
  void on_closed();
  bool busy() const { return app_running_; }

 private:
  enum class State { connecting, open, closing, closed };

  class ReceiveImpl final : public Receive {
   public:
    explicit ReceiveImpl(WebSocketSession& w) : w_(w) {}
    Task<ReceiveEvent> operator()() override;
    Task<WebSocketEvent> websocket() override { return w_.receive(); }
   private:
    WebSocketSession& w_;
  };
  class SendImpl final : public Send {
   public:
    explicit SendImpl(WebSocketSession& w) : w_(w) {}
    Task<void> start(ResponseStart) override;
    Task<void> body(ResponseBody) override;
    Task<void> websocket(WebSocketAction a) override { return w_.send(a); }
   private:
    WebSocketSession& w_;
  };
  struct Waiter {
    std::coroutine_handle<>& slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
    void await_resume() const noexcept {}
  };
  struct DrainWaiter {
    std::vector<std::coroutine_handle<>>& waiters;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) { waiters.push_back(h); }
    void await_resume() const noexcept {}
  };
  // Counts the event handlers on the stack: the stream is released only
  // when the outermost one returns (and never from on_closed, after which
  // the transport releases it itself).
  struct Entered {
    WebSocketSession& w;
    explicit Entered(WebSocketSession& s) : w(s) { ++w.depth_; }
    ~Entered() { --w.depth_; }
  };

  static void on_app_done(void* self);
  void app_finished();
  void pump();
  void compact_input();
  void handle_peer_close(uint16_t code, std::string_view reason);
  void protocol_error(uint16_t code, std::string_view why);
  void send_close(uint16_t code, std::string_view reason);
  void refuse(int status, std::string_view body, std::string_view extra_header = {});
  void lost(uint16_t code);
  void wake_receiver();
  void wake_drain_waiters();
  void update_reading();
  void settle();

  Task<WebSocketEvent> receive();
  Task<void> send(WebSocketAction a);

  loop::Stream& s_;
  Context& ctx_;
  const Options& opt_;
  ws::FrameParser parser_;
  size_t in_pos_ = 0;  // bytes of s_.in already parsed
  State state_ = State::connecting;

  // The handshake request, copied out of the read buffer.
  Scope scope_;
  std::string store_;
  std::vector<Header> headers_;

  ReceiveImpl receive_{*this};
  SendImpl send_{*this};
  Task<void> app_task_;
  bool app_running_ = false;
  bool app_failed_ = false;
  bool connect_delivered_ = false;
  std::coroutine_handle<> recv_waiter_;
  std::vector<std::coroutine_handle<>> drain_waiters_;

  // A complete message waiting for the app, or handed to it and still in
  // use until its next receive (parsing more would overwrite it).
  bool message_ready_ = false;
  bool message_held_ = false;
  bool message_text_ = false;
  std::string_view message_;

  bool disconnected_ = false;  // the app has been (or will be) told
  bool disconnect_delivered_ = false;
  uint16_t close_code_ = ws::kAbnormal;
  std::string close_reason_;
  bool close_sent_ = false;
  uint64_t close_sent_ms_ = 0;
  uint64_t last_input_ms_ = 0;
  bool ping_sent_ = false;
  bool read_since_tick_ = false;
  bool peer_eof_ = false;
  int depth_ = 0;
  bool in_on_closed_ = false;
};

}  // namespace strata::http
