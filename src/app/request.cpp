#include "app/request.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <simdjson.h>

#include "app/http_exception.hpp"
#include "common/text.hpp"
#include "common/url.hpp"

namespace strata::app {

namespace {

using text::iequals;
using text::trim_ows;

}  // namespace

Request::Request(const http::Scope& scope, http::Receive& receive, const PathParams& params, LoopExecutor* executor,
                 size_t max_body_bytes)
    : scope_(scope), receive_(receive), params_(params), executor_(executor), max_body_(max_body_bytes) {}

Request::~Request() {
  // Held values go last-kept first, before the rest of the request.
  while (!held_.empty()) held_.pop_back();
}

void parse_query(std::string_view qs, std::vector<std::pair<std::string, std::string>>& out) {
  while (!qs.empty()) {
    const size_t amp = qs.find('&');
    const std::string_view pair = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view{} : qs.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key, value;
    url::percent_decode(pair.substr(0, eq), key, true);
    if (eq != std::string_view::npos) url::percent_decode(pair.substr(eq + 1), value, true);
    out.emplace_back(std::move(key), std::move(value));
  }
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view item = trim_ows(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    if (trim_ows(item.substr(0, eq)) != name) continue;
    std::string_view v = trim_ows(item.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return std::nullopt;
}

std::string_view Request::path_param(std::string_view name) const {
  const PathParam* p = params_.find(name);
  return p ? p->text : std::string_view{};
}

int64_t Request::path_int(std::string_view name) const {
  const PathParam* p = params_.find(name);
  return p ? p->i : 0;
}

double Request::path_float(std::string_view name) const {
  const PathParam* p = params_.find(name);
  return p ? p->f : 0;
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const http::Header& h : scope_.headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

std::vector<std::string_view> Request::header_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const http::Header& h : scope_.headers)
    if (iequals(h.name, name)) out.push_back(h.value);
  return out;
}

const std::vector<std::pair<std::string, std::string>>& Request::query_params() const {
  if (!query_parsed_) {
    parse_query(scope_.query_string, query_);
    query_parsed_ = true;
  }
  return query_;
}

std::optional<std::string_view> Request::query(std::string_view key) const {
  for (const auto& [k, v] : query_params())
    if (k == key) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> Request::query_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : query_params())
    if (k == key) out.emplace_back(v);
  return out;
}

std::optional<std::string_view> Request::cookie(std::string_view name) const {
  for (const http::Header& h : scope_.headers) {
    if (h.name != "cookie") continue;
    if (auto v = find_cookie(h.value, name)) return v;
  }
  return std::nullopt;
}

std::string Request::client_host() const {
  if (!scope_.client) return {};
  char buf[INET6_ADDRSTRLEN] = {};
  if (scope_.client->ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(scope_.client)->sin_addr, buf, sizeof buf);
  else if (scope_.client->ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(scope_.client)->sin6_addr, buf, sizeof buf);
  return buf;
}

uint16_t Request::client_port() const {
  if (!scope_.client) return 0;
  if (scope_.client->ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(scope_.client)->sin_port);
  if (scope_.client->ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(scope_.client)->sin6_port);
  return 0;
}

Task<std::string_view> Request::body() {
  if (body_read_) co_return body_;
  for (bool first = true;; first = false) {
    http::ReceiveEvent ev = co_await receive_();
    if (ev.type == http::ReceiveEvent::disconnect) throw ClientDisconnect();
    if (body_buf_.size() + ev.bytes.size() > max_body_) throw HTTPException(413, "Request body is too large");
    if (first && !ev.more_body) {
      body_ = ev.bytes;  // arrived whole: use it in place
      break;
    }
    body_buf_.append(ev.bytes);
    if (!ev.more_body) {
      body_ = body_buf_;
      break;
    }
  }
  body_read_ = true;
  co_return body_;
}

Task<std::optional<std::string_view>> Request::stream() {
  if (body_read_) {
    // body() already consumed it: hand it over once, then end.
    if (stream_done_) co_return std::nullopt;
    stream_done_ = true;
    co_return body_;
  }
  if (stream_done_) co_return std::nullopt;
  http::ReceiveEvent ev = co_await receive_();
  if (ev.type == http::ReceiveEvent::disconnect) throw ClientDisconnect();
  streamed_ += ev.bytes.size();
  if (streamed_ > max_body_) throw HTTPException(413, "Request body is too large");
  if (!ev.more_body) stream_done_ = true;
  co_return ev.bytes;
}

Task<simdjson::dom::element> Request::json() {
  const std::string_view b = co_await body();
  if (!json_parser_) json_parser_ = std::make_unique<simdjson::dom::parser>();
  simdjson::dom::element doc;
  if (auto e = json_parser_->parse(b.data(), b.size()).get(doc))
    throw HTTPException(400, std::string("Invalid JSON body: ") + simdjson::error_message(e));
  co_return doc;
}

}  // namespace strata::app
