// The value types of router/types.hpp: their grammars (speedate's for dates,
// times and durations, as pydantic v2 uses it), errors, JSON and schemas.
#include "router/types.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include "common/json.hpp"
#include "router/decoder_internal.hpp"
#include "router/model.hpp"

namespace strata::router::detail {

namespace {

using Outcome = std::optional<Violation>;

// A "<type>" error whose msg is `prefix` + reason and whose ctx is {"error": reason}.
Violation parsing(std::string_view type, std::string_view prefix, std::string_view reason) {
  Violation v{type, std::string(prefix), "{\"error\":"};
  v.msg.append(reason);
  json::append_string(v.ctx, reason);
  v.ctx.push_back('}');
  return v;
}

bool digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

void append_digits(std::string& out, uint64_t v, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = n; i < width; ++i) out.push_back('0');
  while (n) out.push_back(buf[--n]);
}

// ---------------------------------------------------------------- speedate's grammar

// speedate's ParseError texts, which pydantic puts in msg and ctx.error.
constexpr std::string_view kTooShort = "input is too short";
constexpr std::string_view kExtra = "unexpected extra characters at the end of the input";

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Two digits at s[i], or -1.
int two(std::string_view s, size_t i) {
  if (i + 1 >= s.size() || !digit(s[i]) || !digit(s[i + 1])) return -1;
  return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

// YYYY-MM-DD at the start of s; a reason when it is not one.
std::optional<std::string_view> date_prefix(std::string_view s, Date& d) {
  if (s.size() < 10) return kTooShort;
  for (size_t i = 0; i < 4; ++i)
    if (!digit(s[i])) return "invalid character in year";
  if (s[4] != '-') return "invalid date separator, expected `-`";
  const int month = two(s, 5);
  if (month < 0) return "invalid character in month";
  if (s[7] != '-') return "invalid date separator, expected `-`";
  const int day = two(s, 8);
  if (day < 0) return "invalid character in day";
  const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  if (month < 1 || month > 12) return "month value is outside expected range of 1-12";
  if (day < 1 || day > days_in_month(year, month)) return "day value is outside expected range";
  d = Date{year, static_cast<uint8_t>(month), static_cast<uint8_t>(day)};
  return std::nullopt;
}

// HH:MM[:SS[.ffffff]][Z|±HH[:MM]] from s[pos]; pos ends past what was read.
// Digits past the sixth of a fraction are dropped, as pydantic's default
// microseconds_precision="truncate" does.
std::optional<std::string_view> time_prefix(std::string_view s, size_t& pos, Time& t) {
  if (s.size() - pos < 5) return kTooShort;
  const int hour = two(s, pos);
  if (hour < 0) return "invalid character in hour";
  if (s[pos + 2] != ':') return "invalid time separator, expected `:`";
  const int minute = two(s, pos + 3);
  if (minute < 0) return "invalid character in minute";
  if (hour > 23) return "hour value is outside expected range of 0-23";
  if (minute > 59) return "minute value is outside expected range of 0-59";
  pos += 5;
  int second = 0;
  uint32_t micro = 0;
  if (pos < s.size() && s[pos] == ':') {
    second = two(s, pos + 1);
    if (second < 0) return "invalid character in second";
    if (second > 59) return "second value is outside expected range of 0-59";  // no leap seconds
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      size_t n = 0;
      while (pos < s.size() && digit(s[pos])) {
        if (n < 6) micro = micro * 10 + static_cast<uint32_t>(s[pos] - '0');
        ++n;
        ++pos;
      }
      if (n == 0) return "second fraction digits missing after `.`";
      for (size_t k = n; k < 6; ++k) micro *= 10;
    }
  }
  t = Time{static_cast<uint8_t>(hour), static_cast<uint8_t>(minute), static_cast<uint8_t>(second), micro, false, 0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
    t.has_offset = true;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    const int oh = two(s, pos + 1);
    if (oh < 0) return "invalid timezone hour";
    pos += 3;
    int om = 0;
    if (pos < s.size() && s[pos] == ':') ++pos;
    if (pos < s.size() && digit(s[pos])) {
      om = two(s, pos);
      if (om < 0) return "invalid timezone minute";
      pos += 2;
    }
    if (om > 59) return "timezone minute value is outside expected range of 0-59";
    if (oh * 60 + om >= 24 * 60) return "timezone offset must be less than 24 hours";
    t.has_offset = true;
    t.offset_seconds = sign * (oh * 3600 + om * 60);
  }
  return std::nullopt;
}

std::optional<std::string_view> datetime_text(std::string_view s, DateTime& dt) {
  if (auto bad = date_prefix(s, dt.date)) return bad;
  dt.time = Time{};
  if (s.size() == 10) return std::nullopt;  // a date alone is midnight, naive (pydantic's lax mode)
  const char sep = s[10];
  if (sep != 'T' && sep != 't' && sep != '_' && sep != ' ')
    return "invalid datetime separator, expected `T`, `t`, `_` or space";
  size_t pos = 11;
  if (auto bad = time_prefix(s, pos, dt.time)) return bad;
  if (pos != s.size()) return kExtra;
  return std::nullopt;
}

constexpr std::string_view kYearZero = "year 0 is out of range";  // Python's date() refuses it

void append_date(std::string& out, const Date& d) {
  append_digits(out, static_cast<uint64_t>(std::max(d.year, 0)), 4);
  out.push_back('-');
  append_digits(out, d.month, 2);
  out.push_back('-');
  append_digits(out, d.day, 2);
}

void append_time(std::string& out, const Time& t) {
  append_digits(out, t.hour, 2);
  out.push_back(':');
  append_digits(out, t.minute, 2);
  out.push_back(':');
  append_digits(out, t.second, 2);
  if (t.microsecond) {
    out.push_back('.');
    append_digits(out, t.microsecond, 6);
  }
  if (!t.has_offset) return;
  if (t.offset_seconds == 0) {
    out.push_back('Z');  // pydantic writes UTC as Z
    return;
  }
  const int32_t off = t.offset_seconds < 0 ? -t.offset_seconds : t.offset_seconds;
  out.push_back(t.offset_seconds < 0 ? '-' : '+');
  append_digits(out, static_cast<uint64_t>(off / 3600), 2);
  out.push_back(':');
  append_digits(out, static_cast<uint64_t>(off % 3600 / 60), 2);
}

// ---------------------------------------------------------------- Date, DateTime, Time

Outcome date_from_string(std::string_view s, void* out) {
  Date& d = *static_cast<Date*>(out);
  // pydantic reads a date, and failing that a datetime at exactly midnight;
  // the error then is the datetime's, as date_from_datetime_parsing.
  if (s.size() == 10 && !date_prefix(s, d)) {
    if (d.year == 0) return parsing("date_parsing", "Input should be a valid date in the format YYYY-MM-DD, ", kYearZero);
    return std::nullopt;
  }
  DateTime dt;
  if (auto bad = datetime_text(s, dt)) return parsing("date_from_datetime_parsing", "Input should be a valid date or datetime, ", *bad);
  if (dt.time.hour || dt.time.minute || dt.time.second || dt.time.microsecond)
    return Violation{"date_from_datetime_inexact",
                     "Datetimes provided to dates should have zero time - e.g. be exact dates", {}};
  if (dt.date.year == 0) return parsing("date_parsing", "Input should be a valid date in the format YYYY-MM-DD, ", kYearZero);
  d = dt.date;
  return std::nullopt;
}

void date_encode(const void* v, std::string& out) {
  out.push_back('"');
  append_date(out, *static_cast<const Date*>(v));
  out.push_back('"');
}

Outcome datetime_from_string(std::string_view s, void* out) {
  DateTime& dt = *static_cast<DateTime*>(out);
  if (auto bad = datetime_text(s, dt)) return parsing("datetime_parsing", "Input should be a valid datetime, ", *bad);
  if (dt.date.year == 0) return parsing("datetime_parsing", "Input should be a valid datetime, ", kYearZero);
  return std::nullopt;
}

void datetime_encode(const void* v, std::string& out) {
  const auto& dt = *static_cast<const DateTime*>(v);
  out.push_back('"');
  append_date(out, dt.date);
  out.push_back('T');
  append_time(out, dt.time);
  out.push_back('"');
}

Outcome time_from_string(std::string_view s, void* out) {
  Time& t = *static_cast<Time*>(out);
  size_t pos = 0;
  std::optional<std::string_view> bad = time_prefix(s, pos, t);
  if (!bad && pos != s.size()) bad = kExtra;
  if (bad) return parsing("time_parsing", "Input should be in a valid time format, ", *bad);
  return std::nullopt;
}

void time_encode(const void* v, std::string& out) {
  out.push_back('"');
  append_time(out, *static_cast<const Time*>(v));
  out.push_back('"');
}

// ---------------------------------------------------------------- TimeDelta

constexpr std::string_view kTooLarge = "a numeric value in the duration is too large";
constexpr std::string_view kDaysTooLarge = "durations may not exceed 999,999,999 days";
constexpr std::string_view kInvalidNumber = "invalid digit in duration";
constexpr uint64_t kU32 = 0xFFFFFFFFu;  // speedate counts in u32: beyond it, "too large"

// An integer and an optional fraction (`.` or `,`) from s[pos].
std::optional<std::string_view> duration_number(std::string_view s, size_t& pos, uint64_t& value,
                                                std::optional<double>& fraction) {
  if (pos >= s.size() || !digit(s[pos])) return kInvalidNumber;
  value = 0;
  while (pos < s.size() && digit(s[pos])) {
    value = value * 10 + static_cast<uint64_t>(s[pos++] - '0');
    if (value > kU32) return kTooLarge;
  }
  fraction.reset();
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    double f = 0, scale = 0.1;
    ++pos;
    while (pos < s.size() && digit(s[pos])) {
      f += (s[pos++] - '0') * scale;
      scale /= 10;
    }
    fraction = f;
  }
  return std::nullopt;
}

