// libFuzzer target for JSON decoding: tier 4's router::decode into typed
// models (the seed User, a nested model with every kind of field and
// constraint, a recursive one, non-model roots) and tiers 1-3's
// workload::UserEndpoint, all over the same input bytes.
//
// Invariants: no sanitizer report; decode() succeeds exactly when it adds no
// error; the 422 body is well-formed JSON; a value decode() accepted passes
// validate() and satisfies its numeric bounds, as plain C++ comparisons read
// them (NaN satisfies none, as in pydantic v2); and it round-trips: encode,
// decode again, encode again gives the same text (skipped for non-finite
// numbers, which JSON cannot carry).
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/workload.hpp"
#include "router/model.hpp"
#include "router/workload.hpp"

namespace fz {

enum class Tier { free, pro, enterprise };
BOOST_DESCRIBE_ENUM(Tier, free, pro, enterprise)

struct Line {
  std::string sku;
  int32_t qty = 0;
  double price = 0;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(Line, (), (sku, qty, price, note))

struct Order {
  int64_t id = 0;
  std::string customer;
  Tier tier = Tier::free;
  std::vector<Line> lines;
  std::optional<Line> gift;
  std::map<std::string, int32_t> counters;
  std::vector<std::string> tags;
  float weight = 0;
  int16_t priority = 0;
  uint8_t level = 0;
  bool paid = false;
  std::optional<int64_t> coupon;
  std::optional<double> discount;
};
BOOST_DESCRIBE_STRUCT(Order, (),
                      (id, customer, tier, lines, gift, counters, tags, weight, priority, level, paid, coupon, discount))

struct Node {
  std::string name;
  std::vector<Node> children;
};
BOOST_DESCRIBE_STRUCT(Node, (), (name, children))

}  // namespace fz

template <>
struct strata::router::model_traits<fz::Line> {
  static constexpr bool forbid_extra = true;
  static constexpr auto fields = std::tuple{
      field(&fz::Line::sku, {.min_length = 1, .max_length = 12, .pattern = R"(^[A-Z]{2,4}-\d+$)"}),
      field(&fz::Line::qty, {.ge = 1, .le = 1000}),
      field(&fz::Line::price, {.gt = 0, .lt = 1e6}),
      field(&fz::Line::note, {.max_length = 40}),
  };
};

template <>
struct strata::router::model_traits<fz::Order> {
  static constexpr std::string_view name = "FuzzOrder";
  static constexpr auto fields = std::tuple{
      field(&fz::Order::id, {.ge = 1}),
      field(&fz::Order::customer, {.min_length = 1, .max_length = 20}),
      field(&fz::Order::lines, {.max_length = 8}),
      field(&fz::Order::counters, {.max_length = 4}),
      field(&fz::Order::tags, {.min_length = 0, .max_length = 5}),
      field(&fz::Order::weight, {.ge = 0, .lt = 1000}),
      field(&fz::Order::discount, {.ge = 0, .le = 1}),
  };
};

namespace {

using strata::router::Errors;

[[noreturn]] void violation(const char* model, const char* what, std::string_view input, std::string_view detail) {
  std::fprintf(stderr, "\nfuzz_json: invariant violated for %s: %s\n", model, what);
  std::fprintf(stderr, "input (%zu bytes): %.*s\n", input.size(), static_cast<int>(std::min<size_t>(input.size(), 2048)),
               input.data());
  std::fprintf(stderr, "detail: %.*s\n", static_cast<int>(std::min<size_t>(detail.size(), 4096)), detail.data());
  std::abort();
}

// Floating-point values the JSON encoding cannot carry (it writes null).
bool finite(double d) { return std::isfinite(d); }
bool finite(const strata::router::User&) { return true; }
bool finite(const fz::Line& l) { return finite(l.price); }
bool finite(const fz::Order& o) {
  for (const fz::Line& l : o.lines)
    if (!finite(l)) return false;
  return (!o.gift || finite(*o.gift)) && finite(o.weight) && (!o.discount || finite(*o.discount));
}
bool finite(const fz::Node&) { return true; }
bool finite(const std::vector<int32_t>&) { return true; }
bool finite(const std::map<std::string, double>& m) {
  for (const auto& [k, v] : m)
    if (!finite(v)) return false;
  return true;
}
template <class T>
bool finite(const std::optional<T>& o) { return !o || finite(*o); }

// RFC 8259 well-formedness, UTF-8 included. Written out rather than taken
// from simdjson, which refuses integers beyond 64 bits: those are valid
// JSON, and a 422 echoes them as the client sent them.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : s_(s) {}
  bool ok() {
    ws();
    if (!value(0)) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool digit() const { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool value(int depth) {
    if (depth > 300 || i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{': return container(depth, '}');
      case '[': return container(depth, ']');
      case '"': return string();
      case 't': return word("true");
      case 'f': return word("false");
      case 'n': return word("null");
      default: return number();
    }
  }
  bool container(int depth, char close) {
    ++i_;
    ws();
    if (at(close)) return ++i_, true;
    for (;;) {
      ws();
      if (close == '}') {
        if (!at('"') || !string()) return false;
        ws();
        if (!at(':')) return false;
        ++i_;
        ws();
      }
      if (!value(depth + 1)) return false;
      ws();
      if (at(close)) return ++i_, true;
      if (!at(',')) return false;
      ++i_;
    }
  }
  bool number() {
    if (at('-')) ++i_;
    if (at('0')) ++i_;
    else if (!digit()) return false;
    while (digit()) ++i_;
    if (at('.')) {
      ++i_;
      if (!digit()) return false;
      while (digit()) ++i_;
    }
    if (at('e') || at('E')) {
      ++i_;
      if (at('+') || at('-')) ++i_;
      if (!digit()) return false;
      while (digit()) ++i_;
    }
    return true;
  }
  bool string() {
    ++i_;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') return ++i_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          if (i_ + 4 >= s_.size()) return false;
          for (size_t k = 1; k <= 4; ++k)
            if (!std::isxdigit(static_cast<unsigned char>(s_[i_ + k]))) return false;
          i_ += 5;
        } else if (std::string_view("\"\\/bfnrt").find(e) != std::string_view::npos) {
          ++i_;
        } else {
          return false;
        }
        continue;
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      size_t len = 0;
      unsigned lo = 0x80, hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) len = 2;
      else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      else return false;
      if (i_ + len > s_.size()) return false;
      const auto b1 = static_cast<unsigned char>(s_[i_ + 1]);
      if (b1 < lo || b1 > hi) return false;
      for (size_t k = 2; k < len; ++k)
        if ((static_cast<unsigned char>(s_[i_ + k]) & 0xC0) != 0x80) return false;
      i_ += len;
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// The numeric constraints of model_traits<Line> and <Order>, restated.
bool bounds_hold(const fz::Line& l) { return l.qty >= 1 && l.qty <= 1000 && l.price > 0 && l.price < 1e6; }
bool bounds_hold(const fz::Order& o) {
  for (const fz::Line& l : o.lines)
    if (!bounds_hold(l)) return false;
  return o.id >= 1 && (!o.gift || bounds_hold(*o.gift)) && o.weight >= 0 && o.weight < 1000 &&
         (!o.discount || (*o.discount >= 0 && *o.discount <= 1));
}
template <class T>
bool bounds_hold(const std::optional<T>& o) { return !o || bounds_hold(*o); }
template <class T>
bool bounds_hold(const T&) { return true; }

template <class T>
void check_model(const char* model, std::string_view input) {
  T value{};
  Errors errors;
  const bool ok = strata::router::decode(input, value, errors);
  if (ok != errors.empty()) violation(model, "decode()'s result disagrees with its errors", input, "");
  if (!ok) {
    std::string body;
    errors.to_json(body);
    if (!JsonChecker(body).ok()) violation(model, "the 422 body is not valid JSON", input, body);
    return;
  }
  Errors again;
  if (!strata::router::validate(value, again, {"body"})) {
    std::string body;
    again.to_json(body);
    violation(model, "a decoded value fails validate()", input, body);
  }
  if (!bounds_hold(value)) violation(model, "a decoded value is outside its declared bounds", input, "");
  if (!finite(value)) return;
  std::string first;
  strata::router::encode(value, first);
  T second{};
  Errors round;
  if (!strata::router::decode(first, second, round)) {
    std::string body = first + "\n";
    round.to_json(body);
    violation(model, "the encoding of a decoded value does not decode", input, body);
  }
  std::string reencoded;
  strata::router::encode(second, reencoded);
  if (reencoded != first) violation(model, "encode/decode/encode is not stable", input, first + "\n" + reencoded);
}

// Tiers 1-3's decoder: strict types, unknown fields ignored. What it accepts
// must encode to JSON it accepts again, with the same fields.
void check_workload_user(std::string_view input) {
  static strata::workload::UserEndpoint endpoint;
  strata::workload::User user;
  std::string reason;
  if (!endpoint.decode(input, user, reason)) {
    if (reason.empty()) violation("workload::User", "decode failed without a reason", input, "");
    return;
  }
  std::string first;
  strata::workload::encode(user, first);
  strata::workload::User second;
  if (!endpoint.decode(first, second, reason)) violation("workload::User", "its own encoding does not decode", input, first + "\n" + reason);
  std::string reencoded;
  strata::workload::encode(second, reencoded);
  if (reencoded != first) violation("workload::User", "encode/decode/encode is not stable", input, first + "\n" + reencoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_model<strata::router::User>("router::User", input);
  check_model<fz::Order>("Order", input);
  check_model<fz::Node>("Node", input);
  check_model<std::optional<fz::Line>>("optional<Line>", input);
  check_model<std::vector<int32_t>>("vector<int32_t>", input);
  check_model<std::map<std::string, double>>("map<string, double>", input);
  check_workload_user(input);
  return 0;
}
