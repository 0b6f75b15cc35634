#include "lambda/event.hpp"

#include <simdjson.h>

#include <algorithm>

#include "common/json.hpp"
#include "common/url.hpp"
#include "parser/http1.hpp"

namespace strata::lambda {

namespace dom = simdjson::dom;

namespace {

char lower_ascii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower_ascii);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower_ascii(x) == lower_ascii(y); });
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    if (std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) return false;
  }
  return true;
}

// A header a tier-2 server would have refused to parse must not reach the
// app by another door.
bool is_field_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// The sentence for a field of the wrong type.
std::string wrong_type(std::string_view field, std::string_view expected) {
  return "the event's \"" + std::string(field) + "\" is not " + std::string(expected);
}

// Reads an optional member: absent and null are both "not there".
// Returns false (and fills `error`) when it is there with the wrong type.
bool optional_string(dom::object obj, std::string_view key, std::string_view& out, bool& present,
                     std::string& error) {
  dom::element e;
  present = false;
  if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return true;
  if (e.get_string().get(out) != simdjson::SUCCESS) {
    error = wrong_type(key, "a string");
    return false;
  }
  present = true;
  return true;
}

bool optional_object(dom::object obj, std::string_view key, dom::object& out, bool& present, std::string& error) {
  dom::element e;
  present = false;
  if (obj[key].get(e) != simdjson::SUCCESS || e.is_null()) return true;
  if (e.get_object().get(out) != simdjson::SUCCESS) {
    error = wrong_type(key, "an object");
    return false;
  }
  present = true;
  return true;
}

// {"name": "value", ...} or, multi, {"name": ["v1", "v2"], ...}, each
// value as one pair.
bool read_pairs(dom::object obj, std::string_view field, bool multi, Fields& out, std::string& error) {
  for (auto [key, value] : obj) {
    if (!multi) {
      std::string_view v;
      if (value.get_string().get(v) != simdjson::SUCCESS) {
        error = wrong_type(std::string(field) + "." + std::string(key), "a string");
        return false;
      }
      out.emplace_back(std::string(key), std::string(v));
      continue;
    }
    dom::array values;
    if (value.is_null()) continue;
    if (value.get_array().get(values) != simdjson::SUCCESS) {
      error = wrong_type(std::string(field) + "." + std::string(key), "a list of strings");
      return false;
    }
    for (dom::element item : values) {
      std::string_view v;
      if (item.get_string().get(v) != simdjson::SUCCESS) {
        error = wrong_type(std::string(field) + "." + std::string(key), "a list of strings");
        return false;
      }
      out.emplace_back(std::string(key), std::string(v));
    }
  }
  return true;
}

// The multi-value form when the event has it (API Gateway sends both, and
// the multi-value one is the whole truth), else the single-value one.
bool read_either(dom::object event, std::string_view single, std::string_view multi, Fields& out, bool& had_multi,
                 std::string& error) {
  dom::object obj;
  bool present = false;
  if (!optional_object(event, multi, obj, present, error)) return false;
  had_multi = present;
  if (present) return read_pairs(obj, multi, true, out, error);
  if (!optional_object(event, single, obj, present, error)) return false;
  return !present || read_pairs(obj, single, false, out, error);
}

// A path re-encoded for raw_path: RFC 3986's pchar and '/' kept.
std::string encode_path(std::string_view path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xf]);
    }
  }
  return out;
}

std::string_view string_at(dom::element root, std::string_view pointer) {
  std::string_view s;
  if (root.at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

std::string_view first_header(const Fields& headers, std::string_view lower_name) {
  for (const auto& [n, v] : headers)
    if (n == lower_name) return v;
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Header names and values as JSON strings. HTTP allows any byte above 0x7f
// in a value, JSON only UTF-8: a value that is not UTF-8 goes out with
// those bytes as '?', so the document stays valid and the rest readable.
void append_header_text(std::string& out, std::string_view s) {
  if (simdjson::validate_utf8(s.data(), s.size())) {
    json::append_string(out, s);
    return;
  }
  std::string ascii(s);
  for (char& c : ascii)
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  json::append_string(out, ascii);
}

}  // namespace

std::string_view describe(EventKind kind) {
  switch (kind) {
    case EventKind::rest_v1: return "API Gateway REST (1.0)";
    case EventKind::http_v2: return "API Gateway HTTP API (2.0)";
    case EventKind::alb: return "ALB";
  }
  return "unknown";
}

void append_form_encoded(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xf]);
    }
  }
}

