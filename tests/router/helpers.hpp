// Helpers shared by the tier 4 tests.
#pragma once

#include <string>
#include <string_view>

#include "router/model.hpp"

namespace rt {

// What errors_for() answers for a valid document.
inline constexpr std::string_view kNoErrors = R"({"detail":[]})";

// The 422 body decode() produces for `json` (`{"detail":[]}` when valid).
template <class T>
std::string errors_for(std::string_view json, T& out, std::string_view root = "body") {
  strata::router::Errors errors;
  strata::router::decode(json, out, errors, root);
  std::string body;
  errors.to_json(body);
  return body;
}

template <class T>
std::string errors_for(std::string_view json) {
  T out{};
  return errors_for(json, out);
}

template <class T>
std::string encoded(const T& value) {
  std::string out;
  strata::router::encode(value, out);
  return out;
}

}  // namespace rt
