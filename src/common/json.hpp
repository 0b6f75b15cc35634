// JSON output helpers shared by every tier.
//
// Contract: each function appends to `out` and never shrinks or reallocates
// it when its capacity suffices, so a caller that reuses one reserved string
// per connection allocates nothing in steady state.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::json {

// Appends `s` as a JSON string literal, quotes included, escaped per RFC 8259
// section 7: quote, backslash and U+0000..U+001F are escaped; everything else,
// including non-ASCII UTF-8, is copied as is (the input is trusted to be UTF-8,
// as simdjson has already validated any string that came from a request).
inline void append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(u, sizeof u);
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

inline void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace strata::json