bool parse_event(std::string_view event_json, HttpRequest& out, std::string& error) {
  out = {};
  // One parser per thread: its buffers are reused from one event to the next.
  thread_local dom::parser parser;
  const simdjson::padded_string padded(event_json);
  dom::element root;
  if (auto e = parser.parse(padded).get(root); e != simdjson::SUCCESS) {
    error = std::string("the event is not valid JSON (") + simdjson::error_message(e) + ")";
    return false;
  }
  dom::object event;
  if (root.get_object().get(event) != simdjson::SUCCESS) {
    error = "the event is not a JSON object";
    return false;
  }

  std::string_view version, method, path;
  bool has_version = false, has_method = false, has_path = false;
  if (!optional_string(event, "version", version, has_version, error)) return false;
  dom::element elb;
  const bool is_alb = root.at_pointer("/requestContext/elb").get(elb) == simdjson::SUCCESS;

  Fields headers;
  if (has_version && version == "2.0") {
    out.kind = EventKind::http_v2;
    method = string_at(root, "/requestContext/http/method");
    has_method = !method.empty();
    if (!optional_string(event, "rawPath", path, has_path, error)) return false;
    std::string_view query;
    bool has_query = false;
    if (!optional_string(event, "rawQueryString", query, has_query, error)) return false;
    out.query_string = query;
    dom::object hs;
    bool has_headers = false;
    if (!optional_object(event, "headers", hs, has_headers, error)) return false;
    if (has_headers && !read_pairs(hs, "headers", false, headers, error)) return false;
    // Payload 2.0 moves the Cookie header into a list; the app reads it back
    // as the one header a browser would have sent.
    dom::element cookies;
    if (event["cookies"].get(cookies) == simdjson::SUCCESS && !cookies.is_null()) {
      dom::array list;
      if (cookies.get_array().get(list) != simdjson::SUCCESS) {
        error = wrong_type("cookies", "a list of strings");
        return false;
      }
      std::string joined;
      for (dom::element c : list) {
        std::string_view v;
        if (c.get_string().get(v) != simdjson::SUCCESS) {
          error = wrong_type("cookies", "a list of strings");
          return false;
        }
        if (!joined.empty()) joined += "; ";
        joined += v;
      }
      if (!joined.empty()) headers.emplace_back("cookie", std::move(joined));
    }
    out.client_ip = string_at(root, "/requestContext/http/sourceIp");
  } else {
    if (!optional_string(event, "httpMethod", method, has_method, error)) return false;
    if (!optional_string(event, "path", path, has_path, error)) return false;
    if (!has_method && !has_path) {
      error = "the event is not an API Gateway or ALB HTTP event (no httpMethod, no version 2.0)";
      return false;
    }
    out.kind = is_alb ? EventKind::alb : EventKind::rest_v1;
    if (!read_either(event, "headers", "multiValueHeaders", headers, out.multi_value_headers, error)) return false;
    Fields query;
    bool multi_query = false;
    if (!read_either(event, "queryStringParameters", "multiValueQueryStringParameters", query, multi_query, error))
      return false;
    for (const auto& [k, v] : query) {
      if (!out.query_string.empty()) out.query_string += '&';
      if (out.kind == EventKind::alb) {
        // ALB passes the query as the client sent it, encoding included.
        out.query_string.append(k).append("=").append(v);
      } else {
        append_form_encoded(out.query_string, k);
        out.query_string += '=';
        append_form_encoded(out.query_string, v);
      }
    }
    out.client_ip = string_at(root, "/requestContext/identity/sourceIp");
  }
  if (!has_method || method.empty()) {
    error = "the event has no HTTP method";
    return false;
  }
  if (!has_path || path.empty() || path.front() != '/') {
    error = "the event's path is missing or does not start with '/'";
    return false;
  }
  if (!is_token(method)) {
    error = "the event's HTTP method is not a token";
    return false;
  }
  out.method = method;
  std::transform(out.method.begin(), out.method.end(), out.method.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
  if (out.kind == EventKind::rest_v1) {
    // API Gateway hands over the path decoded.
    out.path = path;
    out.raw_path = encode_path(path);
  } else {
    out.raw_path = path;
    url::percent_decode(path, out.path);
  }

  std::string_view body;
  bool has_body = false;
  if (!optional_string(event, "body", body, has_body, error)) return false;
  bool base64 = false;
  dom::element flag;
  if (event["isBase64Encoded"].get(flag) == simdjson::SUCCESS && !flag.is_null() &&
      flag.get_bool().get(base64) != simdjson::SUCCESS) {
    error = wrong_type("isBase64Encoded", "true or false");
    return false;
  }
  if (base64) {
    if (!base64_decode(body, out.body)) {
      error = "the event's body is not valid base64, though isBase64Encoded is true";
      return false;
    }
  } else {
    out.body = body;
  }

  for (auto& [name, value] : headers) {
    if (!is_token(name) || !is_field_value(value)) {
      error = "the event has a header that HTTP does not allow: \"" + name + "\"";
      return false;
    }
    std::string n = lower(name);
    // The body is whole and decoded: its framing is ours to state.
    if (n == "content-length" || n == "transfer-encoding") continue;
    out.headers.emplace_back(std::move(n), std::move(value));
  }
  if (!out.body.empty()) out.headers.emplace_back("content-length", std::to_string(out.body.size()));
  if (first_header(out.headers, "host").empty()) {
    const std::string_view domain = string_at(root, "/requestContext/domainName");
    if (!domain.empty()) out.headers.emplace_back("host", std::string(domain));
  }
  if (const std::string_view proto = first_header(out.headers, "x-forwarded-proto"); !proto.empty())
    out.scheme = lower(trim(proto));
  if (out.kind == EventKind::alb) {
    const std::string_view forwarded = first_header(out.headers, "x-forwarded-for");
    out.client_ip = trim(forwarded.substr(0, forwarded.find(',')));
  }
  return true;
}

bool is_text_body(std::string_view content_type, std::string_view content_encoding, std::string_view body) {
  if (!content_encoding.empty() && !iequals(trim(content_encoding), "identity")) return false;
  const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  bool textual;
  if (type.empty()) {
    textual = body.empty();
  } else {
    auto ends_with = [&](std::string_view suffix) {
      return type.size() >= suffix.size() && type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    textual = type.starts_with("text/") || type == "application/json" || type == "application/javascript" ||
              type == "application/xml" || type == "application/x-www-form-urlencoded" || ends_with("+json") ||
              ends_with("+xml");
  }
  return textual && simdjson::validate_utf8(body.data(), body.size());
}

std::string format_response(const HttpRequest& request, const HttpResponse& response) {
  std::string out;
  out.reserve(response.body.size() + 256);
  out += "{\"statusCode\":";
  json::append_int(out, response.status);
  if (request.kind == EventKind::alb) {
    std::string description = std::to_string(response.status);
    if (const std::string_view reason = http::reason_phrase(response.status); !reason.empty())
      description.append(" ").append(reason);
    out += ",\"statusDescription\":";
    json::append_string(out, description);
  }

  // Names lower-cased, values grouped by name in order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string_view>>> grouped;
  std::string_view content_type, content_encoding;
  for (const auto& [name, value] : response.headers) {
    std::string n = lower(name);
    if (n == "content-type") content_type = value;
    if (n == "content-encoding") content_encoding = value;
    auto it = std::find_if(grouped.begin(), grouped.end(), [&](const auto& g) { return g.first == n; });
    if (it == grouped.end()) {
      grouped.emplace_back(std::move(n), std::vector<std::string_view>{value});
    } else {
      it->second.push_back(value);
    }
  }
  auto write_single = [&](bool skip_multi, bool skip_cookies) {
    out += ",\"headers\":{";
    bool first = true;
    for (const auto& [name, values] : grouped) {
      if ((skip_multi && values.size() > 1) || (skip_cookies && name == "set-cookie")) continue;
      if (!first) out += ',';
      first = false;
      append_header_text(out, name);
      out += ':';
      if (name == "set-cookie") {
        append_header_text(out, values.back());
        continue;
      }
      std::string joined;
      for (const std::string_view v : values) {
        if (!joined.empty()) joined += ", ";
        joined += v;
      }
      append_header_text(out, joined);
    }
    out += '}';
  };
  auto write_multi = [&](bool only_multi) {
    out += ",\"multiValueHeaders\":{";
    bool first = true;
    for (const auto& [name, values] : grouped) {
      if (only_multi && values.size() < 2) continue;
      if (!first) out += ',';
      first = false;
      append_header_text(out, name);
      out += ":[";
      for (size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        append_header_text(out, values[i]);
      }
      out += ']';
    }
    out += '}';
  };
  switch (request.kind) {
    case EventKind::rest_v1:
      write_single(true, false);
      write_multi(true);
      break;
    case EventKind::http_v2: {
      write_single(false, true);
      out += ",\"cookies\":[";
      bool first = true;
      for (const auto& [name, values] : grouped) {
        if (name != "set-cookie") continue;
        for (const std::string_view v : values) {
          if (!first) out += ',';
          first = false;
          append_header_text(out, v);
        }
      }
      out += ']';
      break;
    }
    case EventKind::alb:
      if (request.multi_value_headers) {
        write_multi(false);
      } else {
        write_single(false, false);
      }
      break;
  }

  const bool text = is_text_body(content_type, content_encoding, response.body);
  out += ",\"body\":";
  json::append_string(out, text ? std::string_view(response.body) : std::string_view(base64_encode(response.body)));
  out += ",\"isBase64Encoded\":";
  out += text ? "false" : "true";
  out += '}';
  return out;
}

std::string format_error(std::string_view message, std::string_view type) {
  std::string out = "{\"errorMessage\":";
  // What an exception says is not promised to be UTF-8; the document must be.
  if (simdjson::validate_utf8(message.data(), message.size())) {
    json::append_string(out, message);
  } else {
    json::append_string(out, "(an error message that is not UTF-8)");
  }
  out += ",\"errorType\":";
  json::append_string(out, type);
  out += '}';
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  size_t padding = 0;
  while (padding < 2 && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++padding;
  }
  // One leftover character holds 6 bits: never a whole byte.
  if (text.size() % 4 == 1) return false;
  if (padding && (text.size() + padding) % 4 != 0) return false;
  out.clear();
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace strata::lambda
