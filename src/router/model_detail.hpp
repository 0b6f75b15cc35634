// Implementation of router/model.hpp: the reflection-driven templates. The
// parts that do not depend on a model's type (the JSON walking, the
// number/string/bool rules, error rendering) live in model.cpp.
#pragma once

#include <array>
#include <limits>
#include <span>

#include <boost/core/type_name.hpp>
#include <boost/describe.hpp>
#include <boost/mp11.hpp>
#include <simdjson.h>

#include "common/json.hpp"

namespace strata::router::detail {

namespace od = simdjson::ondemand;
namespace bd = boost::describe;
namespace mp = boost::mp11;

// ---------------------------------------------------------------- type kinds

template <class T>
inline constexpr bool always_false = false;

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_map = false;
template <class T, class C, class A>
inline constexpr bool is_map<std::map<std::string, T, C, A>> = true;

template <class T>
inline constexpr bool is_model = bd::has_describe_members<T>::value;

template <class T>
inline constexpr bool is_enum = std::is_enum_v<T> && bd::has_describe_enumerators<T>::value;

template <class T>
inline constexpr bool is_integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// Whether decode/encode take T, checked one level deep (a model's own fields
// are checked where they are used): what lets a route refuse an
// undescribed struct with one error that says what to do, before the
// decoder's own static_asserts are instantiated.
template <class T>
constexpr bool is_json_value() {
  if constexpr (is_optional<T>) return is_json_value<typename T::value_type>();
  else if constexpr (is_vector<T>) return is_json_value<typename T::value_type>();
  else if constexpr (is_map<T>) return is_json_value<typename T::mapped_type>();
  else
    return std::is_same_v<T, bool> || (is_integer<T> && !std::is_same_v<T, uint64_t>) ||
           std::is_floating_point_v<T> || std::is_same_v<T, std::string> || is_enum<T> || is_model<T> ||
           is_value_type<T> || is_one_of<T>;
}

template <class T>
using Members = bd::describe_members<T, bd::mod_public | bd::mod_inherited>;

template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};

// A distinct address per type, to tell two models with one name apart.
template <class T>
inline constexpr char type_tag = 0;

// ---------------------------------------------------------------- traits

template <class T>
constexpr bool forbid_extra() {
  if constexpr (requires { model_traits<T>::forbid_extra; }) return model_traits<T>::forbid_extra;
  else return false;
}

template <class P>
struct member_pointer;
template <class C, class M>
struct member_pointer<M C::*> {
  using rule = FieldRule<C, M>;
};

// The rule of member `Ptr` of model T (no constraints, alias or validator
// if model_traits<T>::fields has none for it).
template <class T, auto Ptr>
constexpr auto rule_for() {
  using Rule = typename member_pointer<std::remove_cv_t<decltype(Ptr)>>::rule;
  Rule out{Ptr, {}};
  if constexpr (requires { model_traits<T>::fields; }) {
    std::apply(
        [&](const auto&... rule) {
          (
              [&] {
                if constexpr (std::is_same_v<decltype(rule.member), decltype(Ptr)>)
                  if (rule.member == Ptr) out = rule;
              }(),
              ...);
        },
        model_traits<T>::fields);
  }
  return out;
}

template <class T, auto Ptr>
constexpr Constraints constraints_for() {
  return rule_for<T, Ptr>().constraints;
}

constexpr bool plain_name(std::string_view s) {
  for (char c : s)
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  return true;
}

// Member descriptor D of model T as JSON sees it: its name (the alias, if
// any) and its validator.
template <class T, class D>
struct FieldOf {
  static constexpr auto rule = rule_for<T, D::pointer>();
  static constexpr std::string_view name = rule.alias.empty() ? std::string_view(D::name) : rule.alias;
  static_assert(plain_name(name), "an alias must not need JSON escaping");
  static constexpr auto validator = rule.validator;
};

template <class T>
constexpr bool has_model_validators() {
  return requires { model_traits<T>::model_validators; };
}

template <class T, class P>
constexpr bool is_described_member(P ptr) {
  bool found = false;
  mp::mp_for_each<Members<T>>([&](auto D) {
    if constexpr (std::is_same_v<std::remove_cv_t<decltype(decltype(D)::pointer)>, P>)
      if (decltype(D)::pointer == ptr) found = true;
  });
  return found;
}

template <class T>
constexpr bool rules_name_described_members() {
  if constexpr (requires { model_traits<T>::fields; }) {
    return std::apply([](const auto&... rule) { return (is_described_member<T>(rule.member) && ...); },
                      model_traits<T>::fields);
  } else {
    return true;
  }
}

