#include "parser/websocket.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

#include "common/text.hpp"

namespace strata::http::ws {

namespace {

using text::iequals;
constexpr auto trim = text::trim_ows;

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// True when the comma-separated list `v` holds `token` (case-insensitive).
bool has_token(std::string_view v, std::string_view token) {
  while (!v.empty()) {
    const size_t comma = v.find(',');
    if (iequals(trim(v.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return false;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// RFC 6455 4.2.1: the key is base64 of 16 random bytes, so 22 characters
// of data, two '=' of padding, and the last data character carries only 2
// significant bits (its low 4 bits are zero).
bool valid_key(std::string_view k) {
  if (k.size() != 24 || k[22] != '=' || k[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i)
    if (base64_value(k[i]) < 0) return false;
  return (base64_value(k[21]) & 0x0f) == 0;
}

void append_u16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void append_header(std::string& out, bool fin, uint8_t rsv, Opcode op, size_t len, bool masked) {
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | static_cast<uint8_t>(op)));
  const char m = masked ? static_cast<char>(0x80) : 0;
  if (len < 126) {
    out.push_back(static_cast<char>(m | static_cast<char>(len)));
  } else if (len <= 0xffff) {
    out.push_back(static_cast<char>(m | 126));
    append_u16(out, static_cast<uint16_t>(len));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((static_cast<uint64_t>(len) >> shift) & 0xff));
  }
}

bool is_control(Opcode op) { return static_cast<uint8_t>(op) >= 8; }

bool known_opcode(uint8_t op) { return op <= 2 || (op >= 8 && op <= 10); }

}  // namespace

bool valid_close_code(unsigned code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// ---------------------------------------------------------------- handshake

bool is_upgrade_request(const Scope& scope) {
  return scope.method == "GET" && has_token(scope.header("upgrade"), "websocket") &&
         has_token(scope.header("connection"), "upgrade");
}

HandshakeResult check_handshake(const Scope& scope) {
  HandshakeResult r;
  if (scope.header("sec-websocket-version") != "13") {
    r.status = 426;
    r.reason = "only WebSocket version 13 is supported";
    return r;
  }
  r.key = scope.header("sec-websocket-key");
  if (!valid_key(r.key)) {
    r.status = 400;
    r.reason = "missing or malformed Sec-WebSocket-Key";
  }
  return r;
}

std::string accept_key(std::string_view key) {
  // Key and GUID together are 60 bytes: hashed from the stack.
  char joined[128];
  const size_t n = std::min(key.size(), sizeof joined - kGuid.size());
  std::memcpy(joined, key.data(), n);
  std::memcpy(joined + n, kGuid.data(), kGuid.size());
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined), n + kGuid.size(), digest);
  unsigned char encoded[32];
  const int len = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(len));
}

bool offers_subprotocol(std::string_view offered, std::string_view protocol) {
  if (protocol.empty()) return false;
  // Subprotocol names are case-sensitive (RFC 6455 11.3.4); has_token is not.
  while (!offered.empty()) {
    const size_t comma = offered.find(',');
    if (trim(offered.substr(0, comma)) == protocol) return true;
    if (comma == std::string_view::npos) break;
    offered.remove_prefix(comma + 1);
  }
  return false;
}

void append_accept_response(std::string& out, std::string_view key, std::string_view subprotocol,
                            std::span<const Header> extra, std::string_view date_line) {
  out.append("HTTP/1.1 101 Switching Protocols\r\nServer: strata\r\n").append(date_line);
  out.append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ").append(accept_key(key));
  out.append("\r\n");
  if (!subprotocol.empty()) out.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
  for (const Header& h : extra) out.append(h.name).append(": ").append(h.value).append("\r\n");
  out.append("\r\n");
}

// ---------------------------------------------------------------- UTF-8

namespace {
constexpr uint32_t kUtf8Failed = 0xffffffff;
// state: bits 0-7 continuation bytes still needed, 8-15 and 16-23 the range
// the next one must fall in (narrower than 80..BF right after some leads:
// that is what refuses overlongs, surrogates and code points past 10FFFF).
constexpr uint32_t pack(uint32_t need, uint32_t lo, uint32_t hi) { return need | lo << 8 | hi << 16; }
}  // namespace

bool Utf8Validator::feed(std::string_view bytes) {
  if (state_ == kUtf8Failed) return false;
  uint32_t st = state_;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p < end) {
    if (st == 0) {
      // ASCII runs, eight bytes at a time.
      while (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if (w & 0x8080808080808080ull) break;
        p += 8;
      }
      if (p == end) break;
      const unsigned char b = *p++;
      if (b < 0x80) continue;
      if (b >= 0xc2 && b <= 0xdf) st = pack(1, 0x80, 0xbf);
      else if (b == 0xe0) st = pack(2, 0xa0, 0xbf);
      else if (b == 0xed) st = pack(2, 0x80, 0x9f);
      else if (b >= 0xe1 && b <= 0xef) st = pack(2, 0x80, 0xbf);
      else if (b == 0xf0) st = pack(3, 0x90, 0xbf);
      else if (b >= 0xf1 && b <= 0xf3) st = pack(3, 0x80, 0xbf);
      else if (b == 0xf4) st = pack(3, 0x80, 0x8f);
      else {
        state_ = kUtf8Failed;
        return false;
      }
    } else {
      const unsigned char b = *p++;
      if (b < ((st >> 8) & 0xff) || b > ((st >> 16) & 0xff)) {
        state_ = kUtf8Failed;
        return false;
      }
      const uint32_t need = (st & 0xff) - 1;
      st = need ? pack(need, 0x80, 0xbf) : 0;
    }
  }
  state_ = st;
  return true;
}

bool valid_utf8(std::string_view bytes) {
  Utf8Validator v;
  return v.feed(bytes) && v.complete();
}

// ---------------------------------------------------------------- frames

size_t FrameParser::fail(FrameEvent& ev, uint16_t code, std::string_view why, size_t consumed) {
  failed_ = true;
  ev.kind = FrameEvent::error;
  ev.code = code;
  ev.reason = why;
  return consumed;
}

size_t FrameParser::parse(std::string_view in, FrameEvent& ev) {
  ev = {};
  if (failed_) return 0;
  if (drop_message_) {
    message_.clear();
    drop_message_ = false;
  }
  size_t pos = 0;
  const size_t size = in.size();
  while (pos < size || (!in_payload_ && head_len_ == head_need_)) {
    if (!in_payload_) {
      while (head_len_ < head_need_ && pos < size) {
        head_[head_len_++] = static_cast<unsigned char>(in[pos++]);
        if (head_len_ != 2) continue;
        // The first two bytes decide everything but the length: refuse a
        // bad frame before reading more of it.
        const uint8_t b0 = head_[0], b1 = head_[1];
        if (b0 & 0x70) return fail(ev, kProtocolError, "reserved bits set without an extension", pos);
        if (!known_opcode(b0 & 0x0f)) return fail(ev, kProtocolError, "unknown opcode", pos);
        if (!(b1 & 0x80)) return fail(ev, kProtocolError, "client frames must be masked", pos);
        const auto op = static_cast<Opcode>(b0 & 0x0f);
        const uint8_t len7 = b1 & 0x7f;
        if (is_control(op)) {
          if (!(b0 & 0x80)) return fail(ev, kProtocolError, "fragmented control frame", pos);
          if (len7 > 125) return fail(ev, kProtocolError, "control frame over 125 bytes", pos);
        } else if (op == Opcode::continuation) {
          if (!in_message_) return fail(ev, kProtocolError, "continuation frame without a message", pos);
        } else if (in_message_) {
          return fail(ev, kProtocolError, "new message inside a fragmented message", pos);
        }
        head_need_ = static_cast<uint8_t>(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + 4);
      }
      if (head_len_ < head_need_) return pos;
      // The header is whole.
      fin_ = head_[0] & 0x80;
      op_ = static_cast<Opcode>(head_[0] & 0x0f);
      const uint8_t len7 = head_[1] & 0x7f;
      uint64_t len = len7;
      size_t at = 2;
      if (len7 == 126) {
        len = static_cast<uint64_t>(head_[2]) << 8 | head_[3];
        at = 4;
      } else if (len7 == 127) {
        len = 0;
        for (int i = 0; i < 8; ++i) len = len << 8 | head_[2 + i];
        if (len >> 63) return fail(ev, kProtocolError, "frame length has its top bit set", pos);
        at = 10;
      }
      std::memcpy(mask_, head_ + at, 4);
      mask_pos_ = 0;
      remaining_ = len;
      if (!is_control(op_)) {
        if (op_ != Opcode::continuation) {
          in_message_ = true;
          message_text_ = op_ == Opcode::text;
          message_.clear();
          utf8_.reset();
        }
        if (len > max_message_ || message_.size() + len > max_message_)
          return fail(ev, kTooBig, "message is too big", pos);
      } else {
        control_.clear();
      }
      in_payload_ = true;
    }

    // Payload: unmask into the message or control buffer.
    const bool control = is_control(op_);
    std::string& dst = control ? control_ : message_;
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, size - pos));
    if (take) {
      const size_t from = dst.size();
      dst.append(in.data() + pos, take);
      char* d = dst.data() + from;
      // Eight bytes at a time: the 4-byte key repeats twice in a word.
      unsigned char key[8];
      for (int k = 0; k < 8; ++k) key[k] = mask_[(mask_pos_ + k) & 3];
      uint64_t key_word;
      std::memcpy(&key_word, key, 8);
      size_t i = 0;
      for (; i + 8 <= take; i += 8) {
        uint64_t w;
        std::memcpy(&w, d + i, 8);
        w ^= key_word;
        std::memcpy(d + i, &w, 8);
      }
      for (; i < take; ++i) d[i] = static_cast<char>(d[i] ^ key[i & 7]);
      mask_pos_ = static_cast<uint8_t>((mask_pos_ + take) & 3);
      pos += take;
      remaining_ -= take;
      // Fail fast on bad text, as soon as the bytes show it.
      if (!control && message_text_ && !utf8_.feed({d, take}))
        return fail(ev, kInvalidPayload, "text message is not valid UTF-8", pos);
    }
    if (remaining_ > 0) return pos;

