#include "router/model.hpp"

#include <algorithm>
#include <charconv>
#include <compare>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>

#include "router/decoder_internal.hpp"

namespace strata::router::detail {

namespace {

// ---------------------------------------------------------------- small text helpers

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

// Appends a JSON text without the whitespace between its tokens, so that an
// error's input does not depend on how the client indented its body.
void append_compact(std::string& out, std::string_view raw) {
  bool in_string = false, escaped = false;
  for (char c : raw) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (is_ws(c)) {
      continue;
    } else if (c == '"') {
      in_string = true;
    }
    out.push_back(c);
  }
}

// The characters pydantic counts in a str: code points, i.e. the bytes of
// (already validated) UTF-8 that are not continuation bytes.
size_t count_code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == y;
         });
}

// RFC 8259's number grammar, for the few numbers simdjson will not convert
// (beyond 64-bit integers or beyond a double's range), to tell those apart
// from malformed ones.
bool is_json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

double to_double(std::string_view s) {
  const std::string copy(s);  // strtod needs a terminator; only for numbers beyond 64 bits
  return std::strtod(copy.c_str(), nullptr);
}

// An integer literal too large for int64, as a double that stays out of
// int64's range: below INT64_MIN it could round to exactly -2^63 (above
// INT64_MAX it rounds to 2^63 or more, already out).
Num beyond_int64(std::string_view digits) {
  Num n = Num::of(to_double(digits));
  if (n.d < 0 && n.d >= -0x1p63) n.d = std::nextafter(-0x1p63, -HUGE_VAL);
  return n;
}

// Drops a leading '+' (std::from_chars takes only '-'); false for a sign alone
// or two signs.
bool strip_plus(std::string_view& s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return !s.empty() && s.front() != '+' && !(s.front() == '-' && (s.size() == 1 || s[1] == '+' || s[1] == '-'));
}

}  // namespace

// pydantic's lax str -> int: surrounding whitespace, an optional sign, digits.
bool parse_int_string(std::string_view s, Num& n) {
  s = trim(s);
  if (!strip_plus(s)) return false;
  const std::string_view digits = s.front() == '-' ? s.substr(1) : s;
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  n = r.ec == std::errc() ? Num::of(v) : beyond_int64(s);  // kept, to fail the range check
  return true;
}

