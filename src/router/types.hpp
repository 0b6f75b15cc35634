// Value types for typed models and parameters (tier 4): pydantic's date,
// datetime, time, timedelta, UUID, EmailStr, HttpUrl, Decimal, bytes and
// Literal, as plain C++ values.
//
// Each type works as a model field (router/model.hpp: decode, validate,
// encode, schema) and as a Path/Query/Header/Cookie parameter
// (router/params.hpp), alone or inside std::optional / std::vector. Parsing
// follows pydantic v2 in lax mode (speedate's grammar for dates and times),
// and a failure is pydantic's 422 error: same `type`, `msg` and `ctx`.
//
//   JSON/text in                     C++ value              JSON out              schema
//   "2024-02-29"                     Date                   "2024-02-29"          string, format date
//   "2024-02-29T10:20:30.5+02:00"    DateTime (offset kept) "...T10:20:30.500000+02:00"  format date-time
//   "10:20", "10:20:30.25Z"          Time                   "10:20:00"            format time
//   "P1DT2H", "01:02:03", 90, 1.5    TimeDelta              "P1DT7200S"           format duration
//   "12345678-1234-..."              Uuid                   lowercase, hyphenated format uuid
//   "Ann@Example.COM"                Email (domain lowered) "Ann@example.com"     format email
//   "HTTP://Example.com"             Url (normalised)       "http://example.com/" format uri, minLength 1, maxLength 2083
//   "1.50", 1.50, " 3 "              Decimal (exact text)   "1.50"                anyOf number / string
//   "aGk=" (base64)                  Bytes                  "aGk=" (base64)       format base64url
//   "a"                              OneOf<"a", "b">        "a"                   enum ["a","b"]
//
// TimeDelta is written as speedate writes it for pydantic's
// ser_json_timedelta="iso8601": years of 365 days, days, then all the
// seconds ("PT90S", not "PT1M30S").
//
// Where strata differs from pydantic on purpose (see docs/tier4-typed.md):
// numbers are not read as Unix timestamps for Date/DateTime/Time (pydantic
// accepts them); Email checks ASCII addresses only (no IDNA, no quoted local
// parts); Url takes http and https only, as HttpUrl; Decimal keeps a JSON
// number's text as written (pydantic goes through a float); Bytes are base64
// in JSON (pydantic's val_json_bytes/ser_json_bytes="base64"), standard or
// URL-safe alphabet, padded or not.
//
// Contract: every type is a regular value (copyable, comparable with ==),
// owns its data and holds no pointer into a request. A value built in C++
// may hold what no input would give (Date{2023, 2, 30}, Email{"x"}):
// validate() (response validation) reads it back from its own text and
// reports what input would have got; Uuid and Bytes are always valid. Parsing and printing
// live out of line (types.cpp), so including this header costs little.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::router {

// A string literal usable as a template argument: the names of parameters
// and the choices of OneOf.
template <size_t N>
struct fixed_string {
  char data[N]{};
  constexpr fixed_string(const char (&s)[N]) {  // NOLINT: implicit, so "id" converts
    for (size_t i = 0; i < N; ++i) data[i] = s[i];
  }
  constexpr std::string_view view() const { return {data, N - 1}; }
};

// A calendar date, proleptic Gregorian, years 1 to 9999 (Python's range).
struct Date {
  int32_t year = 1;
  uint8_t month = 1, day = 1;
  auto operator<=>(const Date&) const = default;
};

// A time of day with an optional UTC offset (Python's time and its tzinfo).
struct Time {
  uint8_t hour = 0, minute = 0, second = 0;
  uint32_t microsecond = 0;
  bool has_offset = false;     // false: naive
  int32_t offset_seconds = 0;  // east of UTC; meaningful when has_offset
  auto operator<=>(const Time&) const = default;
};

// A date and a time; naive when time.has_offset is false. Comparison is
// field by field (not instant by instant across offsets).
struct DateTime {
  Date date;
  Time time;
  auto operator<=>(const DateTime&) const = default;
};

// A signed duration, kept as Python's timedelta is read by speedate: a sign,
// whole days (up to 999,999,999), seconds of the day and microseconds.
struct TimeDelta {
  bool negative = false;
  int64_t days = 0;
  uint32_t seconds = 0;       // 0..86399
  uint32_t microseconds = 0;  // 0..999999
  auto operator<=>(const TimeDelta&) const = default;
};