// Days, seconds and microseconds (each may overflow its range) into a
// normalised TimeDelta, as speedate's Duration::normalize.
std::optional<std::string_view> normalise(uint64_t day, uint64_t second, uint64_t micro, TimeDelta& d) {
  second += micro / 1'000'000;
  micro %= 1'000'000;
  if (second > kU32) return kTooLarge;
  day += second / 86'400;
  second %= 86'400;
  if (day > kU32) return kTooLarge;
  if (day > 999'999'999) return kDaysTooLarge;
  d.days = static_cast<int64_t>(day);
  d.seconds = static_cast<uint32_t>(second);
  d.microseconds = static_cast<uint32_t>(micro);
  return std::nullopt;
}

std::optional<std::string_view> iso_duration(std::string_view s, size_t pos, TimeDelta& d) {
  bool got_t = false, last_fraction = false;
  uint64_t day = 0, second = 0, micro = 0;
  for (; pos < s.size(); ++pos) {
    if (s[pos] == 'T') {
      if (got_t) return "`t` character repeated in duration";
      got_t = true;
      continue;
    }
    uint64_t value = 0;
    std::optional<double> fraction;
    if (auto bad = duration_number(s, pos, value, fraction)) return bad;
    if (last_fraction) return "quantity fraction invalid in duration";
    last_fraction = fraction.has_value();
    const char unit = pos < s.size() ? s[pos] : '\0';
    uint64_t mult = 0;
    if (got_t) {
      mult = unit == 'H' ? 3600 : unit == 'M' ? 60 : unit == 'S' ? 1 : 0;
      if (!mult) return "quantity invalid in time part of duration";
      second += value * mult;
      if (fraction) {
        const double extra = *fraction * static_cast<double>(mult);
        second += static_cast<uint64_t>(extra);
        micro += static_cast<uint64_t>(std::llround((extra - std::trunc(extra)) * 1e6));
      }
    } else {
      mult = unit == 'Y' ? 365 : unit == 'M' ? 30 : unit == 'W' ? 7 : unit == 'D' ? 1 : 0;
      if (!mult) return "quantity invalid in date part of duration";
      day += value * mult;
      if (fraction) {
        const double extra_days = *fraction * static_cast<double>(mult);
        day += static_cast<uint64_t>(extra_days);
        const double extra_seconds = (extra_days - std::trunc(extra_days)) * 86'400.0;
        second += static_cast<uint64_t>(extra_seconds);
        micro += static_cast<uint64_t>(std::llround((extra_seconds - std::trunc(extra_seconds)) * 1e6));
      }
    }
    if (day > kU32 || second > kU32) return kTooLarge;
  }
  if (s.size() < 3) return kTooShort;  // speedate counts the sign too
  return normalise(day, second, micro, d);
}

