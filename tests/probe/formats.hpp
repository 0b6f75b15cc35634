// Independent checkers for the two text formats the probes emit, shared by
// the pure tests (tests/probe) and the black-box tests: the W3C
// Server-Timing header value and Prometheus' text exposition format. They
// follow the specifications, not strata's writer, so they can catch it.
#pragma once

#include <cctype>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace strata::test {

inline bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

struct TimingMetric {
  std::string name;
  double dur = -1;  // -1: no dur parameter
};

// Server-Timing = #server-timing-metric (RFC 9110 list: "," with optional whitespace)
// server-timing-metric = metric-name *( OWS ";" OWS server-timing-param )
// server-timing-param  = param-name OWS "=" OWS param-value ; value: token / quoted-string
// A dur must be a non-negative decimal number.
inline bool parse_server_timing(std::string_view v, std::vector<TimingMetric>& out, std::string& why) {
  size_t i = 0;
  auto ows = [&] {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
  };
  auto token = [&](std::string& t) {
    const size_t start = i;
    while (i < v.size() && is_tchar(v[i])) ++i;
    t.assign(v.substr(start, i - start));
    return !t.empty();
  };
  for (;;) {
    ows();
    TimingMetric m;
    if (!token(m.name)) return why = "expected a metric name at offset " + std::to_string(i), false;
    for (;;) {
      ows();
      if (i >= v.size() || v[i] != ';') break;
      ++i;
      ows();
      std::string pname, pvalue;
      if (!token(pname)) return why = "expected a parameter name at offset " + std::to_string(i), false;
      ows();
      if (i >= v.size() || v[i] != '=') return why = "expected '=' at offset " + std::to_string(i), false;
      ++i;
      ows();
      if (i < v.size() && v[i] == '"') {
        for (++i; i < v.size() && v[i] != '"'; ++i)
          if (v[i] == '\\') ++i;
        if (i >= v.size()) return why = "unterminated quoted string", false;
        ++i;
      } else if (!token(pvalue)) {
        return why = "expected a parameter value at offset " + std::to_string(i), false;
      }
      if (pname == "dur") {
        char* end = nullptr;
        m.dur = std::strtod(pvalue.c_str(), &end);
        if (pvalue.empty() || *end != '\0' || m.dur < 0 || pvalue.find_first_not_of("0123456789.") != std::string::npos)
          return why = "dur is not a non-negative number: '" + pvalue + "'", false;
      }
    }
    out.push_back(m);
    ows();
    if (i == v.size()) return true;
    if (v[i] != ',') return why = "expected ',' at offset " + std::to_string(i), false;
    ++i;
  }
}

// Prometheus text format 0.0.4: every line is empty, a comment ("# HELP
// name text", "# TYPE name counter|gauge|summary|histogram|untyped", or any
// other "#" line), or a sample "name{label="value",...} value [timestamp]".
// Fills `samples` with "name{labels}" -> value. TYPE must come before a
// family's samples and at most once.
inline bool parse_prometheus(std::string_view text, std::map<std::string, double>& samples, std::string& why) {
  auto name_ok = [](std::string_view n) {
    if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
    for (char c : n)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
    return true;
  };
  std::map<std::string, std::string> types;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return why = "the last line does not end with a newline", false;
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++line_no;
    const std::string where = "line " + std::to_string(line_no) + " '" + std::string(line) + "': ";
    if (line.empty()) continue;
    if (line[0] == '#') {
      if (line.rfind("# TYPE ", 0) == 0) {
        const std::string_view rest = line.substr(7);
        const size_t sp = rest.find(' ');
        const std::string name(rest.substr(0, sp));
        const std::string type(sp == std::string_view::npos ? "" : rest.substr(sp + 1));
        if (!name_ok(name)) return why = where + "bad metric name", false;
        if (type != "counter" && type != "gauge" && type != "summary" && type != "histogram" && type != "untyped")
          return why = where + "bad type", false;
        if (types.count(name)) return why = where + "second TYPE for the family", false;
        types[name] = type;
      }
      continue;
    }
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    const std::string name(line.substr(0, i));
    if (!name_ok(name)) return why = where + "bad metric name", false;
    std::string key = name;
    if (i < line.size() && line[i] == '{') {
      const size_t close = line.find('}', i);
      if (close == std::string_view::npos) return why = where + "unterminated labels", false;
      std::string_view labels = line.substr(i + 1, close - i - 1);
      while (!labels.empty()) {
        const size_t eq = labels.find('=');
        if (eq == std::string_view::npos || !name_ok(labels.substr(0, eq)) || eq + 1 >= labels.size() ||
            labels[eq + 1] != '"')
          return why = where + "bad label", false;
        size_t j = eq + 2;
        while (j < labels.size() && labels[j] != '"') j += labels[j] == '\\' ? 2 : 1;
        if (j >= labels.size()) return why = where + "unterminated label value", false;
        labels.remove_prefix(j + 1);
        if (!labels.empty()) {
          if (labels[0] != ',') return why = where + "expected ',' between labels", false;
          labels.remove_prefix(1);
        }
      }
      key.append(line.substr(i, close + 1 - i));
      i = close + 1;
    }
    if (i >= line.size() || line[i] != ' ') return why = where + "expected a space before the value", false;
    std::string_view rest = line.substr(i + 1);
    const size_t sp = rest.find(' ');
    const std::string value(rest.substr(0, sp));
    char* end = nullptr;
    const double d = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') return why = where + "bad value", false;
    // A sample belongs to the family of a TYPE line already seen: its own
    // name, or a summary's or histogram's _sum, _count, _bucket.
    std::string family = name;
    for (const char* suffix : {"_sum", "_count", "_bucket"}) {
      const std::string s = suffix;
      if (!types.count(family) && family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0)
        family = family.substr(0, family.size() - s.size());
    }
    if (!types.count(family)) return why = where + "sample before its family's TYPE", false;
    if (samples.count(key)) return why = where + "duplicate sample", false;
    samples[key] = d;
  }
  return true;
}

}  // namespace strata::test