// A compiled pattern (a std::regex, kept out of this header). Compiled once
// per field and never freed: it lives as long as the model's description.
struct Pattern;
const Pattern* compile_pattern(std::string_view pattern);
bool pattern_found(const Pattern& p, std::string_view s);  // std::regex_search

// What one field's validation needs at run time: its constraints (null when
// there are none) and its compiled pattern (null when it has none).
struct Check {
  const Constraints* c = nullptr;
  const Pattern* pattern = nullptr;
};

template <class T, auto Ptr>
struct FieldCheck {
  static constexpr Constraints c = constraints_for<T, Ptr>();
  static constexpr bool any = c.min_length || c.max_length || c.ge || c.gt || c.le || c.lt || !c.pattern.empty();

  using Member = std::remove_cvref_t<decltype(std::declval<T&>().*Ptr)>;
  using V = typename unwrap_optional<Member>::type;
  static_assert(!(c.min_length || c.max_length) || std::is_same_v<V, std::string> || is_vector<V> || is_map<V>,
                "min_length/max_length apply to strings, vectors and maps");
  static_assert(!(c.ge || c.gt || c.le || c.lt) || is_integer<V> || std::is_floating_point_v<V>,
                "ge/gt/le/lt apply to numbers");
  static_assert(c.pattern.empty() || std::is_same_v<V, std::string>, "pattern applies to strings");

  static Check get() {
    if constexpr (!any) {
      return {};
    } else if constexpr (c.pattern.empty()) {
      return {&c, nullptr};
    } else {
      static const Pattern* const pattern = compile_pattern(c.pattern);
      return {&c, pattern};
    }
  }
};

// ---------------------------------------------------------------- shared rules (model.cpp)

// A location as a chain of frames on the C++ stack: free to build while all
// goes well, turned into a Loc only when an error is reported.
struct Path {
  enum Kind : uint8_t { none, key, index };
  Path() = default;
  Path(const Path* parent, std::string_view k) : up(parent), name(k), kind(key) {}
  Path(const Path* parent, size_t i) : up(parent), pos(i), kind(index) {}
  const Path* up = nullptr;
  std::string_view name;
  size_t pos = 0;
  Kind kind = none;
};

// A number as read: exact when it fits an int64, a double otherwise.
struct Num {
  bool integral;
  int64_t i;
  double d;
  static Num of(int64_t v) { return {true, v, static_cast<double>(v)}; }
  static Num of(double v) { return {false, 0, v}; }
};

struct Violation {
  std::string_view type;
  std::string msg;
  std::string ctx;
};

// pydantic's lax readings of text, shared by JSON strings and by path,
// query, header and cookie parameters (router/params.hpp).
bool parse_int_string(std::string_view s, Num& n);
bool parse_float_string(std::string_view s, double& d);
bool parse_bool_string(std::string_view s, bool& out);

std::optional<Violation> check_string(std::string_view s, Check chk);
std::optional<Violation> check_number(const Num& n, const Constraints* c);
std::optional<Violation> check_length(size_t n, const Constraints* c, std::string_view field_type);
std::optional<Violation> check_range(const Num& n, int64_t lo, int64_t hi);
Violation enum_violation(std::span<const std::string_view> names);
// pydantic's error for a Literal: an enum's wording under another type.
Violation literal_violation(std::span<const std::string_view> names);

// How a value type of router/types.hpp is read, written and described.
struct ValueKind {
  // A JSON string -> *out; the Violation when it does not parse.
  std::optional<Violation> (*from_string)(std::string_view s, void* out);
  // A JSON number (its text and its value) -> *out; null: numbers are refused.
  std::optional<Violation> (*from_number)(std::string_view token, const Num& n, void* out);
  // A parameter's text -> *out; null: as from_string.
  std::optional<Violation> (*from_param)(std::string_view s, void* out);
  // What any other JSON value gets (and numbers, without from_number).
  std::string_view type_error, type_msg;
  // Appends the value as JSON.
  void (*encode)(const void* v, std::string& out);
  // Checks a value built in C++ (validate()); null: every value is valid.
  std::optional<Violation> (*check)(const void* v);
  // The members of its inline JSON Schema.
  std::string_view schema;
};

// A field validator's or model validator's refusal.
Violation value_error(std::string_view message);

void add_error(Errors& errors, const Path& at, std::string_view type, std::string msg, std::string input,
               std::string ctx = {});

