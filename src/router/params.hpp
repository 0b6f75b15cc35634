// Where a typed handler's arguments come from (tier 4, FastAPI's Path(),
// Query(), Header(), Cookie(), Body() and Depends()).
//
// A handler says where each value comes from and what type it has in its
// parameter list; the name is written once, as a template argument:
//
//   [](Path<"id", int64_t> id, Query<"limit", int, 10> limit,
//      Query<"q", std::optional<std::string>> q, Header<"x-token", std::string> token,
//      Body<Item> item) -> Task<Item> { ... id.value ... *q ... item->name ... }
//
// Each wrapper holds `value` (also reachable with *, -> and an implicit
// conversion to const T&).
//
// Parameters (Path, Query, Header, Cookie) take: bool, integers, double and
// float, std::string, described enums (by enumerator name), the value types
// of router/types.hpp (Date, Uuid, OneOf<...>, ...), std::optional of those, and for Query and Header std::vector of those (a repeated key gives
// the items). A parameter is required unless it is a std::optional (absent:
// nullopt), a std::vector (absent: empty) or has a default. Defaults are
// template arguments too: numbers and enumerators as they are, strings as
// fixed_string{"text"}:
//
//   Query<"page", int, 1>   Query<"sort", Order, Order::asc>   Query<"q", std::string, fixed_string{"all"}>
//
// Constraints are the ones models use (router/model.hpp), written inline
// or named once for several parameters:
//
//   Query<"page", int, 1, Constraints{.ge = 1, .le = 1000}>
//   inline constexpr Constraints kPage{.ge = 1, .le = 1000};
//   Query<"page", int, 1, kPage>
//
// Text is read with pydantic's lax rules, as FastAPI reads it: ints from
// "3" or " +3 ", floats from "1.5" or "inf", bools from true/1/yes/on and
// false/0/no/off (any case). A value that does not convert or breaks a
// constraint is a 422 error at ["path"|"query"|"header"|"cookie", name]
// (and the item index for vectors); a required one that is absent is
// "missing" there, with input null. Header names are matched without
// regard to case; path and query text arrives percent-decoded.
//
// Body<T>: the request body as JSON, decoded into T with router::decode
// (errors at ["body", ...]). It needs a JSON Content-Type, see api.hpp.
//
// Depends<fn>: the value returned by `fn` (a function or a coroutine
// returning Task<R>), whose own parameters are any of the above, solved the
// same way. Solved once per request: every Depends<fn> of one request (in the
// handler or in other dependencies) shares one call. `fn` may throw
// app::HTTPException to answer the request itself.
//
// A dependency whose value cannot be copied (a pooled database connection,
// an open transaction: move-only RAII types) is a resource, FastAPI's
// `yield` dependency: the request keeps it until its response has been
// sent, then destroys it, which is its cleanup. This also happens when the
// handler throws, a 422 ends the request early or the client has gone.
// Depends<fn> then holds a pointer to it (`*d`, `d->`, `d.value`), shared
// by every Depends<fn> of the request.
//
// Form<"name", T, Default, Rule>: a text field of the request's form
// (application/x-www-form-urlencoded or multipart/form-data, read with tier
// 3's Request::form()), FastAPI's Form(). Takes what Query takes, read the
// same way; errors are at ["body", name]. As FastAPI does, an empty value
// counts as absent (the default, or "missing"), and of repeated fields the
// last is read. A request whose Content-Type is neither form type has no
// fields (each required one is "missing", as FastAPI answers); a malformed
// form is a 400 and one over APIConfig::form_limits or the body limit a
// 413, with {"detail": "..."}.
//
// File<"name">: a file part of a multipart form, FastAPI's UploadFile. It
// points at tier 3's app::UploadFile (router::UploadFile is the same type):
// filename(), content_type(), size(), read(), in memory or spooled to an
// unnamed temporary file (app/forms.hpp). The file belongs to the request
// and lives until the response has been sent; a sync handler may read it
// on the pool. Required; missing is "missing" at ["body", name], a text
// field of that name a "value_error". File<"name", std::optional<UploadFile>>
// may be absent (then it is null); File<"name", std::vector<UploadFile>>
// holds every file of that name, at least one.
//
// A handler and its Depends<> read either a Body<T> or a form, not both.
// Form<> and File<> cannot be named in dependency<>() lists (the route would
// not know to read the form); put them in a Depends<fn>'s parameters instead.
//
// app::BackgroundTasks&: FastAPI's BackgroundTasks parameter. Tasks added
// to it run after the response has been sent (app/background.hpp); one
// object per request, shared with the Depends<> that take it too. A handler
// that returns an app::Response with tasks of its own keeps those, as
// FastAPI does. Nothing runs when the request ends in a 422 or an exception.
//
// app::Request&: the tier-3 request, for anything the wrappers do not cover.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "app/forms.hpp"
#include "parser/task.hpp"
#include "router/errors.hpp"
#include "router/model.hpp"