// "HH:MM:SS[.f]", "N days[,] HH:MM:SS" and "Nd": speedate's other forms.
std::optional<std::string_view> days_time_duration(std::string_view s, size_t pos, TimeDelta& d) {
  if (pos + 2 < s.size() && s[pos + 2] == ':') {
    Time t;
    if (auto bad = time_prefix(s, pos, t)) return bad;
    if (pos != s.size() || t.has_offset) return kExtra;
    return normalise(0, t.hour * 3600u + t.minute * 60u + t.second, t.microsecond, d);
  }
  constexpr std::string_view kDays = "\"day\" identifier in duration not correctly formatted";
  if (pos >= s.size()) return kTooShort;
  uint64_t day = 0;
  std::optional<double> fraction;
  if (auto bad = duration_number(s, pos, day, fraction)) return bad;
  if (fraction) return kDays;  // speedate reads whole days only: "1.5 days" stops at the '.'
  if (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos >= s.size() || lower(s[pos]) != 'd') return kDays;
  ++pos;
  if (pos < s.size() && lower(s[pos]) == 'a') {
    if (pos + 1 >= s.size() || lower(s[pos + 1]) != 'y') return kDays;
    pos += 2;
    if (pos < s.size() && lower(s[pos]) == 's') ++pos;
  }
  if (pos < s.size() && s[pos] == ',') ++pos;
  if (pos < s.size() && s[pos] == ' ') ++pos;
  if (pos == s.size()) return normalise(day, 0, 0, d);
  Time t;
  if (auto bad = time_prefix(s, pos, t)) return bad;
  if (pos != s.size() || t.has_offset) return kExtra;
  return normalise(day, t.hour * 3600u + t.minute * 60u + t.second, t.microsecond, d);
}

Violation timedelta_error(std::string_view reason) {
  return parsing("time_delta_parsing", "Input should be a valid timedelta, ", reason);
}

