#include "router/security.hpp"

#include <array>
#include <cstdint>

#include "app/http_exception.hpp"
#include "common/json.hpp"

namespace strata::router::detail {

std::pair<std::string_view, std::string_view> authorization_scheme_param(const app::Request& req) {
  const std::optional<std::string_view> value = req.header("authorization");
  if (!value) return {};
  const size_t space = value->find(' ');
  if (space == std::string_view::npos) return {*value, {}};
  return {value->substr(0, space), value->substr(space + 1)};
}

std::optional<std::string> api_key(const app::Request& req, Source in, std::string_view name) {
  std::optional<std::string_view> found;
  switch (in) {
    case Source::header: found = req.header(name); break;
    case Source::query: found = req.query(name); break;
    case Source::cookie: found = req.cookie(name); break;
    case Source::path:
    case Source::form: break;
  }
  if (!found || found->empty()) return std::nullopt;  // FastAPI: `if not api_key`
  return std::string(*found);
}

void not_authenticated(int status, std::string_view detail, std::string www_authenticate) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!www_authenticate.empty()) headers.emplace_back("www-authenticate", std::move(www_authenticate));
  throw app::HTTPException(status, std::string(detail), std::move(headers));
}

namespace {

// Python's base64.b64decode(s) without validate=True (CPython's
// a2b_base64, non-strict): characters outside the alphabet are skipped, the
// first complete padding ends the data, and a partial quad without it is
// "Incorrect padding".
std::optional<std::string> b64decode(std::string_view in) {
  static constexpr auto kValue = [] {
    std::array<int8_t, 256> v{};
    v.fill(-1);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < alphabet.size(); ++i) v[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
    return v;
  }();
  std::string out;
  unsigned left = 0;
  int quad = 0, pads = 0;
  for (char c : in) {
    if (c == '=') {
      if (quad >= 2 && quad + ++pads >= 4) return out;
      continue;
    }
    const int v = kValue[static_cast<uint8_t>(c)];
    if (v < 0) continue;
    const auto u = static_cast<unsigned>(v);
    switch (quad) {
      case 0: left = u; break;
      case 1: out.push_back(static_cast<char>((left << 2) | (u >> 4))); left = u & 0xf; break;
      case 2: out.push_back(static_cast<char>(((left << 4) | (u >> 2)) & 0xff)); left = u & 0x3; break;
      case 3: out.push_back(static_cast<char>(((left << 6) | u) & 0xff)); break;
    }
    quad = (quad + 1) % 4;
  }
  if (quad != 0) return std::nullopt;
  return out;
}

}  // namespace

std::optional<HTTPBasicCredentials> basic_credentials(std::string_view param) {
  std::optional<std::string> data = b64decode(param);
  if (!data) return std::nullopt;
  for (char c : *data)
    if (static_cast<unsigned char>(c) > 0x7f) return std::nullopt;  // .decode("ascii")
  const size_t colon = data->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return HTTPBasicCredentials{data->substr(0, colon), data->substr(colon + 1)};
}

std::string api_key_scheme(Source in, std::string_view name) {
  std::string out = R"({"type":"apiKey","in":")";
  out.append(source_name(in)).append(R"(","name":)");
  json::append_string(out, name);
  out.push_back('}');
  return out;
}

std::string oauth2_password_scheme(std::string_view token_url) {
  std::string out = R"({"type":"oauth2","flows":{"password":{"scopes":{},"tokenUrl":)";
  json::append_string(out, token_url);
  out.append("}}}");
  return out;
}

}  // namespace strata::router::detail
