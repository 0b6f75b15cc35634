// Results as text cells, their conversions, and the URL helpers.
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>

#include "db/db.hpp"

namespace strata::db {

// ------------------------------------------------------------------ Rows

void Rows::add_cell(const char* data, size_t len, bool null) {
  if (data_.size() + len > UINT32_MAX) throw Error("result larger than 4 GiB");
  cells_.push_back({static_cast<uint32_t>(data_.size()), static_cast<uint32_t>(len), null});
  if (len) data_.append(data, len);
}

int Rows::find(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == name) return static_cast<int>(i);
  return -1;
}

size_t Row::size() const { return rows_->columns_.size(); }

size_t Row::column(std::string_view name) const {
  const int c = rows_->find(name);
  if (c < 0) throw Error("result has no column '" + std::string(name) + "'");
  return static_cast<size_t>(c);
}

bool Row::is_null(size_t col) const {
  if (col >= size()) throw Error("column index " + std::to_string(col) + " out of range");
  return rows_->cells_[index_ * size() + col].null;
}

std::string_view Row::text(size_t col) const {
  if (col >= size()) throw Error("column index " + std::to_string(col) + " out of range");
  const Rows::Cell& c = rows_->cells_[index_ * size() + col];
  return std::string_view(rows_->data_).substr(c.offset, c.length);
}

// ------------------------------------------------------------------ conversions

namespace detail {

namespace {
[[noreturn]] void bad(std::string_view text, std::string_view column, const char* what) {
  std::string shown(text.substr(0, 64));
  throw Error("column " + std::string(column) + ": '" + shown + "' is not " + what);
}
}  // namespace

void throw_null(std::string_view column) {
  throw Error("column " + std::string(column) + " is NULL; read it into a std::optional");
}

void convert(std::string_view text, int64_t& out, std::string_view column) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) bad(text, column, "an integer");
}

void convert(std::string_view text, uint64_t& out, std::string_view column) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) bad(text, column, "an unsigned integer");
}

void convert(std::string_view text, double& out, std::string_view column) {
  // PostgreSQL spells the specials as words; from_chars takes inf/nan.
  if (text == "Infinity") { out = HUGE_VAL; return; }
  if (text == "-Infinity") { out = -HUGE_VAL; return; }
  if (text == "NaN") { out = std::nan(""); return; }
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) bad(text, column, "a number");
}

void convert(std::string_view text, bool& out, std::string_view column) {
  // PostgreSQL: t/f; SQLite keeps booleans as 0/1.
  if (text == "t" || text == "1" || text == "true") out = true;
  else if (text == "f" || text == "0" || text == "false") out = false;
  else bad(text, column, "a boolean");
}

// "YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|+HH[:MM]|-HH[:MM]]": PostgreSQL's
// timestamp/timestamptz output and ISO 8601 text in SQLite. No zone: UTC.
void convert(std::string_view text, std::chrono::system_clock::time_point& out, std::string_view column) {
  auto num = [&](size_t at, size_t n, int& v) {
    if (at + n > text.size()) return false;
    const auto r = std::from_chars(text.data() + at, text.data() + at + n, v);
    return r.ec == std::errc() && r.ptr == text.data() + at + n;
  };
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (!num(0, 4, y) || text[4] != '-' || !num(5, 2, mo) || text[7] != '-' || !num(8, 2, d))
    bad(text, column, "a timestamp");
  size_t i = 10;
  int64_t micros = 0;
  int offset_s = 0;
  if (i < text.size()) {
    if ((text[i] != ' ' && text[i] != 'T') || !num(i + 1, 2, h) || text[i + 3] != ':' || !num(i + 4, 2, mi) ||
        text[i + 6] != ':' || !num(i + 7, 2, s))
      bad(text, column, "a timestamp");
    i += 9;
    if (i < text.size() && text[i] == '.') {
      int digits = 0;
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
        if (digits++ < 6) micros = micros * 10 + (text[i] - '0');
      for (; digits < 6; ++digits) micros *= 10;
    }
    if (i < text.size()) {
      if (text[i] == 'Z' && i + 1 == text.size()) {
      } else if (text[i] == '+' || text[i] == '-') {
        int oh = 0, om = 0;
        if (!num(i + 1, 2, oh)) bad(text, column, "a timestamp");
        size_t j = i + 3;
        if (j < text.size() && text[j] == ':') ++j;
        if (j < text.size() && (!num(j, 2, om) || j + 2 != text.size())) bad(text, column, "a timestamp");
        if (j >= text.size() && j != i + 3) bad(text, column, "a timestamp");
        offset_s = (oh * 3600 + om * 60) * (text[i] == '-' ? -1 : 1);
      } else {
        bad(text, column, "a timestamp");
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) bad(text, column, "a timestamp");
  using namespace std::chrono;
  const year_month_day ymd = year{y} / month{static_cast<unsigned>(mo)} / std::chrono::day{static_cast<unsigned>(d)};
  if (!ymd.ok()) bad(text, column, "a timestamp");
  out = time_point_cast<system_clock::duration>(sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} + microseconds{micros} -
                                                seconds{offset_s});
}

}  // namespace detail

// ------------------------------------------------------------------ URLs

std::string redact_url(std::string_view url) {
  std::string out(url);
  // scheme://user:PASSWORD@host
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t auth_start = scheme + 3;
    const size_t end = out.find_first_of("/?#", auth_start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at > auth_start) {
      const size_t colon = out.find(':', auth_start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  // ...?password=SECRET&...
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    if (p > 0 && out[p - 1] != '?' && out[p - 1] != '&' && out[p - 1] != ' ') continue;
    const size_t v = p + 9;
    const size_t e = out.find_first_of("& #", v);
    out.replace(v, (e == std::string::npos ? out.size() : e) - v, "***");
  }
  return out;
}

std::optional<std::string> sqlite_path(std::string_view url) {
  // As SQLAlchemy reads them: sqlite:///rel.db, sqlite:////abs.db,
  // sqlite:// and sqlite:///:memory: for a database in memory.
  if (!url.starts_with("sqlite://")) return std::nullopt;
  std::string_view rest = url.substr(9);
  if (rest.empty()) return std::string(":memory:");
  if (rest.front() != '/') return std::nullopt;  // sqlite://host/... has no meaning
  rest.remove_prefix(1);
  if (rest.empty()) return std::string(":memory:");
  return std::string(rest);
}

}  // namespace strata::db