Outcome timedelta_from_string(std::string_view s, void* out) {
  TimeDelta d;
  if (s.empty()) return timedelta_error(kTooShort);
  size_t pos = 0;
  if (s[0] == '+' || s[0] == '-') {
    d.negative = s[0] == '-';
    ++pos;
  }
  std::optional<std::string_view> bad =
      pos < s.size() && s[pos] == 'P' ? iso_duration(s, pos + 1, d) : days_time_duration(s, pos, d);
  if (bad) return timedelta_error(*bad);
  if (!d.days && !d.seconds && !d.microseconds) d.negative = false;  // one zero, as Python has
  *static_cast<TimeDelta*>(out) = d;
  return std::nullopt;
}

// A number of seconds, as pydantic reads an int or a float.
Outcome timedelta_from_number(std::string_view, const Num& n, void* out) {
  TimeDelta d;
  if (n.integral) {
    d.negative = n.i < 0;
    const uint64_t mag = n.i < 0 ? 0 - static_cast<uint64_t>(n.i) : static_cast<uint64_t>(n.i);
    if (mag > kU32) return timedelta_error(kTooLarge);
    if (auto bad = normalise(0, mag, 0, d)) return timedelta_error(*bad);
  } else {
    if (!std::isfinite(n.d) || std::fabs(n.d) > static_cast<double>(kU32)) return timedelta_error(kTooLarge);
    d.negative = n.d < 0;
    const double mag = std::fabs(n.d);
    const double whole = std::trunc(mag);
    if (auto bad = normalise(0, static_cast<uint64_t>(whole), static_cast<uint64_t>(std::llround((mag - whole) * 1e6)), d))
      return timedelta_error(*bad);
  }
  if (!d.days && !d.seconds && !d.microseconds) d.negative = false;
  *static_cast<TimeDelta*>(out) = d;
  return std::nullopt;
}

// speedate's Display, which pydantic's ser_json_timedelta="iso8601" uses:
// years of 365 days, then days, then all the seconds (PT90S, not PT1M30S).
void timedelta_encode(const void* v, std::string& out) {
  const auto& d = *static_cast<const TimeDelta*>(v);
  out.push_back('"');
  if (d.negative) out.push_back('-');
  out.push_back('P');
  if (d.days) {
    const auto days = static_cast<uint64_t>(d.days);
    if (days / 365) append_digits(out, days / 365, 1), out.push_back('Y');
    if (days % 365) append_digits(out, days % 365, 1), out.push_back('D');
  }
  if (d.seconds || d.microseconds) {
    out.push_back('T');
    append_digits(out, d.seconds, 1);
    if (d.microseconds) {
      std::string frac;
      append_digits(frac, d.microseconds, 6);
      while (frac.back() == '0') frac.pop_back();
      out.push_back('.');
      out.append(frac);
    }
    out.push_back('S');
  }
  if (!d.days && !d.seconds && !d.microseconds) out.append("T0S");
  out.push_back('"');
}

// ---------------------------------------------------------------- Uuid

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The uuid crate's diagnosis of text it could not parse, in its words.
std::string uuid_reason(std::string_view input) {
  std::string_view s = input;
  size_t offset = 0;
  if (s.substr(0, 9) == "urn:uuid:") s.remove_prefix(9), offset = 9;
  else if (s.size() >= 2 && s.front() == '{' && s.back() == '}') s = s.substr(1, s.size() - 2), offset = 1;
  size_t hyphens = 0;
  size_t bounds[4] = {};
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '-') {
      if (hyphens < 4) bounds[hyphens] = i;
      ++hyphens;
    } else if (hex(s[i]) < 0) {
      // A character, not a byte: a UTF-8 sequence is shown whole, and bytes
      // that are not UTF-8 (a parameter's %FF) as U+FFFD, as Python decodes them.
      size_t len = 1;
      if (c >= 0xF0) len = 4;
      else if (c >= 0xE0) len = 3;
      else if (c >= 0xC0) len = 2;
      bool whole = c < 0x80 || (c >= 0xC2 && c <= 0xF4 && i + len <= s.size());
      for (size_t k = 1; whole && k < len; ++k) whole = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
      std::string r = "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `";
      r.append(whole ? s.substr(i, len) : std::string_view("\xEF\xBF\xBD")).append("` at ");
      append_digits(r, i + offset + 1, 1);
      return r;
    }
  }
  if (hyphens == 0) {
    std::string r = "invalid length: expected length 32 for simple format, found ";
    append_digits(r, input.size(), 1);
    return r;
  }
  if (hyphens != 4) {
    std::string r = "invalid group count: expected 5, found ";
    append_digits(r, hyphens + 1, 1);
    return r;
  }
  static constexpr size_t kStarts[] = {0, 9, 14, 19, 24};
  static constexpr size_t kLens[] = {8, 4, 4, 4, 12};
  size_t group = 4, len = s.size() - kStarts[4];
  for (size_t g = 0; g < 4; ++g) {
    if (bounds[g] != kStarts[g + 1] - 1) {
      group = g;
      len = bounds[g] - (g ? bounds[g - 1] + 1 : 0);
      break;
    }
  }
  std::string r = "invalid group length in group ";
  append_digits(r, group, 1);
  r.append(": expected ");
  append_digits(r, kLens[group], 1);
  r.append(", found ");
  append_digits(r, len, 1);
  return r;
}

