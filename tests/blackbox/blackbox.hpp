// Shared pieces of the black-box suite: a fixture that starts the real
// binary, the seed workloads' requests and answers, and predicates that
// print the bytes involved when they fail.
#pragma once

#include <gtest/gtest.h>

#include <csignal>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

#ifndef STRATA_BIN
#error "STRATA_BIN must name the strata binary under test"
#endif

namespace strata::test {

inline const std::string kStrataBin = STRATA_BIN;

// Seed 003: the request body the workload was written for, and its answer.
inline constexpr std::string_view kUserBody = R"({"id": 1, "name": "user", "email": "user@email.com"})";
inline constexpr std::string_view kUserReply = R"({"id":1,"name":"user","email":"user@email.com"})";
inline constexpr std::string_view kHello = "Hello ASGI World!";

inline std::string get(std::string_view target, std::string_view extra_headers = "",
                       std::string_view version = "HTTP/1.1") {
  std::string r = "GET ";
  r.append(target).append(" ").append(version).append("\r\nHost: localhost\r\n").append(extra_headers);
  return r.append("\r\n");
}

inline std::string post(std::string_view target, std::string_view body, std::string_view extra_headers = "") {
  std::string r = "POST ";
  r.append(target).append(" HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ");
  r.append(std::to_string(body.size())).append("\r\n").append(extra_headers).append("\r\n").append(body);
  return r;
}

inline std::string post_user(std::string_view extra_headers = "") { return post("/user", kUserBody, extra_headers); }

inline std::string describe(const std::optional<Response>& r) {
  return r ? "response: " + printable(r->raw, 800) : std::string("no response");
}

// 200, application/json, exactly the seed 003 answer.
inline ::testing::AssertionResult IsUserOk(const std::optional<Response>& r) {
  if (!r) return ::testing::AssertionFailure() << "no response";
  if (r->status != 200 || r->header("content-type") != "application/json" || r->body != kUserReply)
    return ::testing::AssertionFailure() << "expected 200 application/json " << kUserReply << "; got "
                                         << describe(r);
  return ::testing::AssertionSuccess();
}

// 200, text/plain, exactly `body`.
inline ::testing::AssertionResult IsText(const std::optional<Response>& r, std::string_view body, int status = 200) {
  if (!r) return ::testing::AssertionFailure() << "no response";
  const auto type = r->header("content-type");
  if (r->status != status || !type || type->rfind("text/plain", 0) != 0 || r->body != body)
    return ::testing::AssertionFailure() << "expected " << status << " text/plain '" << printable(body) << "'; got "
                                         << describe(r);
  return ::testing::AssertionSuccess();
}

// 400, text/plain, a non-empty one-line reason.
inline ::testing::AssertionResult IsBadRequestWithReason(const std::optional<Response>& r) {
  if (!r) return ::testing::AssertionFailure() << "no response";
  std::string_view body = r->body;
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  const auto type = r->header("content-type");
  if (r->status != 400 || !type || type->rfind("text/plain", 0) != 0 || body.empty() ||
      body.find('\n') != std::string_view::npos)
    return ::testing::AssertionFailure() << "expected 400 text/plain with a one-line reason; got " << describe(r);
  return ::testing::AssertionSuccess();
}

// Sends `request` on a fresh connection and expects the server to refuse it
// with `status`: a self-delimiting response (Content-Length matching the
// body) carrying `Connection: close`, then EOF.
inline ::testing::AssertionResult IsRejected(uint16_t port, std::string_view request, int status,
                                             Millis timeout = kDefaultTimeout) {
  Client c(port);
  if (!c.ok()) return ::testing::AssertionFailure() << c.error();
  if (!c.send(request)) return ::testing::AssertionFailure() << c.last_error();
  auto r = c.read_response(false, timeout);
  auto fail = [&]() {
    return ::testing::AssertionFailure() << "sent: " << printable(request, 400) << "\n     expected status " << status
                                         << " with Connection: close then EOF\n     ";
  };
  if (!r) return fail() << "no response: " << c.last_error();
  const auto cl = r->header("content-length");
  if (r->status != status || !cl || *cl != std::to_string(r->body.size()) ||
      !r->header_has_token("connection", "close"))
    return fail() << describe(r);
  if (!c.wait_for_eof()) return fail() << describe(r) << "\n     then: " << c.last_error();
  return ::testing::AssertionSuccess();
}

// Starts servers for one test and, when the test is done, stops each one
// with SIGTERM and expects a clean exit (status 0), so a crash, a hang on
// shutdown or a sanitizer report at exit fails the test that caused it.
class BlackboxServerTest : public ::testing::Test {
 protected:
  ServerProcess* start(std::vector<std::string> args, const SpawnOptions& options = {}) {
    std::string error;
    auto s = ServerProcess::start(kStrataBin, std::move(args), options, &error);
    if (!s) {
      ADD_FAILURE() << "cannot start strata: " << error;
      return nullptr;
    }
    servers_.push_back(std::move(s));
    return servers_.back().get();
  }
  ServerProcess* start_http(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--tier", "http"});
    return start(std::move(extra));
  }
  ServerProcess* start_raw(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--tier", "raw"});
    return start(std::move(extra));
  }

  void TearDown() override {
    for (auto& s : servers_) {
      if (!s->running()) {
        auto st = s->wait_exit(0ms);
        // Tests that stop the server themselves check how it ended.
        if (st && !stopped_by_test_) ADD_FAILURE() << "the server died during the test: " << st->describe();
        continue;
      }
      // One answered request proves the server is past its start-up (signal
      // handlers included) before it is asked to stop.
      (void)round_trip(s->port(), "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", false, 2000ms);
      s->send_signal(SIGTERM);
      auto st = s->wait_exit(5000ms);
      if (!st) {
        ADD_FAILURE() << "the server did not exit within 5 s of SIGTERM at the end of the test";
        continue;
      }
      EXPECT_TRUE(st->exited && st->code == 0) << "after SIGTERM at the end of the test: " << st->describe();
    }
    servers_.clear();
  }

  bool stopped_by_test_ = false;  // set by tests that end the server on purpose

 private:
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

}  // namespace strata::test
