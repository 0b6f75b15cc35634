// The real bootstrap (examples/lambda_app.cpp) against a Runtime API
// emulator: every event kind, a binary body, cookies and the trace id,
// failures that are answers (500) and failures that are invocation errors
// (/error), malformed events between good ones, and the API going away.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "kit/process.hpp"
#include "lambda/helpers.hpp"
#include "lambda/runtime_api_emulator.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

// The bootstrap under test: the example as built here, or, with
// $STRATA_LAMBDA_BOOTSTRAP, a packaged one (tests/lambda/package_test.sh).
std::string bootstrap_path() {
  const char* packaged = std::getenv("STRATA_LAMBDA_BOOTSTRAP");
  return packaged && *packaged ? packaged : LAMBDA_BIN;
}

// The bootstrap (or `program`), started against the Runtime API at `address`.
std::unique_ptr<kit::Child> start_bootstrap(const std::string& address, std::string program = bootstrap_path()) {
  kit::SpawnSpec spec;
  spec.argv = {std::move(program)};
  spec.env = {"AWS_LAMBDA_RUNTIME_API=" + address};
  spec.out = kit::Output::file;
  spec.err = kit::Output::file;
  std::string error;
  auto child = kit::Child::spawn(spec, error);
  EXPECT_TRUE(child) << error;
  return child;
}

struct LambdaRuntime : ::testing::Test {
  RuntimeApiEmulator api;
  std::unique_ptr<kit::Child> bootstrap = start_bootstrap(api.address());

  // Runs one fixture and returns what was posted back for it.
  RuntimeApiEmulator::Result invoke(std::string_view fixture, std::string trace = {}) {
    const std::string id = api.enqueue(read_fixture(fixture), std::move(trace));
    auto r = api.wait_result(id);
    if (!r) {
      ADD_FAILURE() << "no result for " << fixture << "; bootstrap: " << bootstrap->describe_exit() << "\n"
                    << bootstrap->stderr_text();
      return {};
    }
    return *r;
  }
};

TEST_F(LambdaRuntime, RestEventIsAnsweredInTheRestShape) {
  const auto r = invoke("rest_v1_get_index.json");
  EXPECT_EQ(r.kind, "response");
  EXPECT_EQ(r.content_type, "application/json");
  const JsonDoc d(r.body);
  ASSERT_TRUE(d.ok()) << r.body;
  EXPECT_EQ(d.num("/statusCode"), 200);
  EXPECT_EQ(d.str("/body"), "Hello Jürgen");
  EXPECT_EQ(d.str("/headers/content-type"), "text/plain; charset=utf-8");
  EXPECT_TRUE(d.has("/multiValueHeaders"));
  EXPECT_FALSE(d.flag("/isBase64Encoded"));

  const auto user = invoke("rest_v1_post_user.json");
  const JsonDoc u(user.body);
  EXPECT_EQ(u.num("/statusCode"), 200) << user.body;
  EXPECT_EQ(JsonDoc(u.str("/body")).str("/email"), "user@email.com");
}

TEST_F(LambdaRuntime, HttpApiEventIsAnsweredInTheHttpApiShape) {
  const JsonDoc d(invoke("http_v2_get_index.json").body);
  EXPECT_EQ(d.num("/statusCode"), 200);
  EXPECT_EQ(d.str("/body"), "Hello Jürgen");
  EXPECT_TRUE(d.has("/cookies"));
  EXPECT_FALSE(d.has("/multiValueHeaders"));

  const JsonDoc u(invoke("http_v2_post_user_base64.json").body);
  EXPECT_EQ(u.num("/statusCode"), 200);
  EXPECT_EQ(JsonDoc(u.str("/body")).num("/id"), 1);
}

TEST_F(LambdaRuntime, AlbEventIsAnsweredInTheAlbShapeOfItsHeaderMode) {
  const JsonDoc single(invoke("alb_get_index.json").body);
  EXPECT_EQ(single.num("/statusCode"), 200);
  EXPECT_EQ(single.str("/statusDescription"), "200 OK");
  EXPECT_EQ(single.str("/body"), "Hello Jürgen");
  EXPECT_EQ(single.str("/headers/content-type"), "text/plain; charset=utf-8");

  const JsonDoc multi(invoke("alb_multi_get_cookies.json").body);
  EXPECT_EQ(multi.num("/statusCode"), 200);
  EXPECT_EQ(multi.str("/body"), "a=1; b=2");
  EXPECT_EQ(multi.size("/multiValueHeaders/set-cookie"), 2u);
  EXPECT_FALSE(multi.has("/headers"));
}

TEST_F(LambdaRuntime, ABinaryBodyGoesInAndComesBackBase64) {
  const std::string event = read_fixture("http_v2_echo_binary.json");
  const JsonDoc in(event);
  const JsonDoc d(invoke("http_v2_echo_binary.json").body);
  EXPECT_EQ(d.num("/statusCode"), 200);
  EXPECT_TRUE(d.flag("/isBase64Encoded"));
  EXPECT_EQ(d.str("/body"), in.str("/body"));  // the same bytes, the same base64
  EXPECT_EQ(d.str("/headers/x-query"), "a=1&a=2");
}

TEST_F(LambdaRuntime, CookiesAndTheTraceIdReachTheApp) {
  const std::string trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  const JsonDoc d(invoke("http_v2_cookies.json", trace).body);
  EXPECT_EQ(d.str("/body"), "a=1; b=2");
  EXPECT_EQ(d.size("/cookies"), 2u);
  EXPECT_EQ(d.str("/cookies/0").substr(0, 4), "a=1;");
  EXPECT_EQ(d.str("/headers/x-trace-id"), trace);
  // The next invocation without one does not see the last one's.
  EXPECT_EQ(JsonDoc(invoke("http_v2_cookies.json").body).str("/headers/x-trace-id"), "");
}

