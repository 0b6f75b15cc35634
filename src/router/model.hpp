// Typed models (tier 4, pydantic's BaseModel without a metaclass).
//
// A model is a plain struct described once with Boost.Describe; from that
// description strata decodes JSON into it with full validation, validates a
// value already built, encodes it as compact JSON, and writes its JSON Schema.
//
//   enum class Role { admin, member };
//   BOOST_DESCRIBE_ENUM(Role, admin, member)
//
//   struct User {
//     int64_t id;
//     std::string name;
//     std::optional<std::string> email;
//     Role role;
//     std::vector<std::string> tags;
//   };
//   BOOST_DESCRIBE_STRUCT(User, (), (id, name, email, role, tags))
//
// Options and constraints live next to the model, in a specialization of
// model_traits. Every member is optional; unspecialized models have no
// constraints, ignore unknown fields and take their schema name from the
// C++ type name (namespaces dropped).
//
//   template <> struct strata::router::model_traits<User> {
//     static constexpr std::string_view name = "User";   // components/schemas key
//     static constexpr bool forbid_extra = true;         // pydantic's extra="forbid"
//     static constexpr auto fields = std::tuple{
//         field(&User::id, {.ge = 1}),
//         field(&User::name, {.min_length = 1, .max_length = 50, .pattern = "^[a-z]+$"}),
//         field(&User::tags, {.max_length = 10}),        // a list: number of items
//         field(&User::email, {}, {.alias = "eMail", .validator = not_disposable}),
//     };
//     static constexpr ModelValidator<User> model_validators[] = {admins_have_email};
//   };
//
// Aliases (pydantic's Field(alias=...)): the field is read, written (FastAPI
// serialises by alias), reported in error locations and described in the
// schema under its alias only; the C++ name is then an unknown key.
//
// Validators (pydantic's @field_validator and @model_validator, both in
// mode "after"): plain functions taking the value (a field's, or the whole
// model) by const reference and returning std::optional<std::string>, a
// message to refuse it. A refusal is pydantic's "value_error" with msg
// "Value error, <message>" and ctx {"error": {}} (FastAPI's rendering of
// the ValueError), at the field, or for a model validator at the model's
// location with the whole object as input. As in pydantic, a field
// validator runs only when the field's type and constraints passed, and the
// model validators (in order, all of them) only when every field passed.
// They check, they do not transform: normalise in the handler. validate()
// runs them too.
//
// Field types: bool, signed and unsigned integers up to 64 bits (uint64_t
// excepted; each range-checked against its C++ type), double and float,
// std::string, described enums (their enumerator names, as JSON strings),
// the value types of router/types.hpp (Date, DateTime, Time, TimeDelta, Uuid,
// Email, Url, Decimal, Bytes and OneOf<"a", "b">, pydantic's date ...
// Literal, with pydantic's formats and errors), std::optional<T>, described
// structs (nested models), std::vector<T> and std::map<std::string, T>. Any
// other type is a compile error.
//
// Constraints (Field(...) in pydantic), checked after the type:
//   min_length, max_length  strings: characters (UTF-8 code points);
//                           vectors and maps: number of items
//   ge, gt, le, lt          integers and floating point (ints compare exactly)
//   pattern                 strings: std::regex ECMAScript, *searched* as
//                           pydantic does (anchor it with ^...$ for a full match)
// A constraint on a type it does not apply to is a compile error, and so is a
// rule for a member the model does not describe. On std::optional<T> the
// constraints apply to the T when present; elements of containers are
// unconstrained (use a nested model for that).
//
// Decoding follows pydantic v2 in lax mode, which is how FastAPI validates a
// body: an int field takes 3, 3.0, "3" and true; a float takes numbers,
// numeric strings and booleans; a bool takes true/false, 0/1 and the strings
// pydantic accepts ("yes", "off", ...); strings take only strings. A
// std::optional field may be missing or null (pydantic's `T | None = None`);
// every other field is required. Values out of an integer type's range fail
// as greater_than_equal / less_than_equal with the type's limits as bounds.
// Errors are reported as pydantic does: all of them, in declaration order
// within a model, extra_forbidden last (see errors.hpp for the shape). A
// non-object where a model belongs is pydantic's "model_type" (FastAPI, which
// validates with from_attributes=True, says "model_attributes_type"). A body
// that is not well-formed JSON gives a single json_invalid error instead, as
// in FastAPI: loc ["body", <byte offset>], msg "JSON decode error",
// ctx {"error": "<the reason, worded as Python's json module words it>"}.
// Invalid UTF-8 and nesting deeper than kMaxDepth containers are malformed
// too (FastAPI answers 400 and recurses up to Python's limit instead). The
// root may be any supported type, not only a model.
//
// Contract:
// - decode() copies the input into a thread-local padded buffer, so `json`
//   may be any view (a connection's read buffer) and need not outlive the
//   call. That buffer and the thread's simdjson parser keep the capacity of
//   the largest body decoded on the thread; steady-state decoding of a model
//   without containers allocates only what its std::string fields need.
//   It assigns into `out`: fields absent from the JSON are left as they were,
//   except std::optional ones, which are reset. When it fails, `out` is valid
//   but partially assigned; do not use it.
// - Errors own their strings; nothing refers to the input afterwards.
// - All functions are re-entrant and thread-safe: the parser and scratch
//   buffer are thread-local, traits are compile-time constants, and each
//   pattern is compiled once, on first use, under the C++ static-init guard.
//   An invalid pattern throws std::regex_error at that first use.
// - Nothing else throws except std::bad_alloc (and Schemas::add on a name
//   clash, see below).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "router/errors.hpp"
#include "router/types.hpp"

