// The ASGI-like boundary between tier 2 (the HTTP server) and applications.
//
// As in ASGI, an application is an async callable taking (scope, receive,
// send): the server describes the request in a Scope, the app pulls body
// events with receive() and pushes the response with send. Middleware wraps
// an app, and may wrap receive and send, exactly as ASGI middleware does.
//
// Lifetimes (the contract every app relies on):
//  - The Scope and every view in it stay valid until the app's Task finishes.
//  - A body event's bytes stay valid until the next receive() call or the
//    end of the app, whichever comes first.
//  - send copies what it is given: headers and body may be freed as soon as
//    the awaited call returns. Messages are passed by value, so a Task made
//    from a temporary message (and awaited later) never dangles.
//  - After the client has gone, receive() yields a disconnect event and
//    send does nothing, so an app can always run to its end.
// Threading: receive and send must be awaited on the connection's loop thread.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <functional>
#include <span>
#include <string_view>

#include <sys/socket.h>

#include "parser/task.hpp"

namespace strata::http {

struct Header {
  std::string_view name;   // lower-case in a Scope, as ASGI specifies
  std::string_view value;
};

struct Scope {
  std::string_view type = "http";  // or "websocket" (see the end of this file)
  std::string_view http_version;  // "1.0" or "1.1"
  std::string_view method;        // upper-case, e.g. "POST"
  std::string_view scheme = "http";
  std::string_view path;          // percent-decoded
  std::string_view raw_path;      // as received, without the query
  std::string_view query_string;  // as received, without '?'
  std::span<const Header> headers;
  const sockaddr_storage* client = nullptr;
  const sockaddr_storage* server = nullptr;

  // First header with this lower-case name, or an empty view.
  std::string_view header(std::string_view lower_name) const {
    for (const Header& h : headers)
      if (h.name == lower_name) return h.value;
    return {};
  }
};

struct ReceiveEvent {
  enum Type { body, disconnect } type = body;
  std::string_view bytes;  // type == body: the next piece of the request body
  bool more_body = false;
};

struct ResponseStart {
  int status = 200;
  std::span<const Header> headers;  // any case; Content-Length is honoured
};

struct ResponseBody {
  std::string_view bytes;
  bool more_body = false;
};

struct WebSocketEvent;
struct WebSocketAction;
// ASGI's "http.response.zerocopy" extension: `count` bytes of the open file
// `fd` from `offset`, as the next piece of the body. The descriptor is
// borrowed: the caller keeps it open until the awaited call returns, and
// closes it itself. The response must declare a Content-Length (no chunked
// framing is built around file bytes).
struct ResponseFile {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t count = 0;
  bool more_body = false;
};

// The server's end of one request. Middleware derives from these to wrap them.
class Receive {
 public:
  virtual ~Receive() = default;
  virtual Task<ReceiveEvent> operator()() = 0;
  // For scope.type == "websocket" only; the default throws std::logic_error.
  virtual Task<WebSocketEvent> websocket();
};

class Send {
 public:
  virtual ~Send() = default;
  // Exactly one start, then body events until one has more_body == false.
  // Out of order calls throw std::logic_error.
  virtual Task<void> start(ResponseStart r) = 0;
  // Suspends while the client is slower than the app (backpressure).
  virtual Task<void> body(ResponseBody b) = 0;
  // For scope.type == "websocket" only; the default throws std::logic_error.
  virtual Task<void> websocket(WebSocketAction a);
  // A body event whose bytes come from a file. Tier 2 hands them to the
  // transport (sendfile, splice) without reading them into memory and
  // returns once they are written or the client is gone; up to 16 KiB it
  // copies them into the head's write instead (one segment). This default
  // reads the file in pieces into body(), so a Send that changes the bytes
  // (compression) stays correct by overriding body() alone. A file shorter
  // than `count` throws std::runtime_error: the declared length cannot be met.
  virtual Task<void> file(ResponseFile f);
};

using App = std::function<Task<void>(const Scope&, Receive&, Send&)>;

// WebSockets: ASGI's websocket.* events. An `Upgrade: websocket` GET reaches
// the app with scope.type == "websocket" (scheme "ws"); the app talks
// through receive.websocket() and send.websocket(), never the HTTP calls.
//  - The first event is `connect`. The app answers with `accept` (the
//    handshake's 101 goes out, with its subprotocol, which must be one the
//    client offered, and headers) or `close` (403, as uvicorn answers).
//    Returning without either is answered 403 too, or 500 after an error.
//  - `receive` events carry one whole message, text (valid UTF-8) or bytes;
//    its data stays valid until the next receive.websocket() call.
//  - `disconnect` carries the peer's close code (1005 when its close frame
//    had none; 1006 when the connection went without one), after which
//    sends do nothing. Returning from the app after accept closes with 1000
//    (1011 after an error).
//  - send.websocket() copies what it is given and suspends while the peer
//    is slower than the app (backpressure), as HTTP bodies do.
struct WebSocketEvent {
  enum Type { connect, receive, disconnect } type = connect;
  bool text = false;        // receive: a text message; else bytes
  std::string_view data;    // receive: the message
  uint16_t code = 0;        // disconnect: the close code
  std::string_view reason;  // disconnect: the peer's close reason
};

struct WebSocketAction {
  enum Type { accept, send, close } type = send;
  std::string_view subprotocol;     // accept: "" for none
  std::span<const Header> headers;  // accept: extra response headers
  bool text = false;                // send: a text frame (must be UTF-8); else binary
  std::string_view data;            // send
  uint16_t code = 1000;             // close
  std::string_view reason;          // close
};

}  // namespace strata::http
