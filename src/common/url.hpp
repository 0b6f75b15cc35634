// URL helpers shared by every tier: percent-decoding and query-string lookup.
// Pure functions over views; nothing here allocates unless `out` must grow.
#pragma once

#include <string>
#include <string_view>

namespace strata::url {

// Appends the percent-decoding of `s` to `out`. With `plus_as_space` (query
// strings, per application/x-www-form-urlencoded) '+' becomes ' '. A '%' not
// followed by two hex digits is kept literally, as browsers and Python's
// urllib.parse.unquote do, so decoding never fails.
inline void percent_decode(std::string_view s, std::string& out, bool plus_as_space = false) {
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
}

// Finds the first `key=value` pair in a raw query string (without '?') and
// returns the still-encoded value. `found` tells an empty value ("name=")
// from an absent key.
inline std::string_view query_value(std::string_view query, std::string_view key, bool* found = nullptr) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      if (found) *found = true;
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    }
  }
  if (found) *found = false;
  return {};
}

}  // namespace strata::url
