// Tier 2's engine, internal: the class that drives llhttp over a
// loop::Stream. Applications never include this; they see the contract in
// parser/http1.hpp (options, what the engine answers by itself) and reach
// the engine through http_server.hpp. strata's own server, tests, fuzzers
// and profilers use it directly, over TCP or in-memory streams.
#pragma once

#include <coroutine>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <llhttp.h>

#include "common/probe.hpp"
#include "loop/stream.hpp"
#include "parser/http1.hpp"

namespace strata::http {

class WebSocketSession;

class Protocol {
 public:
  using Context = http::Context;

  Protocol(loop::Stream& s, Context& ctx);
  ~Protocol();
  Protocol(const Protocol&) = delete;
  Protocol& operator=(const Protocol&) = delete;

  // loop::TcpConnection's protocol interface (see loop/server.hpp).
  void on_data() {
    if (ws_) [[unlikely]] return ws_data();
    read_since_tick_ = true;
    drive();
  }
  void on_eof();
  void on_drained();
  void on_tick(uint64_t now_ms);
  void on_stop();
  void on_closed();
  bool busy() const;

 private:
  struct Span { uint32_t off = 0, len = 0; };
  enum class Phase { idle, head, ready, app };

  class ReceiveImpl final : public Receive {
   public:
    explicit ReceiveImpl(Protocol& p) : p_(p) {}
    Task<ReceiveEvent> operator()() override { return p_.receive(); }
   private:
    Protocol& p_;
  };
  class SendImpl final : public Send {
   public:
    explicit SendImpl(Protocol& p) : p_(p) {}
    Task<void> start(ResponseStart r) override { return p_.send_start(r); }
    Task<void> body(ResponseBody b) override { return p_.send_body(b); }
    Task<void> file(ResponseFile f) override { return p_.send_file(f); }
   private:
    Protocol& p_;
  };
  struct Waiter {
    std::coroutine_handle<>& slot;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { slot = h; }
    void await_resume() const noexcept {}
  };

  // llhttp callbacks
  static int cb_message_begin(llhttp_t*);
  static int cb_url(llhttp_t*, const char*, size_t);
  static int cb_header_field(llhttp_t*, const char*, size_t);
  static int cb_header_field_complete(llhttp_t*);
  static int cb_header_value(llhttp_t*, const char*, size_t);
  static int cb_header_value_complete(llhttp_t*);
  static int cb_headers_complete(llhttp_t*);
  static int cb_body(llhttp_t*, const char*, size_t);
  static int cb_message_complete(llhttp_t*);
  static int cb_chunk_header(llhttp_t*);
  static int cb_chunk_extension(llhttp_t*, const char*, size_t);
  int count_framing(size_t len);
  static const llhttp_settings_t settings;
  static void on_app_done(void* self);

  // the driver
  void drive();
  void step();
  void parse();
  void dispatch();
  std::string& open_head() { return head_aside_ ? head_buf_ : s_.out(); }
  void set_head_aside();
  void close_head();
  void app_finished();
  void next_request();
  void finish_drive();
  void fail(int status, std::string_view reason);
  void write_simple(int status, std::string_view body, bool close);
  void wake(std::coroutine_handle<>& slot);
  void wake_outside_drive(std::coroutine_handle<>& slot);
  void log_access(int status);
  void append_server_timing(std::string& o, std::span<const Header> app_headers);
  void reclaim_body();
  void reclaim_framing();
  bool check_framing();
  bool retry_with_tabs_as_spaces(llhttp_errno_t err);
  void update_reading();
  int extend(Span& s, const char* at, size_t len);
  std::string_view view(Span s) const { return {s_.in.data() + base_ + s.off, s.len}; }

  // WebSockets: after an upgrade, every event goes to the session.
  void hand_over_websocket();
  void ws_data();

