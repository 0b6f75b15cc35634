// An in-process client, like Starlette's TestClient: it drives an
// Application (or any tier-2 app) without sockets and without the HTTP
// parser, on a private libuv loop, so tests and profilers can measure and
// check a layer alone, and the Lambda adapter (src/lambda/) runs one event
// through it. Thread-pool endpoints work: the client's loop waits for them.
//
// Not thread-safe; one request at a time. If the app never answers, the
// client gives up after `timeout_ms` with status 0.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <uv.h>

#include "app/application.hpp"

namespace strata::app {

struct TestResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};
  int body_events = 0;
  std::string error;  // what escaped the app, if anything
  std::optional<std::string> header(std::string_view name) const;  // case-insensitive, first
  std::vector<std::string> header_all(std::string_view name) const;
};

struct TestRequest {
  std::string method = "GET";
  std::string target = "/";  // path and optional ?query
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};
  size_t body_piece = 0;  // > 0: deliver the body in pieces of this size
};

class TestClient {
 public:
  // max_body_bytes plays the server's limit (http::Options::max_body_bytes).
  explicit TestClient(Application& app, uint64_t timeout_ms = 10000, size_t max_body_bytes = 1024 * 1024);
  explicit TestClient(http::App app, uint64_t timeout_ms = 10000);
  ~TestClient();  // runs the app's shutdown hooks, closes the loop
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  TestResponse request(const TestRequest& r);
  // A scope built by the caller (its views must outlive the call), for
  // callers that know more than a target string says: the scheme, the
  // client's address, a path already decoded. `timeout_ms` 0: the client's.
  // Adds no header: Host and Content-Length are the caller's to give.
  TestResponse request(const http::Scope& scope, std::string_view body, uint64_t timeout_ms = 0,
                       size_t body_piece = 0);
  TestResponse get(std::string target, std::vector<std::pair<std::string, std::string>> headers = {});
  TestResponse post(std::string target, std::string body, std::string_view content_type = "application/json");

 private:
  uv_loop_t loop_{};
  http::AppHost host_;
  http::App app_;
  uint64_t timeout_ms_;
};

}  // namespace strata::app