// pydantic's lax str -> float (Python's float(): also "inf", "nan").
bool parse_float_string(std::string_view s, double& d) {
  s = trim(s);
  if (!strip_plus(s)) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// pydantic's lax str -> bool.
bool parse_bool_string(std::string_view s, bool& out) {
  static constexpr std::string_view kTrue[] = {"1", "on", "t", "true", "y", "yes"};
  static constexpr std::string_view kFalse[] = {"0", "off", "f", "false", "n", "no"};
  for (auto w : kTrue)
    if (iequals(s, w)) return out = true;
  for (auto w : kFalse)
    if (iequals(s, w)) return !(out = false);
  return false;
}

namespace {

// ---------------------------------------------------------------- violations

void append_plural(std::string& out, size_t n, std::string_view noun) {
  json::append_int(out, static_cast<int64_t>(n));
  out.push_back(' ');
  out.append(noun);
  if (n != 1) out.push_back('s');
}

Violation bound_violation(std::string_view type, std::string_view what, std::string_view key, const Bound& b) {
  Violation v{type, "Input should be ", "{\""};
  v.msg.append(what).push_back(' ');
  append_bound(v.msg, b);
  v.ctx.append(key).append("\":");
  append_bound(v.ctx, b);
  v.ctx.push_back('}');
  return v;
}

// Exact order of a double and an int64: converting either to the other's
// type would round (2^63 - 1 has no double, 0.5 no int64).
std::partial_ordering compare(double d, int64_t i) {
  if (std::isnan(d)) return std::partial_ordering::unordered;
  if (d >= 0x1p63) return std::partial_ordering::greater;
  if (d < -0x1p63) return std::partial_ordering::less;
  const auto whole = static_cast<int64_t>(d);  // exact: |d| < 2^63
  if (whole != i) return whole <=> i;
  return d - static_cast<double>(whole) <=> 0.0;
}

std::partial_ordering compare(const Num& n, const Bound& b) {
  if (n.integral && b.integral) return n.i <=> b.i;
  if (!n.integral && !b.integral) return n.d <=> b.d;
  if (n.integral) return 0 <=> compare(b.d, n.i);
  return compare(n.d, b.i);
}

bool below(const Num& n, const Bound& b) { return compare(n, b) < 0; }
bool above(const Num& n, const Bound& b) { return compare(n, b) > 0; }

// ---------------------------------------------------------------- malformed JSON

// Locates the first syntax error the way Python's json module does, with its
// messages (FastAPI passes them on in ctx.error). simdjson only says *that*
// a document is malformed, and its on-demand API may notice late; this exact
// scanner runs only once a document has been found malformed.
struct SyntaxError {
  size_t pos;
  std::string_view msg;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  std::optional<SyntaxError> run() {
    value();
    if (!error_) {
      ws();
      if (i_ != s_.size()) fail("Extra data", i_);
    }
    return error_;
  }

 private:
  bool fail(std::string_view msg, size_t pos) {
    if (!error_) error_ = SyntaxError{pos, msg};
    return false;
  }
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void ws() {
    while (i_ < s_.size() && is_ws(s_[i_])) ++i_;
  }

  bool value() {
    ws();
    if (i_ == s_.size()) return fail("Expecting value", i_);
    switch (s_[i_]) {
      case '{': return container('}');
      case '[': return container(']');
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool container(char close) {
    if (++depth_ > kMaxDepth) return fail("Maximum nesting depth exceeded", i_);
    const bool object = close == '}';
    ++i_;
    ws();
    if (at(close)) {
      ++i_;
      --depth_;
      return true;
    }
    for (;;) {
      if (object) {
        ws();
        if (!at('"')) return fail("Expecting property name enclosed in double quotes", i_);
        if (!string()) return false;
        ws();
        if (!at(':')) return fail("Expecting ':' delimiter", i_);
        ++i_;
      }
      if (!value()) return false;
      ws();
      if (at(close)) break;
      if (!at(',')) return fail("Expecting ',' delimiter", i_);
      ++i_;
    }
    ++i_;
    --depth_;
    return true;
  }

  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return fail("Expecting value", i_);
    i_ += word.size();
    return true;
  }

  bool number() {
    const size_t start = i_;
    auto digits = [&] {
      const size_t from = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - from;
    };
    if (at('-')) ++i_;
    if (at('0')) ++i_;
    else if (digits() == 0) return fail("Expecting value", start);
    // Like Python's number regex, a fraction or exponent without digits is
    // not part of the number; whatever follows then fails as a delimiter.
    if (at('.') && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9') {
      ++i_;
      digits();
    }
    if (at('e') || at('E')) {
      size_t j = i_ + 1;
      if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
      if (j < s_.size() && s_[j] >= '0' && s_[j] <= '9') {
        i_ = j;
        digits();
      }
    }
    return true;
  }

  bool hex4(size_t at_pos, unsigned& cp) {
    if (at_pos + 4 > s_.size()) return false;
    cp = 0;
    for (size_t k = at_pos; k < at_pos + 4; ++k) {
      const char c = s_[k];
      unsigned h = 0;
      if (c >= '0' && c <= '9') h = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') h = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') h = static_cast<unsigned>(c - 'A' + 10);
      else return false;
      cp = cp * 16 + h;
    }
    return true;
  }

  // One UTF-8 sequence at i_ (first byte >= 0x80): RFC 3629, as simdjson checks it.
  bool utf8() {
    const auto b = [&](size_t k) { return k < s_.size() ? static_cast<unsigned char>(s_[k]) : 0u; };
    const unsigned c = b(i_);
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return fail("Invalid UTF-8", i_);
    if (b(i_ + 1) < lo || b(i_ + 1) > hi) return fail("Invalid UTF-8", i_);
    for (size_t k = 2; k < len; ++k)
      if ((b(i_ + k) & 0xC0) != 0x80) return fail("Invalid UTF-8", i_);
    i_ += len;
    return true;
  }

  bool string() {
    const size_t start = i_++;
    for (;;) {
      if (i_ >= s_.size()) return fail("Unterminated string starting at", start);
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return fail("Invalid control character at", i_);
      if (c >= 0x80) {
        if (!utf8()) return false;
        continue;
      }
      if (c != '\\') {
        ++i_;
        continue;
      }
      const size_t esc = i_++;
      if (i_ >= s_.size()) return fail("Unterminated string starting at", start);
      const char e = s_[i_];
      if (e != '\0' && std::strchr("\"\\/bfnrt", e)) {
        ++i_;
        continue;
      }
      unsigned cp = 0;
      if (e != 'u' || !hex4(i_ + 1, cp)) return fail(e == 'u' ? "Invalid \\uXXXX escape" : "Invalid \\escape", esc);
      i_ += 5;
      // simdjson rejects unpaired surrogates; so must we, to agree on what is malformed.
      if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("Invalid \\uXXXX escape", esc);
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned low = 0;
        if (!at('\\') || i_ + 1 >= s_.size() || s_[i_ + 1] != 'u' || !hex4(i_ + 2, low) || low < 0xDC00 || low > 0xDFFF)
          return fail("Invalid \\uXXXX escape", esc);
        i_ += 6;
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 0;
  std::optional<SyntaxError> error_;
};

// The parser and the padded copy of the input, one per thread: both keep
// their capacity, so steady-state decoding allocates nothing here.
struct Scratch {
  od::parser parser;
  std::unique_ptr<char[]> buf;
  size_t cap = 0;
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

}  // namespace

// ---------------------------------------------------------------- checks shared by decode and validate


std::optional<Violation> check_string(std::string_view s, Check chk) {
  if (!chk.c) return std::nullopt;
  const Constraints& c = *chk.c;
  if (c.min_length || c.max_length) {
    const size_t n = count_code_points(s);
    if (c.min_length && n < *c.min_length) {
      Violation v{"string_too_short", "String should have at least ", "{\"min_length\":"};
      append_plural(v.msg, *c.min_length, "character");
      json::append_int(v.ctx, static_cast<int64_t>(*c.min_length));
      v.ctx.push_back('}');
      return v;
    }
    if (c.max_length && n > *c.max_length) {
      Violation v{"string_too_long", "String should have at most ", "{\"max_length\":"};
      append_plural(v.msg, *c.max_length, "character");
      json::append_int(v.ctx, static_cast<int64_t>(*c.max_length));
      v.ctx.push_back('}');
      return v;
    }
  }
  if (chk.pattern && !pattern_found(*chk.pattern, s)) {
    Violation v{"string_pattern_mismatch", "String should match pattern '", "{\"pattern\":"};
    v.msg.append(c.pattern).push_back('\'');
    json::append_string(v.ctx, c.pattern);
    v.ctx.push_back('}');
    return v;
  }
  return std::nullopt;
}

std::optional<Violation> check_number(const Num& n, const Constraints* c) {
  // pydantic-core's order: le, lt, ge, gt; the first that fails is reported.
  if (!c) return std::nullopt;
  // Written so that NaN, which compares unordered, fails every bound.
  if (c->le && !(compare(n, *c->le) <= 0))
    return bound_violation("less_than_equal", "less than or equal to", "le", *c->le);
  if (c->lt && !below(n, *c->lt)) return bound_violation("less_than", "less than", "lt", *c->lt);
  if (c->ge && !(compare(n, *c->ge) >= 0))
    return bound_violation("greater_than_equal", "greater than or equal to", "ge", *c->ge);
  if (c->gt && !above(n, *c->gt)) return bound_violation("greater_than", "greater than", "gt", *c->gt);
  return std::nullopt;
}

std::optional<Violation> check_range(const Num& n, int64_t lo, int64_t hi) {
  if (above(n, Bound(hi))) return bound_violation("less_than_equal", "less than or equal to", "le", Bound(hi));
  if (below(n, Bound(lo))) return bound_violation("greater_than_equal", "greater than or equal to", "ge", Bound(lo));
  return std::nullopt;
}

std::optional<Violation> check_length(size_t n, const Constraints* c, std::string_view field_type) {
  if (!c) return std::nullopt;
  const bool short_ = c->min_length && n < *c->min_length;
  const bool long_ = c->max_length && n > *c->max_length;
  if (!short_ && !long_) return std::nullopt;
  const size_t limit = short_ ? *c->min_length : *c->max_length;
  Violation v{short_ ? "too_short" : "too_long", std::string(field_type), "{\"field_type\":"};
  v.msg.append(short_ ? " should have at least " : " should have at most ");
  append_plural(v.msg, limit, "item");
  v.msg.append(" after validation, not ");
  json::append_int(v.msg, static_cast<int64_t>(n));
  json::append_string(v.ctx, field_type);
  v.ctx.append(short_ ? ",\"min_length\":" : ",\"max_length\":");
  json::append_int(v.ctx, static_cast<int64_t>(limit));
  v.ctx.append(",\"actual_length\":");
  json::append_int(v.ctx, static_cast<int64_t>(n));
  v.ctx.push_back('}');
  return v;
}

Violation enum_violation(std::span<const std::string_view> names) {
  std::string expected;  // pydantic: 'a', 'b' or 'c'
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) expected.append(i + 1 == names.size() ? " or " : ", ");
    expected.append("'").append(names[i]).append("'");
  }
  Violation v{"enum", "Input should be " + expected, "{\"expected\":"};
  json::append_string(v.ctx, expected);
  v.ctx.push_back('}');
  return v;
}

void add_error(Errors& errors, const Path& at, std::string_view type, std::string msg, std::string input,
               std::string ctx) {
  size_t depth = 0;
  for (const Path* p = &at; p; p = p->up) depth += p->kind != Path::none;
  Loc loc(depth);
  for (const Path* p = &at; p; p = p->up) {
    if (p->kind == Path::key) loc[--depth] = std::string(p->name);
    else if (p->kind == Path::index) loc[--depth] = p->pos;
  }
  errors.add(Error{std::string(type), std::move(loc), std::move(msg), std::move(input), std::move(ctx)});
}

// ---------------------------------------------------------------- rendering

namespace {
template <class F>
void append_floating(std::string& out, F v) {
  if (!std::isfinite(v)) {
    out.append("null");  // JSON has no inf/nan; pydantic's default (ser_json_inf_nan="null")
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back as v
  const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out.append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out.append(".0");  // Python prints 1.0, not 1
}
}  // namespace

void append_double(std::string& out, double v) { append_floating(out, v); }
void append_float(std::string& out, float v) { append_floating(out, v); }

void append_bound(std::string& out, const Bound& b) {
  if (b.integral) json::append_int(out, b.i);
  else append_double(out, b.d);
}

std::string field_title(std::string_view name) {
  // pydantic's default title: name.title().replace("_", " ")
  std::string t(name);
  bool prev_letter = false;
  for (char& c : t) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter) c = prev_letter ? (c >= 'A' && c <= 'Z' ? c + 32 : c) : (c >= 'a' && c <= 'z' ? c - 32 : c);
    prev_letter = letter;
    if (c == '_') c = ' ';
  }
  return t;
}

std::string short_type_name(std::string_view full) {
  const size_t bracket = full.find('<');
  const size_t colons = full.substr(0, bracket).rfind("::");
  return std::string(colons == std::string_view::npos ? full : full.substr(colons + 2));
}

// ---------------------------------------------------------------- Decoder

Decoder::Decoder(Errors& errors, std::string_view root) : errors_(errors), first_error_(errors.size()) {
  if (!root.empty()) root_ = Path(nullptr, root);
}

bool Decoder::open(std::string_view json, od::value& v, bool null_is_missing) {
  json_ = json;
  if (json.empty()) {  // FastAPI: no body at all is a missing body, not bad JSON
    add_error(errors_, root_, "missing", "Field required", "null");
    return false;
  }
  // The body is parsed as the only element of an array: simdjson 3.0.1 will
  // not hand out a scalar document as an ondemand::value, and this way every
  // root type takes the same path. The input is copied anyway (simdjson needs
  // SIMDJSON_PADDING readable bytes past the end), so the brackets are free.
  Scratch& s = scratch();
  const size_t len = json.size() + 2;
  if (len + simdjson::SIMDJSON_PADDING > s.cap) {
    s.cap = std::max<size_t>(len + simdjson::SIMDJSON_PADDING, 1024);
    s.buf = std::make_unique<char[]>(s.cap);
  }
  s.buf[0] = '[';
  std::memcpy(s.buf.get() + 1, json.data(), json.size());
  s.buf[len - 1] = ']';
  std::memset(s.buf.get() + len, 0, simdjson::SIMDJSON_PADDING);
  base_ = s.buf.get() + 1;
  len_ = json.size();

  if (auto e = s.parser.iterate(s.buf.get(), len, s.cap).get(doc_)) return fatal(e);
  od::array wrapper;
  if (auto e = doc_.get_array().get(wrapper)) return fatal(e);
  if (auto e = wrapper.begin().get(it_)) return fatal(e);
  if (auto e = wrapper.end().get(end_)) return fatal(e);
  opened_ = true;
  if (!(it_ != end_)) return fatal(simdjson::EMPTY);  // only whitespace
  if (auto e = (*it_).get(v)) return fatal(e);
  if (null_is_missing) {
    od::json_type t;
    if (!peek(v, t)) return false;
    if (t == od::json_type::null) {  // FastAPI reads a JSON null body as no body
      if (!take_null(v)) return false;
      add_error(errors_, root_, "missing", "Field required", "null");
      return false;
    }
  }
  return true;
}

bool Decoder::close(bool ok) {
  if (ok && opened_ && fatal_ == simdjson::SUCCESS) {
    ++it_;
    // Still open: a second element, or an error while looking for the next
    // one (which leaves the array open). Past the wrapper there must be
    // nothing; a document in error never reports OUT_OF_BOUNDS.
    if (it_ != end_) fatal(simdjson::TRAILING_CONTENT);
    else if (doc_.current_location().error() != simdjson::OUT_OF_BOUNDS) fatal(simdjson::TRAILING_CONTENT);
  }
  if (fatal_ != simdjson::SUCCESS) {
    // As in FastAPI, malformed JSON is the only error: validation errors
    // found before the parser noticed are dropped.
    errors_.items().resize(first_error_);
    std::optional<SyntaxError> where = Scanner(json_).run();
    if (!where) where = SyntaxError{0, simdjson::error_message(fatal_)};  // not expected: the scanner is stricter
    std::string ctx = "{\"error\":";
    json::append_string(ctx, where->msg);
    ctx.push_back('}');
    const Path at(&root_, where->pos);
    add_error(errors_, at, "json_invalid", "JSON decode error", "{}", std::move(ctx));
  }
  return errors_.size() == first_error_;
}

bool Decoder::fatal(simdjson::error_code e) {
  if (fatal_ == simdjson::SUCCESS) fatal_ = e;
  return false;
}

bool Decoder::enter() {
  if (++depth_ > kMaxDepth) return fatal(simdjson::DEPTH_ERROR);
  return true;
}

bool Decoder::take_null(od::value& v) {
  bool is_null = false;
  if (v.is_null().get(is_null) || !is_null) return fatal(simdjson::N_ATOM_ERROR);
  return true;
}

const char* Decoder::location() {
  const char* p = nullptr;
  if (doc_.current_location().get(p)) return base_ + len_;
  return p;
}

bool Decoder::skip(od::value v, std::string* raw) {
  const std::string_view token = v.raw_json_token();
  const char* end = nullptr;  // set for containers; scalars end with their token
  od::json_type t;
  if (!peek(v, t)) return false;
  switch (t) {
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr)) return fatal(e);
      if (!enter()) return false;
      for (auto element : arr) {
        od::value x;
        if (auto e = std::move(element).get(x)) return fatal(e);
        if (!skip(x)) return false;
      }
      leave();
      end = location();
      break;
    }
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return fatal(e);
      if (!enter()) return false;
      for (auto field_result : obj) {
        od::field f;
        if (auto e = std::move(field_result).get(f)) return fatal(e);
        std::string_view key;
        if (!key_of(f, key)) return false;
        if (!skip(f.value())) return false;
      }
      leave();
      end = location();
      break;
    }
    case od::json_type::number: {
      Num n{};
      if (read_number(v, n) == Read::fatal) return false;
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return fatal(e);
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto e = v.get_bool().get(b)) return fatal(e);
      break;
    }
    case od::json_type::null:
      if (!take_null(v)) return false;
      break;
  }
  if (raw) append_compact(*raw, end ? std::string_view(token.data(), static_cast<size_t>(end - token.data())) : token);
  return true;
}