// A UUID as its 16 bytes, in the order they are written.
struct Uuid {
  uint8_t bytes[16]{};
  auto operator<=>(const Uuid&) const = default;
  std::string str() const;  // lowercase, hyphenated
};

// An email address as pydantic's EmailStr normalises it: the local part as
// given, the domain lowercased.
struct Email {
  std::string value;
  auto operator<=>(const Email&) const = default;
};

// An http or https URL, normalised as pydantic's HttpUrl does: scheme and
// host lowercased, the default port dropped, an empty path written "/".
struct Url {
  std::string value;
  auto operator<=>(const Url&) const = default;
};

// A decimal number kept exactly, as Python's str(Decimal) writes it
// ("1.50" stays "1.50", "1e3" becomes "1E+3"); never NaN or infinite.
struct Decimal {
  std::string value;
  auto operator<=>(const Decimal&) const = default;
};

// Raw bytes; base64 in JSON.
struct Bytes {
  std::string value;
  auto operator<=>(const Bytes&) const = default;
};

// One of a fixed set of strings (pydantic's Literal["a", "b"]). Holds the
// index of the choice; value() is the string. Default-constructed, it is the
// first choice.
template <fixed_string... Choices>
struct OneOf {
  static_assert(sizeof...(Choices) > 0, "OneOf needs at least one choice");
  static constexpr std::string_view choices[] = {Choices.view()...};
  size_t index = 0;
  OneOf() = default;
  constexpr OneOf(size_t i) : index(i) {}  // NOLINT: implicit from an index
  // OneOf<"a","b">::of("b"); an unknown string gives the first choice.
  static constexpr OneOf of(std::string_view s) {
    for (size_t i = 0; i < sizeof...(Choices); ++i)
      if (choices[i] == s) return OneOf(i);
    return OneOf(0);
  }
  constexpr std::string_view value() const { return choices[index]; }
  constexpr bool operator==(const OneOf&) const = default;
  constexpr bool operator==(std::string_view s) const { return value() == s; }
};

namespace detail {

// How a value type is read, written and described: defined in model_detail.hpp,
// its instances in types.cpp.
struct ValueKind;

template <class T>
inline constexpr const ValueKind* value_kind = nullptr;

extern const ValueKind kDateKind, kDateTimeKind, kTimeKind, kTimeDeltaKind, kUuidKind, kEmailKind, kUrlKind,
    kDecimalKind, kBytesKind;

template <>
inline constexpr const ValueKind* value_kind<Date> = &kDateKind;
template <>
inline constexpr const ValueKind* value_kind<DateTime> = &kDateTimeKind;
template <>
inline constexpr const ValueKind* value_kind<Time> = &kTimeKind;
template <>
inline constexpr const ValueKind* value_kind<TimeDelta> = &kTimeDeltaKind;
template <>
inline constexpr const ValueKind* value_kind<Uuid> = &kUuidKind;
template <>
inline constexpr const ValueKind* value_kind<Email> = &kEmailKind;
template <>
inline constexpr const ValueKind* value_kind<Url> = &kUrlKind;
template <>
inline constexpr const ValueKind* value_kind<Decimal> = &kDecimalKind;
template <>
inline constexpr const ValueKind* value_kind<Bytes> = &kBytesKind;

// Spelled out rather than `value_kind<T> != nullptr`: with -fsanitize=address
// GCC does not take the address of an extern object as a non-null constant.
template <class T>
inline constexpr bool is_value_type = false;
template <>
inline constexpr bool is_value_type<Date> = true;
template <>
inline constexpr bool is_value_type<DateTime> = true;
template <>
inline constexpr bool is_value_type<Time> = true;
template <>
inline constexpr bool is_value_type<TimeDelta> = true;
template <>
inline constexpr bool is_value_type<Uuid> = true;
template <>
inline constexpr bool is_value_type<Email> = true;
template <>
inline constexpr bool is_value_type<Url> = true;
template <>
inline constexpr bool is_value_type<Decimal> = true;
template <>
inline constexpr bool is_value_type<Bytes> = true;

template <class T>
inline constexpr bool is_one_of = false;
template <fixed_string... C>
inline constexpr bool is_one_of<OneOf<C...>> = true;

}  // namespace detail

}  // namespace strata::router
