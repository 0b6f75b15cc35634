// Tier 2, WebSockets (RFC 6455): the opening handshake and the frame
// protocol as pure functions over bytes, with no sockets and no loop. The
// engine (parser/websocket_session.cpp) drives them over a loop::Stream;
// tests and fuzzers drive them over strings.
//
// Server side only: frames from the client must be masked, frames the
// server writes are not. No extension is negotiated (permessage-deflate is
// declined by not answering it), so the reserved bits must all be zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "parser/asgi.hpp"

namespace strata::http::ws {

// Close codes (RFC 6455 7.4.1) the server itself sends.
enum CloseCode : uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,          // graceful stop
  kProtocolError = 1002,      // malformed or unmasked frame, bad close payload
  kUnsupportedData = 1003,
  kNoStatus = 1005,           // reported to the app, never sent: a close frame without a code
  kAbnormal = 1006,           // reported to the app, never sent: the connection went without a close frame
  kInvalidPayload = 1007,     // text that is not UTF-8
  kPolicyViolation = 1008,
  kTooBig = 1009,             // message over the size limit
  kInternalError = 1011,
};

// A close code a peer may put on the wire: 1000-1003, 1007-1014 and the
// 3000-4999 ranges for libraries and applications.
bool valid_close_code(unsigned code);

// ---------------------------------------------------------------- handshake

// True when the request asks to become a WebSocket (RFC 6455 4.2.1): GET,
// an Upgrade token "websocket" and a Connection token "upgrade", both
// case-insensitive. Other checks happen in check_handshake.
bool is_upgrade_request(const Scope& scope);

struct HandshakeResult {
  int status = 0;               // 0: acceptable; else 400 or 426 to answer with
  std::string_view reason;      // why not, for the answer's body
  std::string_view key;         // Sec-WebSocket-Key, a view into the scope
};

// Checks Sec-WebSocket-Key (base64 of 16 bytes) and Sec-WebSocket-Version
// (13 only: anything else is 426, answered with "Sec-WebSocket-Version: 13").
HandshakeResult check_handshake(const Scope& scope);

// Sec-WebSocket-Accept for a key: base64(SHA-1(key + the RFC's GUID)),
// always 28 characters.
std::string accept_key(std::string_view key);

// True when `protocol` is one of the tokens of a Sec-WebSocket-Protocol
// value ("chat, superchat"). A server may only select one the client offered.
bool offers_subprotocol(std::string_view offered, std::string_view protocol);

// Appends the 101 response: Upgrade, Connection, Sec-WebSocket-Accept, the
// subprotocol when not empty, then `extra` headers (validated by the caller).
void append_accept_response(std::string& out, std::string_view key, std::string_view subprotocol,
                            std::span<const Header> extra, std::string_view date_line);

// ---------------------------------------------------------------- frames

enum class Opcode : uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

// Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF): feed pieces in order, then ask complete().
class Utf8Validator {
 public:
  // False as soon as the bytes so far cannot begin valid UTF-8.
  bool feed(std::string_view bytes);
  // The bytes so far are valid and end on a character boundary.
  bool complete() const { return state_ == 0; }
  void reset() { state_ = 0; }
 private:
  uint32_t state_ = 0;
};

bool valid_utf8(std::string_view bytes);

// What the parser found. Views (data, reason) stay valid until the next
// call to FrameParser::parse or reset.
struct FrameEvent {
  enum Kind { none, text, binary, ping, pong, close, error } kind = none;
  std::string_view data;    // the whole message, or a control frame's payload
  uint16_t code = 0;        // close: the peer's code (kNoStatus when it gave none); error: the code to close with
  std::string_view reason;  // close: the peer's reason; error: why, for logs and the close frame
};

// Parses client frames incrementally: bytes may be cut anywhere, across
// headers, masks and payloads alike. Payload bytes are unmasked into a
// message buffer owned by the parser, so a message may span any number of
// reads and fragments; the buffer keeps its capacity between messages, so
// steady state allocates nothing. Control frames may arrive between the
// fragments of a message (RFC 6455 5.4) and are reported at once.
//
// After an error the parser stays failed: the caller closes with the code
// given and stops reading.
class FrameParser {
 public:
  explicit FrameParser(size_t max_message_bytes) : max_message_(max_message_bytes) {}

  // Consumes bytes from `in` until one event is complete (returned in
  // `ev`) or the input ends (ev.kind == none). Returns the bytes consumed;
  // the caller drops them and calls again with the rest.
  size_t parse(std::string_view in, FrameEvent& ev);
  bool failed() const { return failed_; }
  // Bytes of a message begun and not yet complete (for backpressure decisions).
  size_t buffered() const { return message_.size(); }

 private:
  size_t fail(FrameEvent& ev, uint16_t code, std::string_view why, size_t consumed);
  size_t max_message_;
  bool failed_ = false;
  // The frame being parsed.
  unsigned char head_[14] = {};
  uint8_t head_len_ = 0;   // header bytes gathered so far
  uint8_t head_need_ = 2;  // header bytes this frame's header has
  bool in_payload_ = false;
  bool fin_ = false;
  Opcode op_ = Opcode::continuation;
  uint64_t remaining_ = 0;
  unsigned char mask_[4] = {};
  uint8_t mask_pos_ = 0;
  // The message being assembled (text/binary over fragments).
  bool in_message_ = false;
  bool message_text_ = false;
  std::string message_;
  Utf8Validator utf8_;
  size_t validated_ = 0;  // bytes of message_ fed to utf8_
  // The control frame being assembled (at most 125 bytes).
  std::string control_;
  bool drop_message_ = false;  // message_ was handed out; clear it on the next call
};

// Appends one unmasked server frame. Payloads of any size: 7, 16 or 64-bit
// lengths as the size needs.
void append_frame(std::string& out, Opcode op, std::string_view payload, bool fin = true);
// A close frame with a code (none when code == 0) and a reason (cut to
// fit the 125 bytes of a control frame, on a UTF-8 boundary).
void append_close(std::string& out, uint16_t code, std::string_view reason = {});
// A masked client frame, for tests and clients: `mask` is the 4-byte key.
void append_client_frame(std::string& out, Opcode op, std::string_view payload, const unsigned char mask[4],
                         bool fin = true, uint8_t rsv = 0);

}  // namespace strata::http::ws
