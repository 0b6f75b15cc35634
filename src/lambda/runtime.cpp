// The Runtime API loop. libcurl is the HTTP client, as in AWS's own C++
// runtime (aws-lambda-cpp): the API is plain HTTP/1.1 on a local address,
// and one easy handle keeps one connection alive across invocations.
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>

#include "app/application.hpp"
#include "lambda/event.hpp"
#include "lambda/lambda.hpp"

namespace strata::lambda {

namespace {

constexpr std::string_view kVersion = "/2018-06-01";

struct Reply {
  bool sent = false;   // false: the transport failed (`error` says how)
  long status = 0;
  std::string body;
  std::string request_id, deadline_ms, trace_id;
  std::string error;
};

class RuntimeClient {
 public:
  explicit RuntimeClient(std::string host_port) : base_("http://" + std::move(host_port)) {
    curl_ = curl_easy_init();
  }
  ~RuntimeClient() {
    if (curl_) curl_easy_cleanup(curl_);
  }
  RuntimeClient(const RuntimeClient&) = delete;
  RuntimeClient& operator=(const RuntimeClient&) = delete;
  bool ok() const { return curl_ != nullptr; }
  // Request ids are UUIDs; anything else goes into the URL escaped.
  std::string escape(const std::string& s) {
    char* e = curl_easy_escape(curl_, s.c_str(), static_cast<int>(s.size()));
    std::string out = e ? e : "";
    curl_free(e);
    return out;
  }
  const std::string& base() const { return base_; }

  // GET .../runtime/invocation/next: waits as long as Lambda takes to send
  // an event (the process is frozen meanwhile), so no overall timeout.
  Reply next() { return perform("/runtime/invocation/next", nullptr, {}); }

  Reply post(std::string_view path, std::string_view body, const char* error_type = nullptr) {
    std::string header;
    if (error_type) header = std::string("Lambda-Runtime-Function-Error-Type: ") + error_type;
    return perform(path, &body, header);
  }

 private:
  static size_t on_body(char* data, size_t size, size_t n, void* user) {
    static_cast<Reply*>(user)->body.append(data, size * n);
    return size * n;
  }
  static size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* r = static_cast<Reply*>(user);
    std::string_view line(data, size * n);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return size * n;
    std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    auto is = [&](std::string_view want) {
      if (name.size() != want.size()) return false;
      for (size_t i = 0; i < name.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(name[i])) != std::tolower(static_cast<unsigned char>(want[i])))
          return false;
      return true;
    };
    if (is("Lambda-Runtime-Aws-Request-Id")) r->request_id = value;
    else if (is("Lambda-Runtime-Deadline-Ms")) r->deadline_ms = value;
    else if (is("Lambda-Runtime-Trace-Id")) r->trace_id = value;
    return size * n;
  }

  Reply perform(std::string_view path, const std::string_view* body, const std::string& extra_header) {
    Reply r;
    const std::string url = base_ + std::string(kVersion) + std::string(path);
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    // The API is local: a proxy from the environment must not be asked.
    curl_easy_setopt(curl_, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r);
    curl_slist* headers = nullptr;
    if (body) {
      curl_easy_setopt(curl_, CURLOPT_POST, 1L);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
      headers = curl_slist_append(headers, "Content-Type: application/json");
      // No "Expect: 100-continue" round trip for a large response.
      headers = curl_slist_append(headers, "Expect:");
      if (!extra_header.empty()) headers = curl_slist_append(headers, extra_header.c_str());
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    }
    const CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      r.error = curl_easy_strerror(rc);
      return r;
    }
    r.sent = true;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
  }

  std::string base_;
  CURL* curl_ = nullptr;
};

uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// Time left before the deadline Lambda gave, at least 1 ms; 0 when unknown.
uint64_t time_left(const std::string& deadline_ms) {
  char* end = nullptr;
  const unsigned long long deadline = std::strtoull(deadline_ms.c_str(), &end, 10);
  if (deadline_ms.empty() || *end != '\0') return 0;
  const uint64_t now = now_ms();
  return deadline > now ? deadline - now : 1;
}

}  // namespace

int run(app::Application& app, const Options& options) {
  const char* name = options.name.c_str();
  std::string api = options.runtime_api;
  if (api.empty()) {
    const char* env = std::getenv("AWS_LAMBDA_RUNTIME_API");
    api = env ? env : "";
  }
  if (api.empty()) {
    std::fprintf(stderr, "%s: AWS_LAMBDA_RUNTIME_API is not set; this program runs as a Lambda function's bootstrap\n",
                 name);
    return 1;
  }
  if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK) {
    std::fprintf(stderr, "%s: libcurl could not be initialised\n", name);
    return 1;
  }
  struct GlobalCleanup {
    ~GlobalCleanup() { curl_global_cleanup(); }
  } cleanup;
  RuntimeClient client(api);
  if (!client.ok()) {
    std::fprintf(stderr, "%s: libcurl could not make a handle\n", name);
    return 1;
  }

  std::unique_ptr<Invoker> invoker;
  try {
    invoker = std::make_unique<Invoker>(app, options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: the app failed to start: %s\n", name, e.what());
    client.post("/runtime/init/error", format_error(e.what(), "Runtime.InitError"), "Runtime.InitError");
    return 1;
  }

  for (;;) {
    Reply next = client.next();
    if (!next.sent) {
      std::fprintf(stderr, "%s: the Runtime API at %s went away (%s)\n", name, api.c_str(), next.error.c_str());
      return 1;
    }
    if (next.status != 200 || next.request_id.empty()) {
      std::fprintf(stderr, "%s: the Runtime API at %s answered the next-invocation request with %ld%s\n", name,
                   api.c_str(), next.status, next.status == 200 ? " but no Lambda-Runtime-Aws-Request-Id" : "");
      return 1;
    }
    // The X-Ray SDK, and any app that logs it, reads the trace id here.
    if (next.trace_id.empty()) {
      unsetenv("_X_AMZN_TRACE_ID");
    } else {
      setenv("_X_AMZN_TRACE_ID", next.trace_id.c_str(), 1);
    }
    const Outcome outcome = invoker->invoke(next.body, time_left(next.deadline_ms));
    const std::string id = client.escape(next.request_id);
    const std::string path = "/runtime/invocation/" + id + (outcome.ok ? "/response" : "/error");
    if (!outcome.ok) {
      std::fprintf(stderr, "%s: invocation %s: %s: %s\n", name, next.request_id.c_str(), outcome.error_type.c_str(),
                   outcome.error_message.c_str());
    }
    const Reply posted =
        client.post(path, outcome.document, outcome.ok ? nullptr : outcome.error_type.c_str());
    if (!posted.sent) {
      std::fprintf(stderr, "%s: the Runtime API at %s went away (%s)\n", name, api.c_str(), posted.error.c_str());
      return 1;
    }
    if (outcome.error_type == "Timeout") {
      std::fprintf(stderr, "%s: stopping: a handler that outlived its invocation may still be running\n", name);
      std::fflush(stderr);
      // The abandoned handler's frame refers to the Invoker: leave both,
      // and everything static, as they are.
      std::_Exit(1);
    }
    // 413 (the response is over Lambda's payload limit) or 400: this
    // invocation is lost, the next one may be fine.
    if (posted.status != 202) {
      std::fprintf(stderr, "%s: invocation %s: the Runtime API refused the %s with %ld: %s\n", name,
                   next.request_id.c_str(), outcome.ok ? "response" : "error", posted.status, posted.body.c_str());
    }
  }
}

}  // namespace strata::lambda
