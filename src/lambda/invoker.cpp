#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "app/testclient.hpp"
#include "lambda/event.hpp"
#include "lambda/lambda.hpp"

namespace strata::lambda {

namespace {

// The client's address for Scope::client, when the event names one.
bool parse_ip(const std::string& ip, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    return true;
  }
  return false;
}

}  // namespace

Invoker::Invoker(app::Application& app, const Options& options)
    : options_(options),
      client_(std::make_unique<app::TestClient>(app, options.default_timeout_ms, options.max_body_bytes)) {}

Invoker::~Invoker() = default;

Outcome Invoker::invoke(std::string_view event_json, uint64_t timeout_ms) {
  Outcome outcome;
  HttpRequest request;
  std::string error;
  if (!parse_event(event_json, request, error)) {
    outcome.error_type = "InvalidEvent";
    outcome.error_message = std::move(error);
    outcome.document = format_error(outcome.error_message, outcome.error_type);
    return outcome;
  }
  // The Lambda payload limit is far above a server's default body limit,
  // but a body over the app's own limit is refused as a server would.
  if (request.body.size() > options_.max_body_bytes) {
    outcome.ok = true;
    outcome.document = format_response(request, {413, {{"content-type", "text/plain; charset=utf-8"}},
                                                 "Request Entity Too Large"});
    return outcome;
  }

  std::vector<http::Header> headers;
  headers.reserve(request.headers.size());
  for (const auto& [n, v] : request.headers) headers.push_back({n, v});
  sockaddr_storage client{};
  http::Scope scope;
  scope.method = request.method;
  scope.http_version = "1.1";
  scope.scheme = request.scheme;
  scope.path = request.path;
  scope.raw_path = request.raw_path;
  scope.query_string = request.query_string;
  scope.headers = headers;
  if (!request.client_ip.empty() && parse_ip(request.client_ip, client)) scope.client = &client;

  app::TestResponse r = client_->request(scope, request.body, timeout_ms);
  if (r.status == 0) {
    outcome.error_type = "Timeout";
    outcome.error_message = "the app had not answered " + request.method + " " + request.path +
                            " by the invocation's deadline";
  } else if (!r.error.empty()) {
    outcome.error_type = "UnhandledException";
    outcome.error_message = std::move(r.error);
  } else {
    outcome.ok = true;
    outcome.document = format_response(request, {r.status, std::move(r.headers), std::move(r.body)});
    return outcome;
  }
  outcome.document = format_error(outcome.error_message, outcome.error_type);
  return outcome;
}

}  // namespace strata::lambda