bool Decoder::mismatch(od::value v, const Path& at, std::string_view type, std::string_view msg, std::string ctx) {
  std::string input;
  if (!skip(v, &input)) return false;
  add_error(errors_, at, type, std::string(msg), std::move(input), std::move(ctx));
  return true;
}

void Decoder::report(const Path& at, std::string_view type, std::string msg, std::string_view raw_input,
                     std::string ctx) {
  std::string input;
  append_compact(input, raw_input);
  add_error(errors_, at, type, std::move(msg), std::move(input), std::move(ctx));
}

void Decoder::report(const Path& at, const Violation& v, std::string_view raw_input) {
  report(at, v.type, v.msg, raw_input, v.ctx);
}

void Decoder::report_missing(const Path& at, const char* object_start, std::string& object_text) {
  if (object_text.empty())
    append_compact(object_text, std::string_view(object_start, static_cast<size_t>(location() - object_start)));
  add_error(errors_, at, "missing", "Field required", object_text);
}

void Decoder::note(Order& o, size_t first_error, size_t field) { o.marks.emplace_back(first_error, field); }

void Decoder::sort(Order& o) {
  auto& marks = o.marks;
  if (marks.size() < 2) return;
  const auto by_field = [&](size_t a, size_t b) { return marks[a].second < marks[b].second; };
  std::vector<size_t> order(marks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (std::is_sorted(order.begin(), order.end(), by_field)) return;
  std::stable_sort(order.begin(), order.end(), by_field);
  // Each mark starts a run of errors that ends where the next one starts;
  // the runs move as blocks, so a nested model's errors stay together.
  auto& items = errors_.items();
  std::vector<Error> sorted;
  sorted.reserve(items.size() - marks.front().first);
  for (size_t k : order) {
    const size_t end = k + 1 < marks.size() ? marks[k + 1].first : items.size();
    for (size_t j = marks[k].first; j < end; ++j) sorted.push_back(std::move(items[j]));
  }
  std::move(sorted.begin(), sorted.end(), items.begin() + static_cast<std::ptrdiff_t>(marks.front().first));
}

Read Decoder::read_number(od::value& v, Num& n) {
  od::number num;
  if (v.get_number().get(num) == simdjson::SUCCESS) {
    switch (num.get_number_type()) {
      case od::number_type::signed_integer: n = Num::of(num.get_int64()); break;
      case od::number_type::unsigned_integer: n = Num::of(static_cast<double>(num.get_uint64())); break;
      case od::number_type::floating_point_number: n = Num::of(num.get_double()); break;
    }
    return Read::ok;
  }
  // simdjson 3.0.1 reports integers beyond 64 bits and doubles beyond their
  // range as NUMBER_ERROR, like malformed numbers: the grammar tells them apart.
  const std::string_view token = trim(v.raw_json_token());
  if (!is_json_number(token)) return broken(simdjson::NUMBER_ERROR);
  n = token.find_first_of(".eE") == std::string_view::npos ? beyond_int64(token) : Num::of(to_double(token));
  return Read::ok;
}

Read Decoder::read_int(od::value v, const Path& at, Check chk, int64_t lo, int64_t hi, int64_t& out) {
  Num n{};
  int64_t i = 0;
  if (v.get_int64().get(i) == simdjson::SUCCESS) {  // the common case, without a type dispatch
    n = Num::of(i);
  } else {
    od::json_type t;
    if (!peek(v, t)) return Read::fatal;
    switch (t) {
      case od::json_type::number:
        if (read_number(v, n) == Read::fatal) return Read::fatal;
        break;
      case od::json_type::boolean: {
        bool b = false;
        if (auto e = v.get_bool().get(b)) return broken(e);
        n = Num::of(int64_t{b});
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return broken(e);
        if (!parse_int_string(s, n)) {
          report(at, "int_parsing", "Input should be a valid integer, unable to parse string as an integer",
                 v.raw_json_token());
          return Read::invalid;
        }
        break;
      }
      default:
        return mismatch(v, at, "int_type", "Input should be a valid integer") ? Read::invalid : Read::fatal;
    }
  }
  if (!n.integral) {
    if (!std::isfinite(n.d)) {
      report(at, "finite_number", "Input should be a finite number", v.raw_json_token());
      return Read::invalid;
    }
    if (n.d != std::trunc(n.d)) {
      report(at, "int_from_float", "Input should be a valid integer, got a number with a fractional part",
             v.raw_json_token());
      return Read::invalid;
    }
    if (n.d >= -0x1p63 && n.d < 0x1p63) n = Num::of(static_cast<int64_t>(n.d));
  }
  std::optional<Violation> bad = check_number(n, chk.c);
  if (!bad) bad = check_range(n, lo, hi);
  if (bad) {
    report(at, *bad, v.raw_json_token());  // the token stays readable after the value is consumed
    return Read::invalid;
  }
  out = n.i;
  return Read::ok;
}

Read Decoder::read_double(od::value v, const Path& at, Check chk, double& out, bool to_float) {
  od::json_type t;
  if (!peek(v, t)) return Read::fatal;
  const std::string_view token = v.raw_json_token();
  double d = 0;
  switch (t) {
    case od::json_type::number: {
      if (v.get_double().get(d) != simdjson::SUCCESS) {
        Num n{};
        if (read_number(v, n) == Read::fatal) return Read::fatal;
        d = n.d;
      }
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto e = v.get_bool().get(b)) return broken(e);
      d = b;
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return broken(e);
      if (!parse_float_string(s, d)) {
        report(at, "float_parsing", "Input should be a valid number, unable to parse string as a number", token);
        return Read::invalid;
      }
      break;
    }
    default:
      return mismatch(v, at, "float_type", "Input should be a valid number") ? Read::invalid : Read::fatal;
  }
  // A float field keeps the value rounded to float: the bounds hold for
  // what is stored (999.99999999 rounds to 1000.0f, which lt=1000 refuses).
  if (to_float) {
    // Out of float's range the cast is undefined; IEEE rounding gives infinity.
    d = std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max() ? std::copysign(HUGE_VAL, d)
                                                                              : static_cast<float>(d);
  }
  if (auto bad = check_number(Num::of(d), chk.c)) {
    report(at, *bad, token);
    return Read::invalid;
  }
  out = d;
  return Read::ok;
}

