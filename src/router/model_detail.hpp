// Implementation of router/model.hpp: the reflection-driven templates. The
// parts that do not depend on a model's type (the JSON walking, the
// number/string/bool rules, error rendering) live in model.cpp, which walks
// the type tables built here.
#pragma once

#include <array>
#include <limits>
#include <span>

#include <boost/core/type_name.hpp>
#include <boost/describe.hpp>
#include <boost/mp11.hpp>

#include "common/json.hpp"

namespace strata::router::detail {

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

// What the decoder needs to know about a C++ type, as data. The JSON walking
// lives in model.cpp, once, against these tables; an application's unit
// builds the tables of its models at compile time and never includes
// simdjson (most of what a typed app would otherwise compile, and a copy of
// the walker per model). Every table is constant-initialized: no start-up
// code, no guard on the request path.
struct ModelInfo;

struct TypeInfo {
  enum class Kind : uint8_t { boolean, integer, floating, string, enumeration, literal, value, optional, list, map, model };
  Kind kind = Kind::boolean;
  uint8_t size = 0;        // integer and floating: sizeof the C++ type (float, double, long double)
  int64_t lo = 0, hi = 0;  // integer: the C++ type's range
  std::span<const std::string_view> names = {};  // enumeration, literal: the accepted strings
  const ValueKind* value = nullptr;              // value
  const TypeInfo* inner = nullptr;               // optional, list, map: the element's type
  const ModelInfo* model = nullptr;              // model
  // enumeration, literal: *out = choice i.
  void (*set_choice)(void* out, size_t i) = nullptr;
  // optional: reset; list, map: clear.
  void (*clear)(void* out) = nullptr;
  // optional: engages *out if it is not, and returns the value; list: appends
  // a value-initialized element and returns it (null for std::vector<bool>,
  // whose elements have no address: push_bool instead).
  void* (*element)(void* out) = nullptr;
  void (*push_bool)(void* out, bool b) = nullptr;
  // map: assigns a value-initialized item to `key` and returns it.
  void* (*entry)(void* out, std::string_view key) = nullptr;
  // list, map: the number of items.
  size_t (*count)(const void* out) = nullptr;
};

// One member of a model, as JSON sees it.
struct FieldInfo {
  std::string_view name;  // the alias, if any
  const TypeInfo* type;
  void* (*member)(void* model);
  Check (*check)();  // null: no constraints
  std::optional<std::string> (*validator)(const void* member);  // null: none
};

struct ModelInfo {
  std::string_view (*name)();
  std::span<const FieldInfo> fields;  // declaration order
  bool forbid_extra;
  size_t validators;  // model validators, run in order by validate(i, model)
  std::optional<std::string> (*validate)(size_t i, const void* model);
};

// The tables, one per type. Static data members rather than constexpr
// variables: a table refers to others by address only, so a recursive model
// (a Node holding std::vector<Node>) needs no table before its own.
template <class T>
struct TypeTable {
  static const TypeInfo info;
};

template <class T, class D>
void* member_of(void* model) {
  return &(static_cast<T*>(model)->*D::pointer);
}

template <class T, class D>
std::optional<std::string> run_field_validator(const void* member) {
  using M = typename FieldCheck<T, D::pointer>::Member;
  return FieldOf<T, D>::validator(*static_cast<const M*>(member));
}

template <class T, class D>
constexpr FieldInfo field_info() {
  using M = typename FieldCheck<T, D::pointer>::Member;
  FieldInfo f{FieldOf<T, D>::name, &TypeTable<M>::info, &member_of<T, D>, nullptr, nullptr};
  if constexpr (FieldCheck<T, D::pointer>::any) f.check = &FieldCheck<T, D::pointer>::get;
  if constexpr (FieldOf<T, D>::validator != nullptr) f.validator = &run_field_validator<T, D>;
  return f;
}

template <class T>
std::optional<std::string> run_model_validator(size_t i, const void* model) {
  return model_traits<T>::model_validators[i](*static_cast<const T*>(model));
}

template <class T>
struct ModelTable {
  static_assert(rules_name_described_members<T>(), "model_traits<T>::fields names a member T does not describe");
  template <template <class...> class L, class... D>
  static constexpr std::array<FieldInfo, sizeof...(D)> fields_of(L<D...>*) {
    return {field_info<T, D>()...};
  }
  static constexpr std::array<FieldInfo, mp::mp_size<Members<T>>::value> fields =
      fields_of(static_cast<Members<T>*>(nullptr));
  static const ModelInfo info;
};

template <class T>
constexpr ModelInfo model_info() {
  ModelInfo m{&model_name<T>, ModelTable<T>::fields, forbid_extra<T>(), 0, nullptr};
  if constexpr (has_model_validators<T>()) {
    m.validators = std::size(model_traits<T>::model_validators);
    m.validate = &run_model_validator<T>;
  }
  return m;
}

template <class T>
constexpr TypeInfo type_info() {
  using K = TypeInfo::Kind;
  TypeInfo t;
  if constexpr (is_optional<T>) {
    using U = typename T::value_type;
    t.kind = K::optional;
    t.inner = &TypeTable<U>::info;
    t.clear = [](void* out) { static_cast<T*>(out)->reset(); };
    t.element = [](void* out) -> void* {
      T& o = *static_cast<T*>(out);
      if (!o) o.emplace();
      return &*o;
    };
  } else if constexpr (std::is_same_v<T, bool>) {
    t.kind = K::boolean;
  } else if constexpr (is_integer<T>) {
    static_assert(!std::is_same_v<T, uint64_t>, "uint64_t fields are not supported (use int64_t)");
    t.kind = K::integer;
    t.size = sizeof(T);
    t.lo = static_cast<int64_t>(std::numeric_limits<T>::min());
    t.hi = static_cast<int64_t>(std::numeric_limits<T>::max());
  } else if constexpr (std::is_floating_point_v<T>) {
    t.kind = K::floating;
    t.size = sizeof(T);
  } else if constexpr (std::is_same_v<T, std::string>) {
    t.kind = K::string;
  } else if constexpr (is_enum<T>) {
    t.kind = K::enumeration;
    t.names = EnumInfo<T>::names;
    t.set_choice = [](void* out, size_t i) { *static_cast<T*>(out) = EnumInfo<T>::values[i]; };
  } else if constexpr (is_value_type<T>) {
    t.kind = K::value;
    t.value = value_kind<T>;
  } else if constexpr (is_one_of<T>) {
    t.kind = K::literal;
    t.names = T::choices;
    t.set_choice = [](void* out, size_t i) { *static_cast<T*>(out) = T(i); };
  } else if constexpr (is_vector<T>) {
    using U = typename T::value_type;
    t.kind = K::list;
    t.inner = &TypeTable<U>::info;
    t.clear = [](void* out) { static_cast<T*>(out)->clear(); };
    if constexpr (std::is_same_v<U, bool>) {
      t.push_bool = [](void* out, bool b) { static_cast<T*>(out)->push_back(b); };
    } else {
      t.element = [](void* out) -> void* { return &static_cast<T*>(out)->emplace_back(); };
    }
    t.count = [](const void* out) { return static_cast<const T*>(out)->size(); };
  } else if constexpr (is_map<T>) {
    using U = typename T::mapped_type;
    t.kind = K::map;
    t.inner = &TypeTable<U>::info;
    t.clear = [](void* out) { static_cast<T*>(out)->clear(); };
    t.entry = [](void* out, std::string_view key) -> void* {
      return &static_cast<T*>(out)->insert_or_assign(std::string(key), U{}).first->second;
    };
    t.count = [](const void* out) { return static_cast<const T*>(out)->size(); };
  } else if constexpr (is_model<T>) {
    t.kind = K::model;
    t.model = &ModelTable<T>::info;
  } else {
    static_assert(always_false<T>, "unsupported field type (see router/model.hpp)");
  }
  return t;
}

template <class T>
constinit const TypeInfo TypeTable<T>::info = type_info<T>();
template <class T>
constinit const ModelInfo ModelTable<T>::info = model_info<T>();

// Decodes `json` as `type` into *out (router::decode(), in model.cpp).
bool decode_as(std::string_view json, const TypeInfo& type, void* out, Errors& errors, std::string_view root);

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
  return detail::decode_as(json, detail::TypeTable<T>::info, &out, errors, root);
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
