// libFuzzer target for tier 2's WebSocket frames (parser/websocket.hpp).
//
// The first input byte sets the message limit (64 << (byte % 8)) and how
// the rest is cut into reads (its top bits: whole, in two at a point the
// next byte picks, or one byte at a time); the rest are the client's bytes.
// What must hold, for any input:
//  - no sanitizer report, and the parser never consumes more than it is
//    given nor stalls with input left and no event;
//  - the events are the same however the bytes are cut;
//  - an error carries 1002, 1007 or 1009, and nothing follows it;
//  - a text message, a close reason, are valid UTF-8 by a plain reference
//    decoder (RFC 3629), and Utf8Validator agrees with that decoder on the
//    raw input;
//  - no message is larger than the limit; a close code is a valid one;
//  - each message, encoded again as a client frame, parses back to itself.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "parser/websocket.hpp"

namespace {

using namespace strata::http::ws;

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// RFC 3629 by the book: decode each sequence, then refuse overlongs,
// surrogates and code points past U+10FFFF.
bool reference_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (b < 0x80) { ++i; continue; }
    if ((b & 0xe0) == 0xc0) { n = 1; cp = b & 0x1f; }
    else if ((b & 0xf0) == 0xe0) { n = 2; cp = b & 0x0f; }
    else if ((b & 0xf8) == 0xf0) { n = 3; cp = b & 0x07; }
    else return false;
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3f);
    }
    const uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

struct Event {
  FrameEvent::Kind kind;
  std::string data;
  uint16_t code;
  bool operator==(const Event&) const = default;
};

std::vector<Event> run(std::string_view bytes, size_t limit, int cut, size_t at) {
  FrameParser p(limit);
  std::vector<Event> events;
  std::string pending;
  auto drain = [&] {
    for (;;) {
      FrameEvent ev;
      const size_t used = p.parse(pending, ev);
      if (used > pending.size()) violation("consumed more than it was given");
      pending.erase(0, used);
      if (ev.kind == FrameEvent::none) {
        if (!pending.empty() && !p.failed()) violation("stopped with input left and no event");
        return;
      }
      if (!events.empty() && events.back().kind == FrameEvent::error) violation("an event after an error");
      events.push_back({ev.kind, std::string(ev.data), ev.code});
      if (ev.kind == FrameEvent::error) return;
    }
  };
  if (cut == 0) {
    pending.assign(bytes);
    drain();
  } else if (cut == 1) {
    at = bytes.empty() ? 0 : at % bytes.size();
    pending.assign(bytes.substr(0, at));
    drain();
    pending.append(bytes.substr(at));
    drain();
  } else {
    for (char c : bytes) {
      pending.push_back(c);
      drain();
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t limit = size_t{64} << (data[0] % 8);
  const int cut = (data[0] >> 6) % 3;
  const size_t at = data[1];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  Utf8Validator v;
  if ((v.feed(bytes) && v.complete()) != reference_utf8(bytes)) violation("Utf8Validator disagrees with the reference");

  const std::vector<Event> whole = run(bytes, limit, 0, 0);
  if (cut != 0 && run(bytes, limit, cut, at) != whole) violation("events depend on how the bytes were cut");

  for (const Event& e : whole) {
    switch (e.kind) {
      case FrameEvent::error:
        if (e.code != kProtocolError && e.code != kInvalidPayload && e.code != kTooBig) violation("an unexpected error code");
        break;
      case FrameEvent::text:
      case FrameEvent::binary: {
        if (e.data.size() > limit) violation("a message over the limit");
        if (e.kind == FrameEvent::text && !reference_utf8(e.data)) violation("a text message that is not UTF-8");
        std::string again;
        const unsigned char mask[4] = {data[0], data[1], 0x5a, 0xa5};
        append_client_frame(again, e.kind == FrameEvent::text ? Opcode::text : Opcode::binary, e.data, mask);
        const std::vector<Event> back = run(again, limit, 0, 0);
        if (back.size() != 1 || !(back[0] == e)) violation("a message does not parse back to itself");
        break;
      }
      case FrameEvent::close:
        if (e.code != kNoStatus && !valid_close_code(e.code)) violation("an invalid close code passed");
        if (e.data.size() > 2 && !reference_utf8(std::string_view(e.data).substr(2))) violation("a close reason that is not UTF-8");
        break;
      case FrameEvent::ping:
      case FrameEvent::pong:
        if (e.data.size() > 125) violation("a control frame over 125 bytes");
        break;
      case FrameEvent::none: violation("a none event recorded");
    }
  }
  return 0;
}