TEST_F(LambdaRuntime, AHandlerThatThrowsBeforeAnsweringIsA500) {
  const auto r = invoke("rest_v1_boom.json");
  EXPECT_EQ(r.kind, "response");
  EXPECT_EQ(JsonDoc(r.body).num("/statusCode"), 500);
}

TEST_F(LambdaRuntime, AnExceptionThatEscapesTheAppIsAnInvocationError) {
  const auto r = invoke("http_v2_late_boom.json");
  EXPECT_EQ(r.kind, "error");
  EXPECT_EQ(r.error_type_header, "UnhandledException");
  const JsonDoc d(r.body);
  ASSERT_TRUE(d.ok()) << r.body;
  EXPECT_EQ(d.str("/errorMessage"), "boom after the response started");
  EXPECT_EQ(d.str("/errorType"), "UnhandledException");
  // The function lives on.
  EXPECT_EQ(JsonDoc(invoke("http_v2_get_index.json").body).num("/statusCode"), 200);
}

TEST_F(LambdaRuntime, MalformedEventsAreErrorsAndTheLoopGoesOn) {
  for (const char* fixture : {"malformed_not_json.json", "malformed_s3_event.json", "malformed_bad_base64.json"}) {
    const auto r = invoke(fixture);
    EXPECT_EQ(r.kind, "error") << fixture;
    EXPECT_EQ(r.error_type_header, "InvalidEvent") << fixture;
    const JsonDoc d(r.body);
    EXPECT_EQ(d.str("/errorType"), "InvalidEvent") << fixture;
    EXPECT_NE(d.str("/errorMessage"), "<missing>") << fixture;
  }
  const auto r = invoke("rest_v1_get_index.json");
  EXPECT_EQ(r.kind, "response");
  EXPECT_EQ(JsonDoc(r.body).num("/statusCode"), 200);
  EXPECT_TRUE(bootstrap->running());
}

TEST_F(LambdaRuntime, TheApiGoingAwayEndsTheRuntimeWithASentence) {
  EXPECT_EQ(JsonDoc(invoke("alb_get_index.json").body).num("/statusCode"), 200);
  // Wait until the runtime is parked on its next /next, then vanish.
  for (int i = 0; i < 500 && api.next_calls() < 2; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_GE(api.next_calls(), 2);
  api.stop();
  const auto status = bootstrap->wait_exit(5s);
  ASSERT_TRUE(status) << "the runtime did not exit";
  EXPECT_TRUE(status->exited && status->code == 1) << status->describe();
  const std::string err = bootstrap->stderr_text();
  EXPECT_NE(err.find("strata-lambda: the Runtime API at 127.0.0.1:"), std::string::npos) << err;
  EXPECT_NE(err.find("went away"), std::string::npos) << err;
}

TEST_F(LambdaRuntime, AHandlerPastItsDeadlineIsATimeoutAndTheRuntimeEnds) {
  const std::string id = api.enqueue(R"({"httpMethod":"GET","path":"/sleep",
    "queryStringParameters":{"ms":"3000"}})", {}, 200ms);
  const auto r = api.wait_result(id, 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "error");
  EXPECT_EQ(r->error_type_header, "Timeout");
  EXPECT_EQ(JsonDoc(r->body).str("/errorType"), "Timeout");
  // Its handler is still asleep on the pool: the process ends rather than
  // serve the next event beside it, and does not wait for the handler.
  const auto status = bootstrap->wait_exit(2s);
  ASSERT_TRUE(status) << "the runtime did not exit";
  EXPECT_EQ(status->code, 1);
  EXPECT_NE(bootstrap->stderr_text().find("stopping"), std::string::npos) << bootstrap->stderr_text();
}

TEST_F(LambdaRuntime, AHandlerWithinItsDeadlineAnswers) {
  const std::string id = api.enqueue(R"({"httpMethod":"GET","path":"/sleep",
    "queryStringParameters":{"ms":"50"}})", {}, 5s);
  const auto r = api.wait_result(id, 5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(JsonDoc(r->body).str("/body"), "slept");
}

TEST(LambdaRuntimeStart, NoRuntimeApiInTheEnvironmentIsASentence) {
  auto child = start_bootstrap("");
  const auto status = child->wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 1);
  EXPECT_NE(child->stderr_text().find("AWS_LAMBDA_RUNTIME_API is not set"), std::string::npos);
}

TEST(LambdaRuntimeStart, AnAppThatCannotStartIsAnInitError) {
  RuntimeApiEmulator api;
  auto child = start_bootstrap(api.address(), FAILING_START_BIN);
  const auto r = api.wait_init_error(5s);
  ASSERT_TRUE(r) << child->stderr_text();
  EXPECT_EQ(r->error_type_header, "Runtime.InitError");
  const JsonDoc d(r->body);
  EXPECT_EQ(d.str("/errorMessage"), "the database is unreachable");
  EXPECT_EQ(d.str("/errorType"), "Runtime.InitError");
  const auto status = child->wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 1);
  EXPECT_EQ(api.next_calls(), 0);  // no invocation was asked for
  EXPECT_NE(child->stderr_text().find("the app failed to start"), std::string::npos);
}

TEST(LambdaRuntimeStart, NothingListeningIsASentence) {
  std::string address;
  {
    RuntimeApiEmulator gone;  // a port that was free a moment ago
    address = gone.address();
  }
  auto child = start_bootstrap(address);
  const auto status = child->wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 1);
  EXPECT_NE(child->stderr_text().find("went away"), std::string::npos) << child->stderr_text();
}

}  // namespace
}  // namespace strata::test