void append_double(std::string& out, double v);
void append_float(std::string& out, float v);  // shortest for a float: 0.1f prints as 0.1
void append_bound(std::string& out, const Bound& b);
std::string field_title(std::string_view name);
std::string short_type_name(std::string_view full);

template <class E>
struct EnumInfo {
  template <template <class...> class L, class... D>
  static constexpr auto names_of(L<D...>*) {
    return std::array<std::string_view, sizeof...(D)>{std::string_view(D::name)...};
  }
  template <template <class...> class L, class... D>
  static constexpr auto values_of(L<D...>*) {
    return std::array<E, sizeof...(D)>{D::value...};
  }
  static constexpr auto names = names_of(static_cast<bd::describe_enumerators<E>*>(nullptr));
  static constexpr auto values = values_of(static_cast<bd::describe_enumerators<E>*>(nullptr));

  static const std::string_view* name_of(E e) {
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] == e) return &names[i];
    return nullptr;
  }
};

// ---------------------------------------------------------------- decoding

// The outcome of reading one scalar: fatal means the JSON itself is
// malformed, and decoding stops.
enum class Read : uint8_t { ok, invalid, fatal };

// One decode() call: the simdjson document and the error bookkeeping.
class Decoder {
 public:
  Decoder(Errors& errors, std::string_view root);
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Parses `json`; on true, `v` is the root value to read. On false the
  // outcome (missing body, malformed JSON) is already recorded.
  bool open(std::string_view json, od::value& v, bool null_is_missing);
  // Checks that nothing follows the root value, turns a fatal error into
  // json_invalid, and says whether this call added no error.
  bool close(bool ok);
  const Path& root() const { return root_; }

  template <class T>
  bool read(od::value v, T& out, const Path& at, Check chk);

 private:
  template <class T>
  bool read_model(od::value v, T& out, const Path& at);
  template <class U>
  bool read_list(od::value v, std::vector<U>& out, const Path& at, Check chk);
  template <class U>
  bool read_map(od::value v, std::map<std::string, U>& out, const Path& at, Check chk);

  Read read_int(od::value v, const Path& at, Check chk, int64_t lo, int64_t hi, int64_t& out);
  Read read_double(od::value v, const Path& at, Check chk, double& out, bool to_float);
  Read read_bool(od::value v, const Path& at, bool& out);
  Read read_string(od::value v, const Path& at, Check chk, std::string& out);
  Read read_enum(od::value v, const Path& at, std::span<const std::string_view> names, size_t& index);
  // The value types' readers live in types.cpp, out of model.cpp's hot code.
  Read read_literal(od::value v, const Path& at, std::span<const std::string_view> names, size_t& index);
  Read read_value(od::value v, const Path& at, const ValueKind& kind, void* out);
  // Where the raw text of a value read from `token` on ends, for an error's input.
  std::string_view span_from(std::string_view token) {
    const char* end = location();
    return end > token.data() ? std::string_view(token.data(), static_cast<size_t>(end - token.data())) : token;
  }
  Read read_number(od::value& v, Num& n);

  bool fatal(simdjson::error_code e);
  Read broken(simdjson::error_code e) {
    fatal(e);
    return Read::fatal;
  }
  bool peek(od::value& v, od::json_type& t) {
    if (auto e = v.type().get(t)) return fatal(e);
    return true;
  }
  bool take_null(od::value& v);
  // A key without a backslash is its raw bytes (stage 1 has already checked
  // their UTF-8 and control characters): this skips simdjson's unescaping
  // copy and its indirect call, about a tenth of decoding the seed User.
  // Escaped keys are unescaped.
  bool key_of(od::field& f, std::string_view& key) {
    const char* start = f.key().raw();
    const char* end = start;
    while (*end != '"' && *end != '\\') ++end;  // the closing quote is there: stage 1 found it
    if (*end == '"') {
      key = std::string_view(start, static_cast<size_t>(end - start));
      return true;
    }
    if (auto e = f.unescaped_key().get(key)) return fatal(e);
    return true;
  }
  // Consumes `v`, validating it all the way down (simdjson would otherwise
  // skip it unchecked); with `raw`, also returns its text, compacted.
  bool skip(od::value v, std::string* raw = nullptr);
  // Consumes `v` and reports it as the input of an error.
  bool mismatch(od::value v, const Path& at, std::string_view type, std::string_view msg, std::string ctx = {});
  void report(const Path& at, std::string_view type, std::string msg, std::string_view raw_input,
              std::string ctx = {});
  void report(const Path& at, const Violation& v, std::string_view raw_input);
  // Calls a field validator on a value that passed its own checks; `raw` is
  // what the client sent, the input of the error.
  template <class M>
  void run_validator(FieldValidator<M> fn, const M& value, const Path& at, std::string_view raw) {
    if (auto message = fn(value)) report(at, value_error(*message), raw);
  }
  // Where the iterator stands: just past the last value consumed.
  const char* location();
  bool enter();
  void leave() { --depth_; }

