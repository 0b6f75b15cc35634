// The one place std::regex is instantiated, so that the rest of tier 4 does
// not pay for <regex> in compile time.
//
// GCC 12 reports a false -Wmaybe-uninitialized inside libstdc++'s regex
// compiler (std::function moves in _Compiler) when building with
// -fsanitize=address,undefined; it is silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <regex>
#include <string>

#include "router/model.hpp"

namespace strata::router::detail {

struct Pattern {
  std::regex re;
};

const Pattern* compile_pattern(std::string_view pattern) {
  return new Pattern{std::regex(std::string(pattern), std::regex::ECMAScript)};
}

bool pattern_found(const Pattern& p, std::string_view s) { return std::regex_search(s.begin(), s.end(), p.re); }

}  // namespace strata::router::detail