Outcome uuid_from_string(std::string_view input, void* out) {
  std::string_view s = input;
  if (s.size() == 45 && s.substr(0, 9) == "urn:uuid:") s.remove_prefix(9);
  else if (s.size() == 38 && s.front() == '{' && s.back() == '}') s = s.substr(1, 36);
  Uuid u;
  bool ok = s.size() == 32 || s.size() == 36;
  size_t k = 0;
  for (size_t i = 0; ok && i < s.size();) {
    if (s.size() == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
      ok = s[i] == '-';
      ++i;
      continue;
    }
    const int hi = hex(s[i]), lo = i + 1 < s.size() ? hex(s[i + 1]) : -1;
    ok = hi >= 0 && lo >= 0 && k < 16;
    if (ok) u.bytes[k++] = static_cast<uint8_t>(hi * 16 + lo);
    i += 2;
  }
  if (!ok || k != 16) {
    const std::string reason = uuid_reason(input);
    return parsing("uuid_parsing", "Input should be a valid UUID, ", reason);
  }
  *static_cast<Uuid*>(out) = u;
  return std::nullopt;
}

void uuid_encode(const void* v, std::string& out) {
  out.push_back('"');
  out.append(static_cast<const Uuid*>(v)->str());
  out.push_back('"');
}

// ---------------------------------------------------------------- Email

// email-validator's reasons, for the checks kept (see types.hpp).
Violation email_error(std::string_view reason) {
  Violation v{"value_error", "value is not a valid email address: ", "{\"reason\":"};
  v.msg.append(reason);
  json::append_string(v.ctx, reason);
  v.ctx.push_back('}');
  return v;
}

bool atext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) ||
         (c != '\0' && std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos);
}

// "'x', 'y'": the distinct offending characters, sorted, as email-validator lists them.
std::string listed(std::string chars) {
  std::sort(chars.begin(), chars.end());
  chars.erase(std::unique(chars.begin(), chars.end()), chars.end());
  std::string out;
  for (char c : chars) {
    if (!out.empty()) out.append(", ");
    out.append("'").push_back(c);
    out.append("'");
  }
  return out;
}

std::string too_many(std::string_view what, size_t n) {
  std::string r(what);
  append_digits(r, n, 1);
  r.append(n == 1 ? " character too many)." : " characters too many).");
  return r;
}

Outcome email_from_string(std::string_view s, void* out) {
  const size_t at = s.rfind('@');
  if (at == std::string_view::npos) return email_error("An email address must have an @-sign.");
  const std::string_view local = s.substr(0, at), domain = s.substr(at + 1);
  if (local.empty()) return email_error("There must be something before the @-sign.");
  if (domain.empty()) return email_error("There must be something after the @-sign.");
  std::string bad;
  for (char c : local)
    if (!atext(c) && c != '.') bad.push_back(c);
  if (!bad.empty()) return email_error("The email address contains invalid characters before the @-sign: " + listed(bad) + ".");
  if (local.size() > 64) return email_error(too_many("The email address is too long before the @-sign (", local.size() - 64));
  if (local.front() == '.') return email_error("An email address cannot start with a period.");
  if (local.back() == '.') return email_error("An email address cannot have a period immediately before the @-sign.");
  if (local.find("..") != std::string_view::npos) return email_error("An email address cannot have two periods in a row.");
  for (char c : domain)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) || c == '-' || c == '.')) bad.push_back(c);
  if (!bad.empty()) return email_error("The part after the @-sign contains invalid characters: " + listed(bad) + ".");
  if (domain.front() == '.') return email_error("An email address cannot have a period immediately after the @-sign.");
  if (domain.back() == '.') return email_error("An email address cannot end with a period.");
  if (domain.find("..") != std::string_view::npos) return email_error("An email address cannot have two periods in a row.");
  if (domain.front() == '-' || domain.find(".-") != std::string_view::npos || domain.find("-.") != std::string_view::npos ||
      domain.back() == '-')
    return email_error("The part after the @-sign is not valid IDNA (a label starts or ends with a hyphen).");
  if (domain.find('.') == std::string_view::npos)
    return email_error("The part after the @-sign is not valid. It should have a period.");
  const std::string_view tld = domain.substr(domain.rfind('.') + 1);
  if (std::all_of(tld.begin(), tld.end(), digit))
    return email_error("The part after the @-sign is not valid. It is not within a valid top-level domain.");
  if (s.size() > 254) return email_error(too_many("The email address is too long (", s.size() - 254));
  std::string& v = static_cast<Email*>(out)->value;
  v.assign(local).push_back('@');
  for (char c : domain) v.push_back(lower(c));
  return std::nullopt;
}