  // Declaration order for one model's errors: each field's errors are
  // noted with the field's index, then put in order once the object ends.
  struct Order {
    std::vector<std::pair<size_t, size_t>> marks;  // (first error, field index)
  };
  void note(Order& o, size_t first_error, size_t field);
  void sort(Order& o);
  void report_missing(const Path& at, const char* object_start, std::string& object_text);

  Errors& errors_;
  size_t first_error_;
  Path root_;
  od::document doc_;
  od::array_iterator it_, end_;
  const char* base_ = nullptr;  // the JSON text inside the padded scratch buffer
  size_t len_ = 0;
  std::string_view json_;       // the caller's text, for error positions
  simdjson::error_code fatal_ = simdjson::SUCCESS;
  bool opened_ = false;
  int depth_ = 0;
};

template <class T>
bool Decoder::read(od::value v, T& out, const Path& at, Check chk) {
  if constexpr (is_optional<T>) {
    od::json_type t{};  // set by peek(); initialized so -O1 sees it is
    if (!peek(v, t)) return false;
    if (t == od::json_type::null) {
      out.reset();
      return take_null(v);
    }
    if (!out) out.emplace();
    return read(v, *out, at, chk);
  } else if constexpr (std::is_same_v<T, bool>) {
    return read_bool(v, at, out) != Read::fatal;
  } else if constexpr (is_integer<T>) {
    static_assert(!std::is_same_v<T, uint64_t>, "uint64_t fields are not supported (use int64_t)");
    int64_t n = 0;
    const Read r = read_int(v, at, chk, std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), n);
    if (r == Read::ok) out = static_cast<T>(n);
    return r != Read::fatal;
  } else if constexpr (std::is_floating_point_v<T>) {
    double d = 0;
    const Read r = read_double(v, at, chk, d, std::is_same_v<T, float>);
    if (r == Read::ok) out = static_cast<T>(d);
    return r != Read::fatal;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return read_string(v, at, chk, out) != Read::fatal;
  } else if constexpr (is_enum<T>) {
    size_t i = 0;
    const Read r = read_enum(v, at, EnumInfo<T>::names, i);
    if (r == Read::ok) out = EnumInfo<T>::values[i];
    return r != Read::fatal;
  } else if constexpr (is_value_type<T>) {
    return read_value(v, at, *value_kind<T>, &out) != Read::fatal;
  } else if constexpr (is_one_of<T>) {
    size_t i = 0;
    const Read r = read_literal(v, at, T::choices, i);
    if (r == Read::ok) out = T(i);
    return r != Read::fatal;
  } else if constexpr (is_vector<T>) {
    return read_list(v, out, at, chk);
  } else if constexpr (is_map<T>) {
    return read_map(v, out, at, chk);
  } else if constexpr (is_model<T>) {
    return read_model(v, out, at);
  } else {
    static_assert(always_false<T>, "unsupported field type (see router/model.hpp)");
  }
}