    // The frame is whole.
    in_payload_ = false;
    head_len_ = 0;
    head_need_ = 2;
    if (control) {
      switch (op_) {
        case Opcode::ping: ev.kind = FrameEvent::ping; ev.data = control_; return pos;
        case Opcode::pong: ev.kind = FrameEvent::pong; ev.data = control_; return pos;
        default: break;
      }
      if (control_.size() == 1) return fail(ev, kProtocolError, "close frame with a 1-byte payload", pos);
      ev.kind = FrameEvent::close;
      ev.code = kNoStatus;
      if (control_.size() >= 2) {
        const unsigned code = static_cast<unsigned char>(control_[0]) << 8 | static_cast<unsigned char>(control_[1]);
        if (!valid_close_code(code)) return fail(ev, kProtocolError, "invalid close code", pos);
        ev.code = static_cast<uint16_t>(code);
        ev.reason = std::string_view(control_).substr(2);
        if (!valid_utf8(ev.reason)) return fail(ev, kInvalidPayload, "close reason is not valid UTF-8", pos);
      }
      ev.data = control_;
      return pos;
    }
    if (fin_) {
      if (message_text_ && !utf8_.complete()) return fail(ev, kInvalidPayload, "text message is not valid UTF-8", pos);
      in_message_ = false;
      drop_message_ = true;
      ev.kind = message_text_ ? FrameEvent::text : FrameEvent::binary;
      ev.data = message_;
      return pos;
    }
  }
  return pos;
}

void append_frame(std::string& out, Opcode op, std::string_view payload, bool fin) {
  append_header(out, fin, 0, op, payload.size(), false);
  out.append(payload);
}

void append_close(std::string& out, uint16_t code, std::string_view reason) {
  if (code == 0) return append_frame(out, Opcode::close, {});
  // 125 bytes in all: 2 for the code, the reason cut on a character boundary.
  if (reason.size() > 123) {
    size_t n = 123;
    while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xc0) == 0x80) --n;
    reason = reason.substr(0, n);
  }
  append_header(out, true, 0, Opcode::close, 2 + reason.size(), false);
  append_u16(out, code);
  out.append(reason);
}

void append_client_frame(std::string& out, Opcode op, std::string_view payload, const unsigned char mask[4], bool fin,
                         uint8_t rsv) {
  append_header(out, fin, rsv, op, payload.size(), true);
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
}

}  // namespace strata::http::ws