Read Decoder::read_bool(od::value v, const Path& at, bool& out) {
  od::json_type t;
  if (!peek(v, t)) return Read::fatal;
  const std::string_view token = v.raw_json_token();
  auto unparsable = [&] {
    report(at, "bool_parsing", "Input should be a valid boolean, unable to interpret input", token);
    return Read::invalid;
  };
  switch (t) {
    case od::json_type::boolean:
      if (auto e = v.get_bool().get(out)) return broken(e);
      return Read::ok;
    case od::json_type::number: {
      Num n{};
      if (read_number(v, n) == Read::fatal) return Read::fatal;
      if (n.d != 0 && n.d != 1) return unparsable();
      out = n.d == 1;
      return Read::ok;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return broken(e);
      return parse_bool_string(s, out) ? Read::ok : unparsable();
    }
    default:
      return mismatch(v, at, "bool_type", "Input should be a valid boolean") ? Read::invalid : Read::fatal;
  }
}

Read Decoder::read_string(od::value v, const Path& at, Check chk, std::string& out) {
  std::string_view s;
  const auto e = v.get_string().get(s);  // tried first: a string is by far the common case
  if (e == simdjson::INCORRECT_TYPE)
    return mismatch(v, at, "string_type", "Input should be a valid string") ? Read::invalid : Read::fatal;
  if (e) return broken(e);
  if (auto bad = check_string(s, chk)) {
    report(at, *bad, v.raw_json_token());
    return Read::invalid;
  }
  out.assign(s);
  return Read::ok;
}