namespace strata::router {

// A numeric bound: remembers whether it was written as an integer, so that
// integers compare exactly and ctx renders it as pydantic would (0, not 0.0).
struct Bound {
  constexpr Bound() : integral(true), i(0), d(0) {}
  template <class N>
    requires(std::is_arithmetic_v<N> && !std::is_same_v<N, bool>)
  constexpr Bound(N v)  // NOLINT: implicit, so that `.ge = 0` reads naturally
      : integral(std::is_integral_v<N>), i(std::is_integral_v<N> ? static_cast<int64_t>(v) : 0),
        d(static_cast<double>(v)) {}
  bool integral;
  int64_t i;
  double d;
};

// What Constraints holds where std::optional would do: the same reading
// (`if (c.ge)`, `*c.ge`, `c.ge->d`), but with public members only, so that
// Constraints is a structural type and can be written inline as a template
// argument: Query<"limit", int, 10, Constraints{.ge = 1}>.
template <class T>
struct Maybe {
  bool engaged = false;
  T value = {};
  constexpr Maybe() = default;
  template <class U>
    requires(std::is_constructible_v<T, U> && !std::is_same_v<std::remove_cvref_t<U>, Maybe>)
  constexpr Maybe(U&& v)  // NOLINT: implicit, so that `.min_length = 1` reads naturally
      : engaged(true), value(static_cast<T>(v)) {}
  constexpr explicit operator bool() const { return engaged; }
  constexpr const T& operator*() const { return value; }
  constexpr const T* operator->() const { return &value; }
};

// A regular expression's text, held by value for the same reason; up to
// 255 characters (a longer one does not compile).
struct PatternText {
  static constexpr size_t kCapacity = 255;
  char text[kCapacity + 1] = {};
  size_t size = 0;
  constexpr PatternText() = default;
  constexpr PatternText(const char* s) {  // NOLINT: implicit, so that `.pattern = "^[a-z]+$"` reads naturally
    while (s[size] != '\0') {
      if (size == kCapacity) throw "a Constraints pattern is longer than 255 characters";
      text[size] = s[size];
      ++size;
    }
  }
  constexpr bool empty() const { return size == 0; }
  constexpr std::string_view view() const { return {text, size}; }
  constexpr operator std::string_view() const { return view(); }  // NOLINT: implicit on purpose
};

// The constraints of one field; designated initializers name what is set.
struct Constraints {
  Maybe<size_t> min_length = {}, max_length = {};
  Maybe<Bound> ge = {}, gt = {}, le = {}, lt = {};
  PatternText pattern = {};  // empty: none
};

// A field validator (pydantic's @field_validator, mode="after"): sees the
// value once its type and constraints have passed; returns a message to
// refuse it (a "value_error" at the field) or nullopt to accept it.
template <class M>
using FieldValidator = std::optional<std::string> (*)(const M& value);

// A model validator (pydantic's @model_validator(mode="after")): sees the
// whole model once every field has passed; a message is a "value_error" at
// the model's location.
template <class T>
using ModelValidator = std::optional<std::string> (*)(const T& model);

// What a field has besides constraints.
template <class M>
struct FieldOptions {
  // The field's name in JSON (pydantic's Field(alias=...)): decoded, encoded,
  // reported and described under this name. Plain text: no quote, backslash
  // or control character. Empty: the C++ member's name.
  std::string_view alias = {};
  FieldValidator<M> validator = nullptr;
};

template <class C, class M>
struct FieldRule {
  M C::*member;
  Constraints constraints;
  std::string_view alias = {};
  FieldValidator<M> validator = nullptr;
};

// `field(&User::name, {.min_length = 1})`, or with options
// `field(&User::name, {}, {.alias = "userName", .validator = check_name})`:
// one entry of model_traits<T>::fields.
template <class C, class M>
constexpr FieldRule<C, M> field(M C::*member, Constraints constraints = {},
                                FieldOptions<std::type_identity_t<M>> options = {}) {
  return {member, constraints, options.alias, options.validator};
}

// Specialize for a described struct (or enum, for `name`) to set options;
// see the header comment. The primary template sets nothing.
template <class T>
struct model_traits {};

inline constexpr int kMaxDepth = 256;

// The name of a model or enum in components/schemas.
template <class T>
std::string_view model_name();

// Decodes `json` into `out`, appending every validation error to `errors`
// with locations under `root` (none when empty). An empty body is a single
// "missing" error at [root], as is a JSON null for a non-optional T.
// Returns true when no error was added.
template <class T>
bool decode(std::string_view json, T& out, Errors& errors, std::string_view root = "body");

// Checks the constraints, enum and OneOf values, value types (router/types.hpp)
// and validators of a value already built, e.g. a response before it is sent; locations start with `prefix`. The input of
// each error is the offending value encoded as JSON. True when none failed.
template <class T>
bool validate(const T& value, Errors& errors, const Loc& prefix = {"response"});

// Appends `value` as compact JSON: fields in declaration order, nullopt as
// null, enums by name (an enum value without a name as its integer), doubles
// as Python prints them (1.0, not 1; non-finite ones as null).
template <class T>
void encode(const T& value, std::string& out);

// Appends the JSON Schema (2020-12, as OpenAPI 3.1 uses) of T: for a model,
// its object schema with nested models and enums as
// {"$ref": "#/components/schemas/<name>"}; for any other type, its inline schema.
template <class T>
void schema(std::string& out);

// The component schemas of one or more models and of every model and enum
// they reference: what goes under OpenAPI's components/schemas.
class Schemas {
 public:
  // Adds T (if a model or enum) and everything reachable from it. Throws
  // std::logic_error if another type already took T's name.
  template <class T>
  void add();
  // Appends {"<name>": <schema>, ...}, sorted by name.
  void to_json(std::string& out) const;
  // Adds a schema written by hand (a form route's Body_<operationId>).
  // Throws std::logic_error if `name` is taken.
  void add_named(std::string_view name, std::string json);
  bool contains(std::string_view name) const { return items_.find(name) != items_.end(); }

 private:
  struct Item {
    const void* type;  // identity of the C++ type
    std::string json;
  };
  // Registers `name`; false if it is already there (for the same type).
  bool reserve(std::string_view name, const void* type);
  std::map<std::string, Item, std::less<>> items_;
};

}  // namespace strata::router

#include "router/model_detail.hpp"
