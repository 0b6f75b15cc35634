// The formats the request-id middleware promises, checked by both the
// in-process and the black-box tier-3 tests.
#pragma once

#include <string_view>

namespace strata::app::test {

// "0123456789abcdef": exactly 16 lower-case hex digits.
inline bool is_hex16(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// "app;dur=" and a non-negative decimal number, e.g. "app;dur=0.125".
inline bool is_app_timing(std::string_view s) {
  constexpr std::string_view prefix = "app;dur=";
  if (s.substr(0, prefix.size()) != prefix) return false;
  s.remove_prefix(prefix.size());
  size_t digits = 0, dots = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9') ++digits;
    else if (c == '.' && digits > 0 && dots == 0) ++dots;
    else return false;
  }
  return digits > 0 && s.back() != '.';
}

}  // namespace strata::app::test