Read Decoder::read_enum(od::value v, const Path& at, std::span<const std::string_view> names, size_t& index) {
  od::json_type t;
  if (!peek(v, t)) return Read::fatal;
  if (t != od::json_type::string) {
    const Violation bad = enum_violation(names);
    return mismatch(v, at, bad.type, bad.msg, bad.ctx) ? Read::invalid : Read::fatal;
  }
  const std::string_view token = v.raw_json_token();
  std::string_view s;
  if (auto e = v.get_string().get(s)) return broken(e);
  const auto it = std::find(names.begin(), names.end(), s);
  if (it == names.end()) {
    report(at, enum_violation(names), token);
    return Read::invalid;
  }
  index = static_cast<size_t>(it - names.begin());
  return Read::ok;
}

// ---------------------------------------------------------------- the walker

namespace {

// Stores an int64 already range-checked for the field's type: its low bytes
// are that type's value, signed or not. memcpy, since the object may be any
// integer type of that size.
template <class U>
void store_as(void* out, int64_t n) {
  const U u = static_cast<U>(n);
  std::memcpy(out, &u, sizeof u);
}

void store_int(void* out, size_t size, int64_t n) {
  switch (size) {
    case 1: store_as<uint8_t>(out, n); break;
    case 2: store_as<uint16_t>(out, n); break;
    case 4: store_as<uint32_t>(out, n); break;
    default: store_as<uint64_t>(out, n); break;
  }
}

void store_floating(void* out, size_t size, double d) {
  if (size == sizeof(float)) *static_cast<float*>(out) = static_cast<float>(d);
  else if (size == sizeof(double)) *static_cast<double*>(out) = d;
  else *static_cast<long double*>(out) = d;
}

// Field names are a few bytes: comparing them in place is cheaper than
// memcmp's call, which string_view's == makes for any length unknown at
// compile time.
bool same_key(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// Which fields of one object were present: bits in a word for any model a
// person writes, an array on the heap past that.
class Seen {
 public:
  explicit Seen(size_t n) {
    if (n > 64) big_ = std::make_unique<bool[]>(n);  // value-initialized: all false
  }
  void set(size_t i) {
    if (big_) big_[i] = true;
    else bits_ |= uint64_t{1} << i;
  }
  bool operator[](size_t i) const { return big_ ? big_[i] : ((bits_ >> i) & 1) != 0; }

 private:
  uint64_t bits_ = 0;
  std::unique_ptr<bool[]> big_;
};

}  // namespace

inline bool Decoder::read_field(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk) {
  switch (type.kind) {
    case TypeInfo::Kind::string:
      return read_string(v, at, chk, *static_cast<std::string*>(out)) != Read::fatal;
    case TypeInfo::Kind::integer: {
      int64_t n = 0;
      const Read r = read_int(v, at, chk, type.lo, type.hi, n);
      if (r == Read::ok) store_int(out, type.size, n);
      return r != Read::fatal;
    }
    default:
      return read(v, type, out, at, chk);
  }
}

bool Decoder::read(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk) {
  using K = TypeInfo::Kind;
  switch (type.kind) {
    case K::optional: {
      od::json_type t{};  // set by peek(); initialized so -O1 sees it is
      if (!peek(v, t)) return false;
      if (t == od::json_type::null) {
        type.clear(out);
        return take_null(v);
      }
      return read(v, *type.inner, type.element(out), at, chk);
    }
    case K::boolean:
      return read_bool(v, at, *static_cast<bool*>(out)) != Read::fatal;
    case K::integer:
    case K::string:
      return read_field(v, type, out, at, chk);
    case K::floating: {
      double d = 0;
      const Read r = read_double(v, at, chk, d, type.size == sizeof(float));
      if (r == Read::ok) store_floating(out, type.size, d);
      return r != Read::fatal;
    }
    case K::enumeration:
    case K::literal: {
      size_t i = 0;
      const Read r = type.kind == K::enumeration ? read_enum(v, at, type.names, i) : read_literal(v, at, type.names, i);
      if (r == Read::ok) type.set_choice(out, i);
      return r != Read::fatal;
    }
    case K::value:
      return read_value(v, at, *type.value, out) != Read::fatal;
    case K::list:
      return read_list(v, type, out, at, chk);
    case K::map:
      return read_map(v, type, out, at, chk);
    case K::model:
      return read_model(v, *type.model, out, at);
  }
  return false;
}

bool Decoder::read_model(od::value v, const ModelInfo& model, void* out, const Path& at) {
  od::json_type t{};  // set by peek(); initialized so -O1 sees it is
  if (!peek(v, t)) return false;
  if (t != od::json_type::object) {
    const std::string_view name = model.name();
    std::string ctx = "{\"class_name\":";
    json::append_string(ctx, name);
    ctx.push_back('}');
    std::string msg = "Input should be a valid dictionary or instance of ";
    msg.append(name);
    return mismatch(v, at, "model_type", msg, std::move(ctx));
  }
  const char* start = v.raw_json_token().data();
  const size_t model_errors = errors_.size();
  od::object obj;
  if (auto e = v.get_object().get(obj)) return fatal(e);
  if (!enter()) return false;

  const std::span<const FieldInfo> fields = model.fields;
  const size_t n = fields.size();
  Seen seen(n);
  Order order;
  size_t next = 0;
  for (auto field_result : obj) {
    od::field f;
    if (auto e = std::move(field_result).get(f)) return fatal(e);
    std::string_view key;
    if (!key_of(f, key)) return false;
    const size_t before = errors_.size();
    // Bodies usually list a model's fields in declaration order: try the
    // one after the last match before searching them all.
    size_t index = next;
    if (index >= n || !same_key(fields[index].name, key)) {
      index = 0;
      while (index < n && !same_key(fields[index].name, key)) ++index;
    }
    if (index < n) {
      next = index + 1;
      const FieldInfo& field = fields[index];
      const Path here(&at, field.name);
      void* member = field.member(out);
      const Check chk = field.check ? field.check() : Check{};
      if (field.validator) {
        // Run only on a value that passed its own checks; the input of its
        // error is what the client sent.
        const std::string_view token = f.value().raw_json_token();
        if (!read(f.value(), *field.type, member, here, chk)) return false;
        if (errors_.size() == before)
          if (auto message = field.validator(member)) report(here, value_error(*message), span_from(token));
      } else if (!read_field(f.value(), *field.type, member, here, chk)) {
        return false;
      }
      seen.set(index);
    } else if (model.forbid_extra) {
      const Path here(&at, key);
      if (!mismatch(f.value(), here, "extra_forbidden", "Extra inputs are not permitted")) return false;
    } else if (!skip(f.value())) {
      return false;
    }
    if (errors_.size() != before) note(order, before, index);
  }
  leave();

  std::string object_text;  // rendered once, for the "missing" errors' input
  for (size_t i = 0; i < n; ++i) {
    if (seen[i]) continue;
    const FieldInfo& field = fields[i];
    if (field.type->kind == TypeInfo::Kind::optional) {
      field.type->clear(field.member(out));
    } else {
      const size_t before = errors_.size();
      report_missing(Path(&at, field.name), start, object_text);
      note(order, before, i);
    }
  }
  sort(order);
  if (model.validators != 0 && errors_.size() == model_errors) {  // as pydantic: only a model whose fields all passed
    const std::string_view whole(start, static_cast<size_t>(location() - start));
    for (size_t i = 0; i < model.validators; ++i)
      if (auto message = model.validate(i, out)) report(at, value_error(*message), whole);
  }
  return true;
}

bool Decoder::read_list(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk) {
  od::json_type t{};  // set by peek(); initialized so -O1 sees it is
  if (!peek(v, t)) return false;
  if (t != od::json_type::array) return mismatch(v, at, "list_type", "Input should be a valid list");
  const char* start = v.raw_json_token().data();
  od::array arr;
  if (auto e = v.get_array().get(arr)) return fatal(e);
  if (!enter()) return false;
  type.clear(out);
  size_t i = 0;
  for (auto element : arr) {
    od::value x;
    if (auto e = std::move(element).get(x)) return fatal(e);
    const Path here(&at, i++);
    if (type.element) {
      if (!read(x, *type.inner, type.element(out), here, Check{})) return false;
    } else {  // std::vector<bool>
      bool b = false;
      if (!read(x, *type.inner, &b, here, Check{})) return false;
      type.push_bool(out, b);
    }
  }
  leave();
  if (chk.c)
    if (auto bad = check_length(type.count(out), chk.c, "List"))
      report(at, *bad, std::string_view(start, static_cast<size_t>(location() - start)));
  return true;
}

bool Decoder::read_map(od::value v, const TypeInfo& type, void* out, const Path& at, Check chk) {
  od::json_type t{};  // set by peek(); initialized so -O1 sees it is
  if (!peek(v, t)) return false;
  if (t != od::json_type::object) return mismatch(v, at, "dict_type", "Input should be a valid dictionary");
  const char* start = v.raw_json_token().data();
  od::object obj;
  if (auto e = v.get_object().get(obj)) return fatal(e);
  if (!enter()) return false;
  type.clear(out);
  for (auto field_result : obj) {
    od::field f;
    if (auto e = std::move(field_result).get(f)) return fatal(e);
    std::string_view key;
    if (!key_of(f, key)) return false;
    if (!read(f.value(), *type.inner, type.entry(out, key), Path(&at, key), Check{})) return false;
  }
  leave();
  if (chk.c)
    if (auto bad = check_length(type.count(out), chk.c, "Dictionary"))
      report(at, *bad, std::string_view(start, static_cast<size_t>(location() - start)));
  return true;
}

bool decode_as(std::string_view json, const TypeInfo& type, void* out, Errors& errors, std::string_view root) {
  Decoder d(errors, root);
  od::value v;
  if (!d.open(json, v, type.kind != TypeInfo::Kind::optional)) return d.close(true);
  return d.close(d.read_root(v, type, out));
}

}  // namespace strata::router::detail

namespace strata::router {

bool Schemas::reserve(std::string_view name, const void* type) {
  const auto it = items_.find(name);
  if (it == items_.end()) {
    items_.emplace(std::string(name), Item{type, {}});
    return true;
  }
  if (it->second.type != type)
    throw std::logic_error("two types share the schema name '" + std::string(name) + "' (set model_traits<T>::name)");
  return false;
}

void Schemas::add_named(std::string_view name, std::string json) {
  if (contains(name)) throw std::logic_error("two schemas are named '" + std::string(name) + "'");
  items_.emplace(std::string(name), Item{nullptr, std::move(json)});
}

void Schemas::to_json(std::string& out) const {
  out.push_back('{');
  bool first = true;
  for (const auto& [name, item] : items_) {
    if (!first) out.push_back(',');
    first = false;
    json::append_string(out, name);
    out.push_back(':');
    out.append(item.json);
  }
  out.push_back('}');
}

}  // namespace strata::router
