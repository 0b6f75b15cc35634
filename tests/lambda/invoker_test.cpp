// The Invoker: an event through a real Application in-process, as run()
// does per invocation, without the Runtime API.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdexcept>
#include <string>

#include "app/application.hpp"
#include "lambda/event.hpp"
#include "lambda/helpers.hpp"
#include "lambda/lambda.hpp"

namespace strata::lambda {
namespace {

using test::JsonDoc;

std::string client_of(const http::Scope& scope) {
  if (!scope.client || scope.client->ss_family != AF_INET) return "none";
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(scope.client)->sin_addr, buf, sizeof buf);
  return buf;
}

// An app that answers with what its scope says, and two ways to fail.
app::Application& scope_app() {
  static app::Application* app = [] {
    auto* a = new app::Application();
    a->mount("/scope", [](const http::Scope& scope, http::Receive& receive, http::Send& send) -> Task<void> {
      std::string body;
      for (;;) {
        const http::ReceiveEvent e = co_await receive();
        if (e.type != http::ReceiveEvent::body) break;
        body.append(e.bytes);
        if (!e.more_body) break;
      }
      std::string text = std::string(scope.method) + " " + std::string(scope.scheme) + " " +
                         std::string(scope.path) + " " + std::string(scope.raw_path) + " ?" +
                         std::string(scope.query_string) + " client=" + client_of(scope) +
                         " host=" + std::string(scope.header("host")) + " body=" + body;
      const http::Header type{"content-type", "text/plain"};
      co_await send.start({200, std::span<const http::Header>(&type, 1)});
      co_await send.body({text, false});
    });
    a->mount("/late", [](const http::Scope&, http::Receive&, http::Send& send) -> Task<void> {
      co_await send.start({200, {}});
      throw std::runtime_error("failed after starting");
    });
    a->get("/early", [](app::Request&) -> Task<app::Response> {
      throw std::runtime_error("failed before starting");
      co_return app::Response::text("");
    });
    return a;
  }();
  return *app;
}

TEST(LambdaInvoker, TheAppSeesTheEventAsAScope) {
  Invoker invoker(scope_app());
  const Outcome o = invoker.invoke(R"({"version":"2.0","rawPath":"/scope/a%20b","rawQueryString":"x=1",
    "headers":{"x-forwarded-proto":"https"},"body":"aGk=","isBase64Encoded":true,
    "requestContext":{"domainName":"example.com","http":{"method":"PUT","sourceIp":"192.0.2.7"}}})");
  ASSERT_TRUE(o.ok) << o.document;
  const JsonDoc d(o.document);
  EXPECT_EQ(d.num("/statusCode"), 200);
  // (The mount takes its prefix off both paths.)
  EXPECT_EQ(d.str("/body"), "PUT https /a b /a%20b ?x=1 client=192.0.2.7 host=example.com body=hi");
}

TEST(LambdaInvoker, AMalformedEventIsAnInvalidEventError) {
  Invoker invoker(scope_app());
  const Outcome o = invoker.invoke("{\"Records\": []}");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error_type, "InvalidEvent");
  const JsonDoc d(o.document);
  EXPECT_EQ(d.str("/errorType"), "InvalidEvent");
  EXPECT_EQ(d.str("/errorMessage"), o.error_message);
  // The invoker is still good for the next event.
  EXPECT_TRUE(invoker.invoke(R"({"httpMethod":"GET","path":"/scope/x"})").ok);
}

TEST(LambdaInvoker, AHandlerThatThrowsBeforeAnsweringIsA500AsBehindAServer) {
  Invoker invoker(scope_app());
  const Outcome o = invoker.invoke(R"({"httpMethod":"GET","path":"/early"})");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(JsonDoc(o.document).num("/statusCode"), 500);
}

TEST(LambdaInvoker, AnExceptionThatEscapesTheAppFailsTheInvocation) {
  Invoker invoker(scope_app());
  const Outcome o = invoker.invoke(R"({"httpMethod":"GET","path":"/late"})");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error_type, "UnhandledException");
  EXPECT_EQ(JsonDoc(o.document).str("/errorMessage"), "failed after starting");
}

TEST(LambdaInvoker, ABodyOverTheLimitIs413) {
  Invoker invoker(scope_app(), {.max_body_bytes = 4});
  const Outcome o = invoker.invoke(R"({"httpMethod":"POST","path":"/scope","body":"12345"})");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(JsonDoc(o.document).num("/statusCode"), 413);
  EXPECT_EQ(JsonDoc(invoker.invoke(R"({"httpMethod":"POST","path":"/scope","body":"1234"})").document)
                .num("/statusCode"),
            200);
}

TEST(LambdaInvoker, AStartUpHookThatThrowsStopsTheInvokerBeingMade) {
  app::Application app;
  app.on_startup([] { throw std::runtime_error("no database"); });
  EXPECT_THROW(Invoker{app}, std::runtime_error);
}

}  // namespace
}  // namespace strata::lambda