namespace strata::router {

// fixed_string, the names of parameters, is in router/types.hpp.

// The Default argument of a parameter without one.
struct no_default_t {
  constexpr bool operator==(const no_default_t&) const = default;
};
inline constexpr no_default_t no_default{};

inline constexpr Constraints unconstrained{};

// In the order FastAPI lists errors; a form field is part of the body.
enum class Source { path, query, header, cookie, form };

std::string_view source_name(Source s);  // "path", "query", "header", "cookie", "body"

// What every wrapper holds: the value, reachable as `value`, `*`, `->` or
// through an implicit conversion.
template <class T>
struct Holder {
  using value_type = T;
  T value{};
  const T& operator*() const { return value; }
  T& operator*() { return value; }
  const T* operator->() const { return &value; }
  T* operator->() { return &value; }
  operator const T&() const { return value; }  // NOLINT: implicit on purpose
};

template <Source S, fixed_string Name, class T, auto Default, Constraints Rule>
struct Param : Holder<T> {
  static constexpr Source source = S;
  static constexpr std::string_view name() { return Name.view(); }
  static constexpr bool has_default = !std::is_same_v<std::remove_cv_t<decltype(Default)>, no_default_t>;
  static constexpr const Constraints& rule = Rule;  // a template parameter object: static storage
  static T default_value() {
    if constexpr (requires { Default.view(); }) return T(Default.view());
    else return T(Default);
  }
};

template <fixed_string Name, class T, auto Default = no_default, Constraints Rule = Constraints{}>
using Path = Param<Source::path, Name, T, Default, Rule>;
template <fixed_string Name, class T, auto Default = no_default, Constraints Rule = Constraints{}>
using Query = Param<Source::query, Name, T, Default, Rule>;
template <fixed_string Name, class T, auto Default = no_default, Constraints Rule = Constraints{}>
using Header = Param<Source::header, Name, T, Default, Rule>;
template <fixed_string Name, class T, auto Default = no_default, Constraints Rule = Constraints{}>
using Cookie = Param<Source::cookie, Name, T, Default, Rule>;

template <fixed_string Name, class T, auto Default = no_default, Constraints Rule = Constraints{}>
using Form = Param<Source::form, Name, T, Default, Rule>;

template <class T>
struct Body : Holder<T> {};

using UploadFile = app::UploadFile;

namespace detail {
// What a File<> holds, by the form its second argument takes.
template <class T>
struct FileValue {
  static_assert(sizeof(T) == 0,
                "File<name, T>: T is UploadFile, std::optional<UploadFile> or std::vector<UploadFile>");
};
template <>
struct FileValue<UploadFile> {
  static constexpr bool required = true, list = false;
  UploadFile* value = nullptr;  // never null once the handler runs
  UploadFile& operator*() const { return *value; }
  UploadFile* operator->() const { return value; }
};
template <>
struct FileValue<std::optional<UploadFile>> {
  static constexpr bool required = false, list = false;
  UploadFile* value = nullptr;  // null when not sent
  explicit operator bool() const { return value != nullptr; }
  UploadFile& operator*() const { return *value; }
  UploadFile* operator->() const { return value; }
};
template <>
struct FileValue<std::vector<UploadFile>> {
  static constexpr bool required = true, list = true;
  std::vector<UploadFile*> value;  // in the order sent
  auto begin() const { return value.begin(); }
  auto end() const { return value.end(); }
  size_t size() const { return value.size(); }
  UploadFile& operator[](size_t i) const { return *value[i]; }
};
}  // namespace detail

template <fixed_string Name, class T = UploadFile>
struct File : detail::FileValue<T> {
  static constexpr bool is_upload = true;
  static constexpr std::string_view name() { return Name.view(); }
};

namespace detail {

template <class T>
struct function_traits;
template <class R, class... A>
struct function_traits<R (*)(A...)> {
  using result = R;
  using args = std::tuple<A...>;
};
template <class R, class... A>
struct function_traits<R(A...)> : function_traits<R (*)(A...)> {};
template <class C, class R, class... A>
struct function_traits<R (C::*)(A...) const> : function_traits<R (*)(A...)> {};
template <class C, class R, class... A>
struct function_traits<R (C::*)(A...)> : function_traits<R (*)(A...)> {};
template <class F>
  requires requires { &F::operator(); }
struct function_traits<F> : function_traits<decltype(&F::operator())> {};

template <class T>
struct task_value {
  using type = T;
  static constexpr bool is_task = false;
};
template <class T>
struct task_value<Task<T>> {
  using type = T;
  static constexpr bool is_task = true;
};

}  // namespace detail

// What a resource dependency holds: the value lives in the request.
template <class T>
struct ResourceHolder {
  using value_type = T;
  T* value = nullptr;
  T& operator*() const { return *value; }
  T* operator->() const { return value; }
};

// What a dependency returning nothing holds: nothing. It is a guard (FastAPI's
// `def verify_key(...) -> None`): it runs, and its exception ends the request.
struct NoValue {
  using value_type = void;
};

template <class T>
using DependsHolder =
    std::conditional_t<std::is_void_v<T>, NoValue,
                       std::conditional_t<std::is_copy_constructible_v<T>, Holder<T>, ResourceHolder<T>>>;

template <auto Fn>
struct Depends
    : DependsHolder<typename detail::task_value<
          typename detail::function_traits<std::remove_pointer_t<decltype(Fn)>>::result>::type> {
  using traits = detail::function_traits<std::remove_pointer_t<decltype(Fn)>>;
  static constexpr auto function = Fn;
};

// ------------------------------------------------------------------ text -> value

namespace detail {

// Reads one parameter's text into `out` (T: bool, an integer, double, float,
// std::string, a described enum or a router/types.hpp type), checking `rule`; on failure appends the
// error at `at` and returns false.
template <class T>
bool from_text(std::string_view text, T& out, const Constraints* rule, const Pattern* pattern, Errors& errors,
               const Path& at);

bool text_to_int(std::string_view text, int64_t lo, int64_t hi, const Constraints* rule, Errors& errors,
                 const Path& at, int64_t& out);
bool text_to_double(std::string_view text, const Constraints* rule, Errors& errors, const Path& at, double& out);
bool text_to_bool(std::string_view text, Errors& errors, const Path& at, bool& out);
bool text_to_string(std::string_view text, Check check, Errors& errors, const Path& at, std::string& out);
bool text_to_enum(std::string_view text, std::span<const std::string_view> names, Errors& errors, const Path& at,
                  size_t& index, bool literal = false);
bool text_to_value(std::string_view text, const ValueKind& kind, Errors& errors, const Path& at, void* out);

template <class T>
bool from_text(std::string_view text, T& out, const Constraints* rule, const Pattern* pattern, Errors& errors,
               const Path& at) {
  if constexpr (std::is_same_v<T, bool>) {
    return text_to_bool(text, errors, at, out);
  } else if constexpr (is_integer<T>) {
    static_assert(!std::is_same_v<T, uint64_t>, "uint64_t is not supported (see router/model.hpp)");
    int64_t v = 0;
    if (!text_to_int(text, std::numeric_limits<T>::min(), static_cast<int64_t>(std::numeric_limits<T>::max()), rule,
                     errors, at, v))
      return false;
    out = static_cast<T>(v);
    return true;
  } else if constexpr (std::is_floating_point_v<T>) {
    double v = 0;
    if (!text_to_double(text, rule, errors, at, v)) return false;
    out = static_cast<T>(v);
    return true;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return text_to_string(text, {rule, pattern}, errors, at, out);
  } else if constexpr (is_enum<T>) {
    size_t i = 0;
    if (!text_to_enum(text, EnumInfo<T>::names, errors, at, i)) return false;
    out = EnumInfo<T>::values[i];
    return true;
  } else if constexpr (is_value_type<T>) {
    return text_to_value(text, *value_kind<T>, errors, at, &out);
  } else if constexpr (is_one_of<T>) {
    size_t i = 0;
    if (!text_to_enum(text, T::choices, errors, at, i, true)) return false;
    out = T(i);
    return true;
  } else {
    static_assert(always_false<T>, "a path, query, header or cookie parameter must be a scalar (see router/params.hpp)");
  }
}

}  // namespace detail

}  // namespace strata::router