  // the app's end
  Task<ReceiveEvent> receive();
  Task<void> send_start(ResponseStart r);
  Task<void> send_body(ResponseBody b);
  Task<void> send_file(ResponseFile f);

  loop::Stream& s_;
  Context& ctx_;
  const Options& opt_;
  llhttp_t parser_{};

  // Offsets: parse_pos_ and base_ are absolute in the read buffer; request
  // spans and the body region are relative to base_, the request's start,
  // so compaction between requests only has to reset base_.
  size_t parse_pos_ = 0;
  size_t base_ = 0;
  bool paused_ = false;
  Phase phase_ = Phase::idle;
  bool in_drive_ = false;
  bool again_ = false;
  bool failed_ = false;
  bool stopping_ = false;
  bool disconnected_ = false;
  bool peer_done_ = false;  // the peer's FIN arrived: reading again would only see EOF again
  uint64_t head_started_ms_ = 0;
  uint64_t idle_since_ms_ = 0;
  uint64_t body_wait_since_ms_ = 0;  // last tick that saw body bytes arrive, while the app waited
  bool body_waiting_ = false;        // body_wait_since_ms_ is running
  bool read_since_tick_ = false;     // set per read, so the hot path never reads a clock
  bool counted_ = false;             // this request holds a place in ctx_.in_flight

  // request
  Span url_;
  std::vector<std::pair<Span, Span>> header_spans_;  // capacity max_headers + 1
  size_t nheaders_ = 0;
  bool in_field_ = false;
  uint32_t head_end_ = 0;    // just past the last head byte seen; framing after it is dead
  uint32_t framing_run_ = 0;   // framing bytes dropped since the last body byte
  uint32_t framing_from_ = 0;  // where parsed bytes became framing again (after the head, a body piece)
  size_t ext_bytes_ = 0;       // chunk extension bytes of this chunk-size line, or trailer bytes
  static constexpr size_t kNoValue = SIZE_MAX;
  size_t trailer_value_end_ = kNoValue;  // absolute end of the trailer value being parsed
  bool te_seen_ = false;
  bool in_trailers_ = false;
  uint32_t trailer_name_len_ = 0;
  int host_count_ = 0;
  bool host_invalid_ = false;
  bool te_unsupported_ = false;
  bool expect_continue_ = false;
  bool expect_unknown_ = false;
  int error_status_ = 0;
  const char* error_reason_ = nullptr;
  bool body_seen_ = false;
  uint32_t body_begin_ = 0, body_end_ = 0, deliver_from_ = 0;
  size_t body_total_ = 0;
  bool message_complete_ = false;
  bool body_done_delivered_ = false;
  bool keep_alive_ = true;
  bool is_head_ = false;
  bool http10_ = false;
  bool continue_sent_ = false;

  // the app
  Scope scope_;
  std::vector<Header> headers_;
  std::string path_buf_;  // percent-decoded path, only when the raw path has '%'
  ReceiveImpl receive_{*this};
  SendImpl send_{*this};
  Task<void> app_task_;
  bool app_running_ = false;
  std::coroutine_handle<> body_waiter_;
  std::coroutine_handle<> drain_waiter_;

  probe::Record probe_;  // this request's phase times, when probes are on
  std::unique_ptr<WebSocketSession> ws_;  // the connection, once upgraded

  // response
  bool response_started_ = false;
  bool response_complete_ = false;
  bool head_open_ = false;  // status line and headers written, framing not yet
  // The open head is written straight into the stream's output (held there,
  // see loop::Stream::hold_output) at head_at_. Only when complete
  // responses queued before it must leave while the app is suspended is it
  // moved aside into head_buf_, so they are neither held back by nor lost
  // with it.
  bool head_aside_ = false;
  size_t head_at_ = 0;
  std::string head_buf_;
  bool chunked_ = false;
  int status_ = 0;
  int64_t declared_length_ = -1;
  size_t body_sent_ = 0;
};

}  // namespace strata::http
