// Tier 3's Request: Starlette's Request over tier 2's scope and receive.
//
// Lifetime: a Request lives in the handler's frame for one request. Every
// string_view it returns stays valid until the handler returns, except
// stream() pieces, valid until the next stream() call. Parsing is lazy:
// query parameters and cookies are only parsed when first asked for.
// Threading: await body()/stream()/json() on the loop thread; once the
// body has been read, the accessors may be used from a thread-pool job.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "app/forms.hpp"
#include "app/threadpool.hpp"
#include "parser/asgi.hpp"

// json()'s document type, declared only: simdjson's header is most of the
// compile time of any file that includes it, and most handlers never parse
// a body by hand. A file that calls json() includes <simdjson.h>.
namespace simdjson::dom {
class element;
class parser;
}  // namespace simdjson::dom

namespace strata::app {

// A path parameter captured by a route template such as /users/{id:int}.
struct PathParam {
  std::string_view name;
  std::string_view text;  // the matched (percent-decoded) path text
  int64_t i = 0;          // for {x:int}
  double f = 0;           // for {x:float}
};

inline constexpr size_t max_path_params = 8;

struct PathParams {
  std::array<PathParam, max_path_params> items{};
  size_t count = 0;
  const PathParam* find(std::string_view name) const {
    for (size_t k = 0; k < count; ++k)
      if (items[k].name == name) return &items[k];
    return nullptr;
  }
};

class Request {
 public:
  Request(const http::Scope& scope, http::Receive& receive, const PathParams& params, LoopExecutor* executor,
          size_t max_body_bytes);
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  const http::Scope& scope() const { return scope_; }
  std::string_view method() const { return scope_.method; }
  std::string_view path() const { return scope_.path; }
  std::string_view query_string() const { return scope_.query_string; }
  std::string_view http_version() const { return scope_.http_version; }

  // Path parameters: the text, or the converted value for int/float.
  std::string_view path_param(std::string_view name) const;
  int64_t path_int(std::string_view name) const;
  double path_float(std::string_view name) const;
  const PathParams& path_params() const { return params_; }

  // Headers: case-insensitive; repeated headers are all kept.
  std::optional<std::string_view> header(std::string_view name) const;
  std::vector<std::string_view> header_all(std::string_view name) const;

  // Query parameters, percent-decoded ('+' is a space); repeated keys kept.
  std::optional<std::string_view> query(std::string_view key) const;
  std::vector<std::string_view> query_all(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& query_params() const;

  // Cookies from every Cookie header (quotes around a value removed).
  std::optional<std::string_view> cookie(std::string_view name) const;

  // The peer: "127.0.0.1" and its port (empty/0 when unknown).
  std::string client_host() const;
  uint16_t client_port() const;

  // The whole body, read once and cached. A body over the app's limit
  // throws HTTPException(413); a client that leaves throws ClientDisconnect.
  Task<std::string_view> body();
  // The body piece by piece, for large uploads: the next piece, or nullopt
  // at the end. Use either body() or stream(), not both.
  Task<std::optional<std::string_view>> stream();
  // The body parsed as JSON (HTTPException(400) when it is not). The
  // document is owned by the Request. The caller includes <simdjson.h>.
  Task<simdjson::dom::element> json();
  // The body parsed as a form (app/forms.hpp), Starlette's request.form():
  // urlencoded from the whole body, multipart as it streams in, file parts
  // spooled to an unnamed temporary file past limits.spool_threshold. 400
  // when malformed, 413 over a limit (or the body limit), 415 for another
  // Content-Type. Parsed once: later calls return the same FormData, which
  // (with its files) lives until the request ends. Consumes the body like
  // stream(), so body() afterwards is empty for a multipart form. Bind it as
  // `const FormData& form = co_await req.form();` (a Task cannot hold a
  // reference, so it carries a reference_wrapper).
  Task<std::reference_wrapper<const FormData>> form(FormLimits limits = {});

  // Runs blocking work on the thread pool; the handler resumes on the loop.
  // Throws std::logic_error when the app is not served by an Application
  // (no pool to run on).
  template <class F>
  auto run_in_threadpool(F&& f) {
    if (!executor_) throw std::logic_error("no thread pool: serve this app through strata::app::Application");
    return executor_->run(std::forward<F>(f));
  }
  LoopExecutor* executor() const { return executor_; }

  // Keeps `value` alive until this request's response has been sent (or
  // the request ended by an exception or a client that left), then destroys
  // it; several are destroyed last-kept first. For per-request resources
  // with cleanup, FastAPI's `yield` dependencies: a pooled database
  // connection goes back to its pool in its destructor.
  template <class T>
  std::remove_cvref_t<T>& hold(T&& value) {
    using V = std::remove_cvref_t<T>;
    auto h = std::make_unique<Held<V>>(std::forward<T>(value));
    V& ref = h->value;
    held_.push_back(std::move(h));
    return ref;
  }
  ~Request();
  // Only valid after body() has completed.
  std::string_view body_view() const { return body_; }

 private:
  const http::Scope& scope_;
  http::Receive& receive_;
  const PathParams& params_;
  LoopExecutor* executor_;
  size_t max_body_;

  bool body_read_ = false;
  bool stream_done_ = false;
  size_t streamed_ = 0;
  std::string_view body_;
  std::string body_buf_;
  mutable bool query_parsed_ = false;
  mutable std::vector<std::pair<std::string, std::string>> query_;
  std::unique_ptr<simdjson::dom::parser> json_parser_;
  struct HeldBase {
    virtual ~HeldBase() = default;
  };
  template <class V>
  struct Held final : HeldBase {
    template <class U>
    explicit Held(U&& u) : value(std::forward<U>(u)) {}
    V value;
  };
  std::vector<std::unique_ptr<HeldBase>> held_;
};

// Pure helpers, exposed for tests.
void parse_query(std::string_view qs, std::vector<std::pair<std::string, std::string>>& out);
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace strata::app