template <class T>
bool Decoder::read_model(od::value v, T& out, const Path& at) {
  static_assert(rules_name_described_members<T>(), "model_traits<T>::fields names a member T does not describe");
  using M = Members<T>;
  constexpr size_t n = mp::mp_size<M>::value;

  od::json_type t{};  // set by peek(); initialized so -O1 sees it is
  if (!peek(v, t)) return false;
  if (t != od::json_type::object) {
    std::string ctx = "{\"class_name\":";
    json::append_string(ctx, model_name<T>());
    ctx.push_back('}');
    std::string msg = "Input should be a valid dictionary or instance of ";
    msg.append(model_name<T>());
    return mismatch(v, at, "model_type", msg, std::move(ctx));
  }
  const char* start = v.raw_json_token().data();
  const size_t model_errors = errors_.size();
  od::object obj;
  if (auto e = v.get_object().get(obj)) return fatal(e);
  if (!enter()) return false;

  std::array<bool, n> seen{};
  Order order;
  for (auto field_result : obj) {
    od::field f;
    if (auto e = std::move(field_result).get(f)) return fatal(e);
    std::string_view key;
    if (!key_of(f, key)) return false;
    const size_t before = errors_.size();
    size_t index = n, i = 0;
    bool ok = true;
    mp::mp_for_each<M>([&](auto D) {
      using Desc = decltype(D);
      using Field = FieldOf<T, Desc>;
      if (index == n && key == Field::name) {
        index = i;
        const Path here(&at, Field::name);
        if constexpr (Field::validator != nullptr) {
          const std::string_view token = f.value().raw_json_token();
          ok = read(f.value(), out.*Desc::pointer, here, FieldCheck<T, Desc::pointer>::get());
          if (ok && errors_.size() == before) run_validator(Field::validator, out.*Desc::pointer, here, span_from(token));
        } else {
          ok = read(f.value(), out.*Desc::pointer, here, FieldCheck<T, Desc::pointer>::get());
        }
      }
      ++i;
    });
    if (!ok) return false;
    if (index < n) {
      seen[index] = true;
    } else if constexpr (forbid_extra<T>()) {
      const Path here(&at, key);
      if (!mismatch(f.value(), here, "extra_forbidden", "Extra inputs are not permitted")) return false;
    } else if (!skip(f.value())) {
      return false;
    }
    if (errors_.size() != before) note(order, before, index);
  }
  leave();

  std::string object_text;  // rendered once, for the "missing" errors' input
  size_t i = 0;
  mp::mp_for_each<M>([&](auto D) {
    using Desc = decltype(D);
    if (!seen[i]) {
      auto& member = out.*Desc::pointer;
      if constexpr (is_optional<std::remove_cvref_t<decltype(member)>>) {
        member.reset();
      } else {
        const size_t before = errors_.size();
        report_missing(Path(&at, FieldOf<T, Desc>::name), start, object_text);
        note(order, before, i);
      }
    }
    ++i;
  });
  sort(order);
  if constexpr (has_model_validators<T>()) {
    if (errors_.size() == model_errors) {  // as pydantic: only a model whose fields all passed
      const std::string_view whole(start, static_cast<size_t>(location() - start));
      for (const ModelValidator<T> fn : model_traits<T>::model_validators)
        if (auto message = fn(out)) report(at, value_error(*message), whole);
    }
  }
  return true;
}

template <class U>
bool Decoder::read_list(od::value v, std::vector<U>& out, const Path& at, Check chk) {
  od::json_type t{};  // set by peek(); initialized so -O1 sees it is
  if (!peek(v, t)) return false;
  if (t != od::json_type::array) return mismatch(v, at, "list_type", "Input should be a valid list");
  const char* start = v.raw_json_token().data();
  od::array arr;
  if (auto e = v.get_array().get(arr)) return fatal(e);
  if (!enter()) return false;
  out.clear();
  size_t i = 0;
  for (auto element : arr) {
    od::value x;
    if (auto e = std::move(element).get(x)) return fatal(e);
    U item{};
    if (!read(x, item, Path(&at, i++), Check{})) return false;
    out.push_back(std::move(item));
  }
  leave();
  if (chk.c)
    if (auto bad = check_length(out.size(), chk.c, "List"))
      report(at, *bad, std::string_view(start, static_cast<size_t>(location() - start)));
  return true;
}

template <class U>
bool Decoder::read_map(od::value v, std::map<std::string, U>& out, const Path& at, Check chk) {
  od::json_type t{};  // set by peek(); initialized so -O1 sees it is
  if (!peek(v, t)) return false;
  if (t != od::json_type::object) return mismatch(v, at, "dict_type", "Input should be a valid dictionary");
  const char* start = v.raw_json_token().data();
  od::object obj;
  if (auto e = v.get_object().get(obj)) return fatal(e);
  if (!enter()) return false;
  out.clear();
  for (auto field_result : obj) {
    od::field f;
    if (auto e = std::move(field_result).get(f)) return fatal(e);
    std::string_view key;
    if (!key_of(f, key)) return false;
    U item{};
    if (!read(f.value(), item, Path(&at, key), Check{})) return false;
    out.insert_or_assign(std::string(key), std::move(item));
  }
  leave();
  if (chk.c)
    if (auto bad = check_length(out.size(), chk.c, "Dictionary"))
      report(at, *bad, std::string_view(start, static_cast<size_t>(location() - start)));
  return true;
}

// ---------------------------------------------------------------- encoding

