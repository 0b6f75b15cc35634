#include "router/params.hpp"

#include <cmath>

#include "common/json.hpp"

namespace strata::router {

std::string_view source_name(Source s) {
  switch (s) {
    case Source::path: return "path";
    case Source::query: return "query";
    case Source::header: return "header";
    case Source::cookie: return "cookie";
    case Source::form: return "body";
  }
  return "query";
}

namespace detail {

namespace {

// A parameter's input, as FastAPI shows it in an error: the text, as a JSON string.
std::string quoted(std::string_view text) {
  std::string s;
  json::append_string(s, text);
  return s;
}

bool fail(Errors& errors, const Path& at, const Violation& v, std::string_view text) {
  add_error(errors, at, v.type, v.msg, quoted(text), v.ctx);
  return false;
}

}  // namespace

bool text_to_int(std::string_view text, int64_t lo, int64_t hi, const Constraints* rule, Errors& errors,
                 const Path& at, int64_t& out) {
  Num n{};
  if (!parse_int_string(text, n)) {
    add_error(errors, at, "int_parsing", "Input should be a valid integer, unable to parse string as an integer",
              quoted(text));
    return false;
  }
  std::optional<Violation> bad = check_number(n, rule);
  if (!bad) bad = check_range(n, lo, hi);
  if (bad) return fail(errors, at, *bad, text);
  out = n.i;
  return true;
}

bool text_to_double(std::string_view text, const Constraints* rule, Errors& errors, const Path& at, double& out) {
  double d = 0;
  if (!parse_float_string(text, d)) {
    add_error(errors, at, "float_parsing", "Input should be a valid number, unable to parse string as a number",
              quoted(text));
    return false;
  }
  if (auto bad = check_number(Num::of(d), rule)) return fail(errors, at, *bad, text);
  out = d;
  return true;
}

bool text_to_bool(std::string_view text, Errors& errors, const Path& at, bool& out) {
  if (parse_bool_string(text, out)) return true;
  add_error(errors, at, "bool_parsing", "Input should be a valid boolean, unable to interpret input", quoted(text));
  return false;
}

bool text_to_string(std::string_view text, Check check, Errors& errors, const Path& at, std::string& out) {
  if (auto bad = check_string(text, check)) return fail(errors, at, *bad, text);
  out.assign(text);
  return true;
}

bool text_to_enum(std::string_view text, std::span<const std::string_view> names, Errors& errors, const Path& at,
                  size_t& index, bool literal) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return index = i, true;
  return fail(errors, at, literal ? literal_violation(names) : enum_violation(names), text);
}

bool text_to_value(std::string_view text, const ValueKind& kind, Errors& errors, const Path& at, void* out) {
  if (auto bad = (kind.from_param ? kind.from_param : kind.from_string)(text, out)) return fail(errors, at, *bad, text);
  return true;
}

}  // namespace detail

}  // namespace strata::router