void email_encode(const void* v, std::string& out) { json::append_string(out, static_cast<const Email*>(v)->value); }

// ---------------------------------------------------------------- Url

Violation url_error(std::string_view reason) { return parsing("url_parsing", "Input should be a valid URL, ", reason); }

constexpr size_t kMaxUrl = 2083;  // HttpUrl's max_length

void append_escaped(std::string& out, std::string_view part) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : part) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\t' || c == '\n' || c == '\r') continue;  // the URL standard drops them
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '`') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
}

Outcome url_from_string(std::string_view input, void* out) {
  std::string_view s = input;
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  if (s.empty()) return url_error("input is empty");
  if (input.size() > kMaxUrl)
    return Violation{"url_too_long", "URL should have at most 2083 characters", "{\"max_length\":2083}"};
  const size_t colon = s.find(':');
  bool scheme_ok = colon != std::string_view::npos && colon > 0 &&
                   ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'));
  for (size_t i = 1; scheme_ok && i < colon; ++i)
    scheme_ok = std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '+' || s[i] == '-' || s[i] == '.';
  if (!scheme_ok) return url_error("relative URL without a base");
  std::string scheme;
  for (char c : s.substr(0, colon)) scheme.push_back(lower(c));
  if (scheme != "http" && scheme != "https")
    return Violation{"url_scheme", "URL scheme should be 'http' or 'https'", "{\"expected_schemes\":\"'http' or 'https'\"}"};
  std::string_view rest = s.substr(colon + 1);
  while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);
  const size_t end = rest.find_first_of("/?#\\");
  std::string_view authority = rest.substr(0, end);
  const std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  std::string_view userinfo;
  if (const size_t atsign = authority.rfind('@'); atsign != std::string_view::npos) {
    userinfo = authority.substr(0, atsign);
    authority.remove_prefix(atsign + 1);
  }
  std::string_view host = authority, port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return url_error("invalid IPv6 address");
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!port.empty() && port.front() != ':') return url_error("invalid IPv6 address");
    if (!port.empty()) port.remove_prefix(1);
  } else if (const size_t c = host.rfind(':'); c != std::string_view::npos) {
    port = host.substr(c + 1);
    host = host.substr(0, c);
  }
  if (host.empty()) return url_error("empty host");
  for (char c : host) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) return url_error("invalid international domain name");
    if (u <= 0x20 || std::string_view("#%/:<>?@[\\]^|").find(c) != std::string_view::npos) {
      if (host.front() != '[') return url_error("invalid domain character");
    }
  }
  uint32_t port_number = 0;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), digit)) return url_error("invalid port number");
    for (char c : port) port_number = port_number * 10 + static_cast<uint32_t>(c - '0');
    if (port_number > 65535) return url_error("invalid port number");
  }
  std::string& v = static_cast<Url*>(out)->value;
  v = scheme;
  v.append("://");
  if (!userinfo.empty()) {
    append_escaped(v, userinfo);
    v.push_back('@');
  }
  for (char c : host) v.push_back(lower(c));
  const bool default_port = port.empty() || (scheme == "http" && port_number == 80) || (scheme == "https" && port_number == 443);
  if (!default_port) {
    v.push_back(':');
    append_digits(v, port_number, 1);
  }
  if (tail.empty() || tail.front() != '/') v.push_back('/');
  append_escaped(v, tail);
  return std::nullopt;
}

void url_encode(const void* v, std::string& out) { json::append_string(out, static_cast<const Url*>(v)->value); }

// ---------------------------------------------------------------- Decimal

// Python's str(Decimal(text)) for a finite decimal literal; false if `text`
// is not one. Infinity and NaN come back as `special`.
bool decimal_text(std::string_view text, std::string& out, bool& special) {
  std::string_view s = trim_space(text);
  special = false;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string lowered;
  for (char c : s) lowered.push_back(lower(c));
  if (lowered == "inf" || lowered == "infinity" || lowered == "nan" || lowered == "snan") {
    special = true;
    return true;
  }
  std::string digits;
  int64_t exponent = 0;
  size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && digit(s[i])) digits.push_back(s[i++]), ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && digit(s[i])) digits.push_back(s[i++]), ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    if (i >= s.size() || !digit(s[i])) return false;
    int64_t e = 0;
    while (i < s.size() && digit(s[i])) {
      e = e * 10 + (s[i++] - '0');
      if (e > 999'999'999) return false;  // far beyond what anyone means; keeps the arithmetic small
    }
    exponent = eneg ? -e : e;
  }
  if (i != s.size()) return false;
  exponent -= static_cast<int64_t>(frac_digits);
  const size_t nz = digits.find_first_not_of('0');
  digits = nz == std::string::npos ? "0" : digits.substr(nz);
  if (digits.size() > 100'000) return false;

  out.clear();
  if (negative) out.push_back('-');
  const auto n = static_cast<int64_t>(digits.size());
  const int64_t adjusted = exponent + n - 1;
  if (exponent <= 0 && adjusted >= -6) {
    if (exponent == 0) {
      out.append(digits);
    } else if (n > -exponent) {
      out.append(digits, 0, static_cast<size_t>(n + exponent)).push_back('.');
      out.append(digits, static_cast<size_t>(n + exponent));
    } else {
      out.append("0.").append(static_cast<size_t>(-exponent - n), '0').append(digits);
    }
  } else {
    out.push_back(digits[0]);
    if (n > 1) out.append(".").append(digits, 1);
    out.append(adjusted >= 0 ? "E+" : "E-");
    append_digits(out, static_cast<uint64_t>(adjusted >= 0 ? adjusted : -adjusted), 1);
  }
  return true;
}