// `,"name":` for member descriptor D of T, built at compile time, so that a
// member costs one append (C++ identifiers and aliases never need escaping).
template <class T, class D>
struct KeyText {
  static constexpr std::string_view name = FieldOf<T, D>::name;
  static constexpr size_t n = name.size();
  static constexpr std::array<char, n + 4> text = [] {
    std::array<char, n + 4> a{};
    a[0] = ',';
    a[1] = '"';
    for (size_t i = 0; i < n; ++i) a[2 + i] = name[i];
    a[n + 2] = '"';
    a[n + 3] = ':';
    return a;
  }();
};

template <class T>
void encode_value(const T& v, std::string& out) {
  if constexpr (is_optional<T>) {
    if (v) encode_value(*v, out);
    else out.append("null");
  } else if constexpr (std::is_same_v<T, bool>) {
    out.append(v ? "true" : "false");
  } else if constexpr (is_integer<T>) {
    static_assert(!std::is_same_v<T, uint64_t>, "uint64_t fields are not supported (use int64_t)");
    json::append_int(out, static_cast<int64_t>(v));
  } else if constexpr (std::is_same_v<T, float>) {
    append_float(out, v);
  } else if constexpr (std::is_floating_point_v<T>) {
    append_double(out, static_cast<double>(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    json::append_string(out, v);
  } else if constexpr (is_enum<T>) {
    if (const auto* name = EnumInfo<T>::name_of(v)) json::append_string(out, *name);
    else json::append_int(out, static_cast<int64_t>(v));
  } else if constexpr (is_value_type<T>) {
    value_kind<T>->encode(&v, out);
  } else if constexpr (is_one_of<T>) {
    json::append_string(out, v.index < std::size(T::choices) ? v.value() : std::string_view());
  } else if constexpr (is_vector<T>) {
    out.push_back('[');
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out.push_back(',');
      encode_value(static_cast<const typename T::value_type&>(v[i]), out);
    }
    out.push_back(']');
  } else if constexpr (is_map<T>) {
    out.push_back('{');
    bool first = true;
    for (const auto& [key, item] : v) {
      if (!first) out.push_back(',');
      first = false;
      json::append_string(out, key);
      out.push_back(':');
      encode_value(item, out);
    }
    out.push_back('}');
  } else if constexpr (is_model<T>) {
    out.push_back('{');
    bool first = true;
    mp::mp_for_each<Members<T>>([&](auto D) {
      const auto& key = KeyText<T, decltype(D)>::text;
      out.append(key.data() + first, key.size() - first);  // no comma before the first member
      first = false;
      encode_value(v.*decltype(D)::pointer, out);
    });
    out.push_back('}');
  } else {
    static_assert(always_false<T>, "unsupported field type (see router/model.hpp)");
  }
}

// ---------------------------------------------------------------- validating built values

template <class T>
void validate_value(const T& v, Errors& errors, const Path& at, Check chk) {
  auto fail = [&](const Violation& bad) {
    std::string input;
    encode_value(v, input);
    add_error(errors, at, bad.type, bad.msg, std::move(input), bad.ctx);
  };
  if constexpr (is_optional<T>) {
    if (v) validate_value(*v, errors, at, chk);
  } else if constexpr (is_integer<T>) {
    if (chk.c)
      if (auto bad = check_number(Num::of(static_cast<int64_t>(v)), chk.c)) fail(*bad);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (chk.c)
      if (auto bad = check_number(Num::of(static_cast<double>(v)), chk.c)) fail(*bad);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (chk.c)
      if (auto bad = check_string(v, chk)) fail(*bad);
  } else if constexpr (is_enum<T>) {
    if (!EnumInfo<T>::name_of(v)) fail(enum_violation(EnumInfo<T>::names));
  } else if constexpr (is_value_type<T>) {
    if (value_kind<T>->check)
      if (auto bad = value_kind<T>->check(&v)) fail(*bad);
  } else if constexpr (is_one_of<T>) {
    if (v.index >= std::size(T::choices)) fail(literal_violation(T::choices));
  } else if constexpr (is_vector<T>) {
    if (chk.c)
      if (auto bad = check_length(v.size(), chk.c, "List")) fail(*bad);
    for (size_t i = 0; i < v.size(); ++i)
      validate_value(static_cast<const typename T::value_type&>(v[i]), errors, Path(&at, i), Check{});
  } else if constexpr (is_map<T>) {
    if (chk.c)
      if (auto bad = check_length(v.size(), chk.c, "Dictionary")) fail(*bad);
    for (const auto& [key, item] : v) validate_value(item, errors, Path(&at, std::string_view(key)), Check{});
  } else if constexpr (is_model<T>) {
    static_assert(rules_name_described_members<T>(), "model_traits<T>::fields names a member T does not describe");
    const size_t before = errors.size();
    mp::mp_for_each<Members<T>>([&](auto D) {
      using Desc = decltype(D);
      using Field = FieldOf<T, Desc>;
      const Path here(&at, Field::name);
      const size_t field_errors = errors.size();
      validate_value(v.*Desc::pointer, errors, here, FieldCheck<T, Desc::pointer>::get());
      if constexpr (Field::validator != nullptr) {
        if (errors.size() == field_errors)
          if (auto message = Field::validator(v.*Desc::pointer)) {
            const Violation bad = value_error(*message);
            std::string input;
            encode_value(v.*Desc::pointer, input);
            add_error(errors, here, bad.type, bad.msg, std::move(input), bad.ctx);
          }
      }
    });
    if constexpr (has_model_validators<T>()) {
      if (errors.size() == before)
        for (const ModelValidator<T> fn : model_traits<T>::model_validators)
          if (auto message = fn(v)) fail(value_error(*message));
    }
  } else if constexpr (!std::is_same_v<T, bool> && !is_value_type<T>) {
    static_assert(always_false<T>, "unsupported field type (see router/model.hpp)");
  }
}

// ---------------------------------------------------------------- JSON Schema

inline constexpr std::string_view kRefPrefix = "#/components/schemas/";

inline void append_ref(std::string& out, std::string_view name) {
  out.append("\"$ref\":");
  json::append_string(out, std::string(kRefPrefix) + std::string(name));
}

// Writes the members (no braces) of the inline schema of a value of type T
// under constraints `c`; registers referenced models and enums in `reg`.
template <class T>
void schema_members(std::string& out, const Constraints* c, Schemas* reg) {
  auto num = [&](const char* key, const Maybe<Bound>& b) {
    if (!c || !b) return;
    out.append(",\"").append(key).append("\":");
    append_bound(out, *b);
  };
  auto count = [&](const char* key, const Maybe<size_t>& n) {
    if (!c || !n) return;
    out.append(",\"").append(key).append("\":");
    json::append_int(out, static_cast<int64_t>(*n));
  };
  if constexpr (is_optional<T>) {
    if constexpr (is_value_type<typename T::value_type>) {
      // pydantic flattens a nullable anyOf (Decimal's) into one list.
      const std::string_view inner = value_kind<typename T::value_type>->schema;
      if (inner.starts_with("\"anyOf\":[")) {
        out.append(inner.substr(0, inner.size() - 1)).append(",{\"type\":\"null\"}]");
        return;
      }
    }
    out.append("\"anyOf\":[{");
    schema_members<typename T::value_type>(out, c, reg);
    out.append("},{\"type\":\"null\"}]");
  } else if constexpr (std::is_same_v<T, bool>) {
    out.append("\"type\":\"boolean\"");
  } else if constexpr (is_integer<T> || std::is_floating_point_v<T>) {
    out.append(is_integer<T> ? "\"type\":\"integer\"" : "\"type\":\"number\"");
    if (c) {
      num("minimum", c->ge);
      num("exclusiveMinimum", c->gt);
      num("maximum", c->le);
      num("exclusiveMaximum", c->lt);
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    out.append("\"type\":\"string\"");
    if (c) {
      count("minLength", c->min_length);
      count("maxLength", c->max_length);
      if (!c->pattern.empty()) {
        out.append(",\"pattern\":");
        json::append_string(out, c->pattern);
      }
    }
  } else if constexpr (is_enum<T> || is_model<T>) {
    if (reg) reg->add<T>();
    append_ref(out, model_name<T>());
  } else if constexpr (is_value_type<T>) {
    out.append(value_kind<T>->schema);
  } else if constexpr (is_one_of<T>) {
    out.append("\"type\":\"string\",\"enum\":[");
    for (size_t i = 0; i < std::size(T::choices); ++i) {
      if (i) out.push_back(',');
      json::append_string(out, T::choices[i]);
    }
    out.push_back(']');
  } else if constexpr (is_vector<T>) {
    out.append("\"type\":\"array\",\"items\":{");
    schema_members<typename T::value_type>(out, nullptr, reg);
    out.push_back('}');
    if (c) {
      count("minItems", c->min_length);
      count("maxItems", c->max_length);
    }
  } else if constexpr (is_map<T>) {
    out.append("\"type\":\"object\",\"additionalProperties\":{");
    schema_members<typename T::mapped_type>(out, nullptr, reg);
    out.push_back('}');
    if (c) {
      count("minProperties", c->min_length);
      count("maxProperties", c->max_length);
    }
  } else {
    static_assert(always_false<T>, "unsupported field type (see router/model.hpp)");
  }
}

template <class E>
void enum_schema(std::string& out) {
  out.append("{\"title\":");
  json::append_string(out, model_name<E>());
  out.append(",\"type\":\"string\",\"enum\":[");
  for (size_t i = 0; i < EnumInfo<E>::names.size(); ++i) {
    if (i) out.push_back(',');
    json::append_string(out, EnumInfo<E>::names[i]);
  }
  out.append("]}");
}

template <class T>
void model_schema(std::string& out, Schemas* reg) {
  static_assert(rules_name_described_members<T>(), "model_traits<T>::fields names a member T does not describe");
  out.append("{\"title\":");
  json::append_string(out, model_name<T>());
  out.append(",\"type\":\"object\",\"properties\":{");
  std::string required;
  bool first = true;
  mp::mp_for_each<Members<T>>([&](auto D) {
    using Desc = decltype(D);
    using Member = std::remove_cvref_t<decltype(std::declval<T&>().*Desc::pointer)>;
    using Field = FieldCheck<T, Desc::pointer>;
    constexpr std::string_view name = FieldOf<T, Desc>::name;
    if (!first) out.push_back(',');
    first = false;
    json::append_string(out, name);
    out.append(":{");
    schema_members<Member>(out, Field::any ? &Field::c : nullptr, reg);
    if constexpr (is_optional<Member>) out.append(",\"default\":null");
    if constexpr (!is_model<Member> && !is_enum<Member>) {  // a bare $ref takes no siblings, as in pydantic
      out.append(",\"title\":");
      json::append_string(out, field_title(name));
    }
    out.push_back('}');
    if constexpr (!is_optional<Member>) {
      required.append(required.empty() ? "" : ",");
      json::append_string(required, name);
    }
  });
  out.push_back('}');
  if (!required.empty()) out.append(",\"required\":[").append(required).push_back(']');
  if constexpr (forbid_extra<T>()) out.append(",\"additionalProperties\":false");
  out.push_back('}');
}

}  // namespace strata::router::detail

namespace strata::router {

template <class T>
std::string_view model_name() {
  if constexpr (requires { model_traits<T>::name; }) {
    return model_traits<T>::name;
  } else {
    static const std::string name = detail::short_type_name(boost::core::type_name<T>());
    return name;
  }
}

template <class T>
bool decode(std::string_view json, T& out, Errors& errors, std::string_view root) {
  detail::Decoder d(errors, root);
  detail::od::value v;
  if (!d.open(json, v, !detail::is_optional<T>)) return d.close(true);
  return d.close(d.read(v, out, d.root(), {}));
}

template <class T>
bool validate(const T& value, Errors& errors, const Loc& prefix) {
  std::vector<detail::Path> chain;
  chain.reserve(prefix.size() + 1);
  chain.emplace_back();
  for (const auto& item : prefix) {
    if (const auto* key = std::get_if<std::string>(&item)) chain.emplace_back(&chain.back(), std::string_view(*key));
    else chain.emplace_back(&chain.back(), std::get<size_t>(item));
  }
  const size_t before = errors.size();
  detail::validate_value(value, errors, chain.back(), {});
  return errors.size() == before;
}

template <class T>
void encode(const T& value, std::string& out) {
  detail::encode_value(value, out);
}

template <class T>
void schema(std::string& out) {
  if constexpr (detail::is_model<T>) {
    detail::model_schema<T>(out, nullptr);
  } else if constexpr (detail::is_enum<T>) {
    detail::enum_schema<T>(out);
  } else {
    out.push_back('{');
    detail::schema_members<T>(out, nullptr, nullptr);
    out.push_back('}');
  }
}

template <class T>
void Schemas::add() {
  if constexpr (detail::is_optional<T> || detail::is_vector<T>) {
    add<typename T::value_type>();
  } else if constexpr (detail::is_map<T>) {
    add<typename T::mapped_type>();
  } else if constexpr (detail::is_model<T> || detail::is_enum<T>) {
    const std::string_view name = model_name<T>();
    if (!reserve(name, &detail::type_tag<T>)) return;
    std::string json;  // nested models register themselves while this one renders
    if constexpr (detail::is_model<T>) detail::model_schema<T>(json, this);
    else detail::enum_schema<T>(json);
    items_.find(name)->second.json = std::move(json);
  }
}

}  // namespace strata::router
