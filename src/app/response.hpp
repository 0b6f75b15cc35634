// Tier 3's Response: Starlette's Response family over tier 2's send.
//
// A Response is a value: status, media type, headers, cookies and either a
// body or a stream function. send() renders it through http::Send: a known
// body gets a Content-Length; a stream is sent chunked piece by piece. HEAD
// requests are answered without a body by tier 2. Background tasks
// attached to it run after the last byte, inside send().
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/background.hpp"
#include "parser/asgi.hpp"

namespace strata::app {

// Writes pieces of a streaming response; each write may suspend while the
// client is slower than the app.
class BodyWriter {
 public:
  explicit BodyWriter(http::Send& send) : send_(send) {}
  Task<void> write(std::string_view piece) { return send_.body({piece, true}); }

 private:
  http::Send& send_;
};

using StreamFn = std::function<Task<void>(BodyWriter&)>;

struct CookieOptions {
  int max_age = -1;  // seconds; -1 leaves it a session cookie
  std::string path = "/";
  std::string domain;
  bool secure = false;
  bool http_only = false;
  std::string same_site = "lax";  // "strict", "lax", "none" or empty
};

namespace media {
inline constexpr std::string_view text = "text/plain; charset=utf-8";
inline constexpr std::string_view html = "text/html; charset=utf-8";
inline constexpr std::string_view json = "application/json";
inline constexpr std::string_view octets = "application/octet-stream";
}  // namespace media

class Response {
 public:
  Response() = default;
  Response(int status, std::string body, std::string_view media_type = media::text)
      : status_(status), body_(std::move(body)) {
    set_media_type(media_type);
  }
  Response(const Response& o);
  Response& operator=(const Response& o);
  Response(Response&&) noexcept = default;
  Response& operator=(Response&&) noexcept = default;
  ~Response();

  static Response text(std::string body, int status = 200) { return {status, std::move(body), media::text}; }
  static Response html(std::string body, int status = 200) { return {status, std::move(body), media::html}; }
  // `encoded` is JSON already (see common/json.hpp for writing it).
  static Response json(std::string encoded, int status = 200) { return {status, std::move(encoded), media::json}; }
  static Response bytes(std::string body, std::string_view media_type, int status = 200) {
    return {status, std::move(body), media_type};
  }
  static Response redirect(std::string_view url, int status = 307);
  static Response stream(StreamFn fn, std::string_view media_type = media::text, int status = 200);
  static Response empty(int status) { return {status, {}, {}}; }
  // A response that renders itself (FileResponse, staticfiles.hpp): `fn`
  // gets the request's scope, or null when whoever sends the response has
  // none, and does all the sending; headers, media type and body set on
  // the Response are not sent. Background tasks still run after it.
  using SendFn = std::function<Task<void>(const http::Scope* scope, http::Send& send)>;
  static Response custom(SendFn fn, int status = 200);

  int status() const { return status_; }
  Response& status(int s) { status_ = s; return *this; }
  const std::string& body() const { return body_; }
  std::string_view media_type() const { return media_type_; }
  // Copies the value; empty means no Content-Type header.
  Response& set_media_type(std::string_view type);
  Response& header(std::string_view name, std::string_view value);
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  std::optional<std::string_view> find_header(std::string_view name) const;  // case-insensitive
  Response& set_cookie(std::string_view name, std::string_view value, const CookieOptions& options = {});
  Response& delete_cookie(std::string_view name, std::string_view path = "/");
  bool streaming() const { return static_cast<bool>(stream_); }
  // Work to run once this response has been sent (see background.hpp);
  // send() runs it before returning. Replaces any attached before.
  Response& background(BackgroundTasks tasks);
  bool has_background() const { return rare_ && rare_->background; }

  // Renders the response; may suspend (backpressure, streaming). `scope`
  // is the request being answered, for responses that depend on it
  // (a FileResponse's ranges and conditions); routes pass it.
  Task<void> send(http::Send& send, const http::Scope* scope = nullptr) const;

 private:
  int status_ = 200;
  std::string body_;
  // What few responses have lives out of line, so the common response
  // moves one null pointer for all of it: a media type other than the
  // media::* constants, and background tasks.
  struct Rare {
    std::string media_type;
    std::shared_ptr<BackgroundTasks> background;  // shared by copies
    SendFn custom;
  };
  Rare& rare();
  // One of the media::* constants, or rare_->media_type (on the heap, so
  // the view survives moves of the Response).
  std::string_view media_type_;
  std::vector<std::pair<std::string, std::string>> headers_;
  StreamFn stream_;
  std::unique_ptr<Rare> rare_;
};

}  // namespace strata::app