Outcome decimal_from_string(std::string_view s, void* out) {
  std::string text;
  bool special = false;
  if (!decimal_text(s, text, special)) return Violation{"decimal_parsing", "Input should be a valid decimal", {}};
  if (special) return Violation{"finite_number", "Input should be a finite number", {}};
  static_cast<Decimal*>(out)->value = std::move(text);
  return std::nullopt;
}

Outcome decimal_from_number(std::string_view token, const Num&, void* out) { return decimal_from_string(token, out); }

// pydantic writes a Decimal in JSON as a string.
void decimal_encode(const void* v, std::string& out) {
  json::append_string(out, static_cast<const Decimal*>(v)->value);
}

// ---------------------------------------------------------------- Bytes

Violation base64_error(std::string_view reason) {
  Violation v{"bytes_invalid_encoding", "Data should be valid base64: ", "{\"encoding\":\"base64\",\"encoding_error\":"};
  v.msg.append(reason);
  json::append_string(v.ctx, reason);
  v.ctx.push_back('}');
  return v;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Reasons worded as Rust's base64 crate words them, which pydantic passes on.
Outcome bytes_from_string(std::string_view s, void* out) {
  size_t len = s.size();
  while (len > 0 && s[len - 1] == '=') --len;
  const size_t pad = s.size() - len;
  for (size_t i = 0; i < len; ++i) {
    if (base64_value(s[i]) < 0) {
      std::string r = "Invalid symbol ";
      append_digits(r, static_cast<unsigned char>(s[i]), 1);
      r.append(", offset ");
      append_digits(r, i, 1);
      r.push_back('.');
      return base64_error(r);
    }
  }
  if (len % 4 == 1) {
    std::string r = "Invalid input length: ";
    append_digits(r, s.size(), 1);
    return base64_error(r);
  }
  if (pad && (pad > 2 || (len + pad) % 4 != 0)) return base64_error("Invalid padding");
  std::string& v = static_cast<Bytes*>(out)->value;
  v.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; ++i) {
    acc = (acc << 6) | static_cast<uint32_t>(base64_value(s[i]));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      v.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits && (acc & ((1u << bits) - 1))) {  // leftover bits must be zero: one encoding per value
    std::string r = "Invalid last symbol ";
    append_digits(r, static_cast<unsigned char>(s[len - 1]), 1);
    r.append(", offset ");
    append_digits(r, len - 1, 1);
    r.push_back('.');
    return base64_error(r);
  }
  return std::nullopt;
}

// A parameter's text is the bytes themselves, as FastAPI reads a bytes query.
Outcome bytes_from_param(std::string_view s, void* out) {
  static_cast<Bytes*>(out)->value.assign(s);
  return std::nullopt;
}

// URL-safe and padded, as pydantic's ser_json_bytes="base64".
void bytes_encode(const void* v, std::string& out) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const std::string& b = static_cast<const Bytes*>(v)->value;
  out.push_back('"');
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    const uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(b[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(b[i + 1])) << 8 |
                       static_cast<unsigned char>(b[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(n >> k) & 63]);
  }
  if (const size_t left = b.size() - i) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(b[i])) << 16;
    if (left == 2) n |= static_cast<uint32_t>(static_cast<unsigned char>(b[i + 1])) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(left == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  out.push_back('"');
}

// A value built in C++ is checked by reading it back from its own text:
// the same rules as for input, and the same errors (a Date{2023, 2, 30} is
// date_from_datetime_parsing, as the text "2023-02-30" is).
template <class T, Outcome (*Parse)(std::string_view, void*), void (*Encode)(const void*, std::string&)>
Outcome reread_encoded(const void* v) {
  std::string text;  // a JSON string without escapes: these types write none
  Encode(v, text);
  T back;
  return Parse(std::string_view(text).substr(1, text.size() - 2), &back);
}

template <class T, Outcome (*Parse)(std::string_view, void*)>
Outcome reread_value(const void* v) {
  T back;
  return Parse(static_cast<const T*>(v)->value, &back);
}

}  // namespace

