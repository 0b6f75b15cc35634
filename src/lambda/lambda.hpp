// strata::lambda: Mangum's twin. The same tier-3 Application or tier-4 API
// that strata::serve runs on a port runs as an AWS Lambda custom runtime:
//
//   int main() {
//     strata::router::API api;
//     api.get("/hello/{name}", [](strata::router::Path<"name", std::string> n) { return "Hello " + *n; });
//     return strata::lambda::run(api);   // the `bootstrap` of a provided.al2023 function
//   }
//
// run() follows AWS's Runtime API (version 2018-06-01) at the host:port in
// $AWS_LAMBDA_RUNTIME_API: it builds the app (its start-up hooks run once;
// an exception there is posted to /runtime/init/error and run() returns 1),
// then loops: GET /runtime/invocation/next, one event through the app,
// POST /runtime/invocation/{id}/response with the response document, or
// /runtime/invocation/{id}/error with {"errorMessage", "errorType"} when the
// event was not an HTTP event (errorType "InvalidEvent"; the loop goes on),
// an exception escaped the app ("UnhandledException": a handler threw after
// its response had started; one that throws before is a 500 answer, as
// behind a server), or the app was still running at the invocation's
// deadline ("Timeout"). Each invocation's Lambda-Runtime-Trace-Id is put in
// _X_AMZN_TRACE_ID for the app (and the X-Ray SDK) to read.
//
// run() returns 1, with one sentence on stderr, when $AWS_LAMBDA_RUNTIME_API
// is unset, the API cannot be reached or answers what the protocol does
// not allow. After a Timeout it ends the process itself (status 1, without
// running destructors): the handler may still be running on the thread
// pool, holding the finished invocation's state, and neither serving the
// next event beside it nor waiting for it to end is safe. Lambda replaces
// an environment whose function timed out in any case. In Lambda that never
// happens while the environment lives: the process is frozen between
// invocations and killed when the environment is retired.
//
// Events and responses (API Gateway REST and HTTP APIs, ALB): lambda/event.hpp.
// The app runs in-process through app::TestClient on a private loop, so
// every tier above 2 runs unchanged: middleware, the thread pool, tier 4's
// validation and 422s. One invocation at a time, as Lambda sends them.
//
// Threading: call from the main thread; it blocks. The Application (or API)
// must outlive the call.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace strata::app {
class Application;
class TestClient;
}  // namespace strata::app

namespace strata::lambda {

struct Options {
  // host:port of the Runtime API; empty: $AWS_LAMBDA_RUNTIME_API.
  std::string runtime_api = {};
  // The request body limit the app sees (http::AppHost::max_body_bytes):
  // Lambda's own payload limit, 6 MB, is the real one.
  size_t max_body_bytes = 6 * 1024 * 1024;
  // An invocation without a Lambda-Runtime-Deadline-Ms gets this long.
  uint64_t default_timeout_ms = 30000;
  // How the runtime names itself on stderr.
  std::string name = "strata-lambda";
};

// What one event came to.
struct Outcome {
  bool ok = false;          // true: `document` is the response event
  std::string document;     // the response event, or the error document
  std::string error_type;   // when !ok: InvalidEvent, UnhandledException, Timeout
  std::string error_message;
};

// Runs events through an Application in-process, no Runtime API involved:
// what run() does per invocation, and what `strata invoke` does once.
class Invoker {
 public:
  // Builds the app: its on_startup and on_worker_start hooks run here, and
  // what they throw propagates. Shutdown hooks run in the destructor.
  explicit Invoker(app::Application& app, const Options& options = {});
  ~Invoker();
  Invoker(const Invoker&) = delete;
  Invoker& operator=(const Invoker&) = delete;

  // One event (the JSON text Lambda delivers). timeout_ms 0: the default.
  // After a Timeout outcome the app may still be running: invoke nothing
  // more, and end the process rather than destroy the Invoker.
  Outcome invoke(std::string_view event_json, uint64_t timeout_ms = 0);

 private:
  Options options_;
  std::unique_ptr<app::TestClient> client_;
};

int run(app::Application& app, const Options& options = {});

// A tier-4 API runs as the Application underneath it (the template keeps
// tier 4's headers, and its library, out of this one).
template <class Api>
  requires requires(Api& api) {
    { api.application() } -> std::same_as<app::Application&>;
  }
int run(Api& api, const Options& options = {}) {
  return run(api.application(), options);
}

}  // namespace strata::lambda
