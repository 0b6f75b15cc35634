#include "app/response.hpp"

#include <charconv>

#include "common/text.hpp"

namespace strata::app {

Response::Response(const Response& o)
    : status_(o.status_), body_(o.body_), media_type_(o.media_type_), headers_(o.headers_), stream_(o.stream_),
      rare_(o.rare_ ? std::make_unique<Rare>(*o.rare_) : nullptr) {
  if (rare_ && o.media_type_.data() == o.rare_->media_type.data()) media_type_ = rare_->media_type;
}

Response& Response::operator=(const Response& o) {
  if (this != &o) *this = Response(o);
  return *this;
}

Response::~Response() = default;

Response::Rare& Response::rare() {
  if (!rare_) rare_ = std::make_unique<Rare>();
  return *rare_;
}

Response& Response::set_media_type(std::string_view type) {
  // The common media types are static strings: keep a view, copy nothing.
  for (std::string_view known : {media::text, media::html, media::json, media::octets}) {
    if (type == known) {
      media_type_ = known;
      return *this;
    }
  }
  if (type.empty()) {
    media_type_ = {};
    return *this;
  }
  Rare& r = rare();
  r.media_type.assign(type);
  media_type_ = r.media_type;
  return *this;
}

Response& Response::header(std::string_view name, std::string_view value) {
  headers_.emplace_back(std::string(name), std::string(value));
  return *this;
}

std::optional<std::string_view> Response::find_header(std::string_view name) const {
  for (const auto& [n, v] : headers_)
    if (text::iequals(n, name)) return std::string_view(v);
  return std::nullopt;
}

Response Response::redirect(std::string_view url, int status) {
  Response r(status, {}, {});
  r.header("location", url);
  return r;
}

Response Response::stream(StreamFn fn, std::string_view media_type, int status) {
  Response r(status, {}, media_type);
  r.stream_ = std::move(fn);
  return r;
}

Response& Response::set_cookie(std::string_view name, std::string_view value, const CookieOptions& o) {
  std::string c;
  c.append(name).push_back('=');
  c.append(value);
  if (o.max_age >= 0) c.append("; Max-Age=").append(std::to_string(o.max_age));
  if (!o.path.empty()) c.append("; Path=").append(o.path);
  if (!o.domain.empty()) c.append("; Domain=").append(o.domain);
  if (o.secure) c.append("; Secure");
  if (o.http_only) c.append("; HttpOnly");
  if (!o.same_site.empty()) c.append("; SameSite=").append(o.same_site);
  headers_.emplace_back("set-cookie", std::move(c));
  return *this;
}

Response& Response::delete_cookie(std::string_view name, std::string_view path) {
  CookieOptions o;
  o.max_age = 0;
  o.path = std::string(path);
  return set_cookie(name, "", o);
}

Response Response::custom(SendFn fn, int status) {
  Response r(status, {}, {});
  r.rare().custom = std::move(fn);
  return r;
}

Task<void> Response::send(http::Send& send, const http::Scope* scope) const {
  if (rare_ && rare_->custom) {
    co_await rare_->custom(scope, send);
    if (rare_->background && !rare_->background->empty()) co_await rare_->background->run();
    co_return;
  }
  // Headers as views into this Response; small responses need no heap.
  constexpr size_t inline_headers = 8;
  http::Header inline_store[inline_headers];
  std::vector<http::Header> heap_store;
  const size_t n = headers_.size() + 2;
  http::Header* hs = inline_store;
  if (n > inline_headers) {
    heap_store.resize(n);
    hs = heap_store.data();
  }
  size_t k = 0;
  const std::string_view type = media_type();
  if (!type.empty()) hs[k++] = {"content-type", type};
  char len[24];
  // RFC 9110 8.6: no Content-Length on 1xx, 204 or 304 responses.
  const bool bodiless = status_ < 200 || status_ == 204 || status_ == 304;
  if (!stream_ && !bodiless) {
    auto r = std::to_chars(len, len + sizeof len, body_.size());
    hs[k++] = {"content-length", {len, static_cast<size_t>(r.ptr - len)}};
  }
  for (const auto& [name, value] : headers_) hs[k++] = {name, value};
  co_await send.start({status_, {hs, k}});
  if (stream_) {
    BodyWriter writer(send);
    co_await stream_(writer);
    co_await send.body({{}, false});
  } else {
    co_await send.body({body_, false});
  }
  if (rare_ && rare_->background && !rare_->background->empty()) co_await rare_->background->run();
}

Response& Response::background(BackgroundTasks tasks) {
  rare().background = std::make_shared<BackgroundTasks>(std::move(tasks));
  return *this;
}

}  // namespace strata::app