Violation value_error(std::string_view message) {
  // FastAPI renders ctx.error, a ValueError object, through jsonable_encoder,
  // which turns it into {}.
  Violation v{"value_error", "Value error, ", "{\"error\":{}}"};
  v.msg.append(message);
  return v;
}

Violation literal_violation(std::span<const std::string_view> names) {
  Violation v = enum_violation(names);
  v.type = "literal_error";
  return v;
}

// These two are here rather than in model.cpp so that adding them left the
// code generated for the decoder's hot paths there as it was.
Read Decoder::read_literal(od::value v, const Path& at, std::span<const std::string_view> names, size_t& index) {
  const Read r = read_enum(v, at, names, index);
  if (r == Read::invalid) errors_.items().back().type = "literal_error";  // read_enum reported exactly one
  return r;
}

Read Decoder::read_value(od::value v, const Path& at, const ValueKind& kind, void* out) {
  od::json_type t;
  if (!peek(v, t)) return Read::fatal;
  const std::string_view token = v.raw_json_token();
  std::optional<Violation> bad;
  if (t == od::json_type::string) {
    std::string_view s;
    if (auto e = v.get_string().get(s)) return broken(e);
    bad = kind.from_string(s, out);
  } else if (t == od::json_type::number && kind.from_number) {
    Num n{};
    if (read_number(v, n) == Read::fatal) return Read::fatal;
    bad = kind.from_number(trim_space(token), n, out);
  } else {
    return mismatch(v, at, kind.type_error, kind.type_msg) ? Read::invalid : Read::fatal;
  }
  if (bad) {
    report(at, *bad, token);
    return Read::invalid;
  }
  return Read::ok;
}

const ValueKind kDateKind{
    .from_string = date_from_string, .from_number = nullptr, .from_param = nullptr,
    .type_error = "date_type", .type_msg = "Input should be a valid date",
    .encode = date_encode, .check = reread_encoded<Date, date_from_string, date_encode>,
    .schema = R"("type":"string","format":"date")"};
const ValueKind kDateTimeKind{
    .from_string = datetime_from_string, .from_number = nullptr, .from_param = nullptr,
    .type_error = "datetime_type", .type_msg = "Input should be a valid datetime",
    .encode = datetime_encode, .check = reread_encoded<DateTime, datetime_from_string, datetime_encode>,
    .schema = R"("type":"string","format":"date-time")"};
const ValueKind kTimeKind{
    .from_string = time_from_string, .from_number = nullptr, .from_param = nullptr,
    .type_error = "time_type", .type_msg = "Input should be a valid time",
    .encode = time_encode, .check = reread_encoded<Time, time_from_string, time_encode>,
    .schema = R"("type":"string","format":"time")"};
const ValueKind kTimeDeltaKind{
    .from_string = timedelta_from_string, .from_number = timedelta_from_number, .from_param = nullptr,
    .type_error = "time_delta_type", .type_msg = "Input should be a valid timedelta",
    .encode = timedelta_encode, .check = reread_encoded<TimeDelta, timedelta_from_string, timedelta_encode>,
    .schema = R"("type":"string","format":"duration")"};
const ValueKind kUuidKind{
    .from_string = uuid_from_string, .from_number = nullptr, .from_param = nullptr,
    .type_error = "uuid_type", .type_msg = "UUID input should be a string, bytes or UUID object",
    .encode = uuid_encode, .check = nullptr,  // any 16 bytes are a UUID
    .schema = R"("type":"string","format":"uuid")"};
const ValueKind kEmailKind{
    .from_string = email_from_string, .from_number = nullptr, .from_param = nullptr,
    .type_error = "string_type", .type_msg = "Input should be a valid string",  // EmailStr is a str first
    .encode = email_encode, .check = reread_value<Email, email_from_string>,
    .schema = R"("type":"string","format":"email")"};
const ValueKind kUrlKind{
    .from_string = url_from_string, .from_number = nullptr, .from_param = nullptr,
    .type_error = "url_type", .type_msg = "URL input should be a string or URL",
    .encode = url_encode, .check = reread_value<Url, url_from_string>,
    .schema = R"("type":"string","format":"uri","minLength":1,"maxLength":2083)"};
const ValueKind kDecimalKind{
    .from_string = decimal_from_string, .from_number = decimal_from_number, .from_param = nullptr,
    .type_error = "decimal_type", .type_msg = "Decimal input should be an integer, float, string or Decimal object",
    .encode = decimal_encode, .check = reread_value<Decimal, decimal_from_string>,
    .schema = R"("anyOf":[{"type":"number"},{"type":"string"}])"};
const ValueKind kBytesKind{
    .from_string = bytes_from_string, .from_number = nullptr, .from_param = bytes_from_param,
    .type_error = "bytes_type", .type_msg = "Input should be a valid bytes",
    .encode = bytes_encode, .check = nullptr,  // any bytes are bytes
    .schema = R"("type":"string","format":"base64url")"};

}  // namespace strata::router::detail

namespace strata::router {

std::string Uuid::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

}  // namespace strata::router
