// ASCII text helpers for protocol tokens (header names, codings), shared by
// every tier. HTTP's case-insensitivity is ASCII-only, so no locale is used.
// And the one escaper for the SVG files strata writes (bench charts, flame
// graphs).
#pragma once

#include <string>
#include <string_view>

namespace strata::text {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// `s` with ASCII letters lowered: header names as HTTP/2 and ASGI spell them.
inline std::string ascii_lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Case-insensitive equality of two ASCII strings.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// Strips HTTP's optional whitespace (spaces and tabs) from both ends.
constexpr std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// `s` as XML character data or attribute text: the five special
// characters as entities, and the control bytes XML 1.0 does not allow,
// escaped or not (all below 0x20 but tab, newline and carriage return),
// dropped. With `ascii_only`, each
// byte of 0x80 and above becomes '?': for text from symbol tables, where a
// stray byte could make the file invalid UTF-8.
inline std::string xml_escape(std::string_view s, bool ascii_only = false) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) out += ascii_only ? '?' : c;
        else if (u >= 0x20 || c == '\t' || c == '\n' || c == '\r') out += c;
      }
    }
  }
  return out;
}

}  // namespace strata::text
