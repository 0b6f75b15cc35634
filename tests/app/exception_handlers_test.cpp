// Exception handlers by status and by type (app/exception_handlers.hpp),
// through TestClient.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "app/application.hpp"
#include "app/exception_handlers.hpp"
#include "app/http_exception.hpp"
#include "app/testclient.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

struct QuotaExceeded : std::runtime_error {
  explicit QuotaExceeded(int n) : std::runtime_error("quota exceeded"), left(n) {}
  int left;
};
struct DailyQuotaExceeded : QuotaExceeded {
  DailyQuotaExceeded() : QuotaExceeded(0) {}
};
struct Unrelated : std::runtime_error {
  Unrelated() : std::runtime_error("unrelated secret") {}
};

Application& routes(Application& app) {
  app.get("/items/{id:int}", [](Request& req) -> Task<Response> {
    if (req.path_int("id") == 0) throw HTTPException(404, "no such item");
    if (req.path_int("id") == 1) throw HTTPException(418, "teapot", {{"x-tea", "green"}});
    if (req.path_int("id") == 2) throw QuotaExceeded(3);
    if (req.path_int("id") == 3) throw DailyQuotaExceeded();
    if (req.path_int("id") == 4) throw Unrelated();
    co_return Response::text("item");
  });
  return app;
}

Task<Response> not_found(Request& req, const HTTPException& e) {
  co_return Response::json(R"({"path":")" + std::string(req.path()) + R"(","detail":")" + e.detail() + "\"}", 404);
}

TEST(AppExceptionHandlers, AStatusHandlerSeesRaisedAndRouterErrors) {
  Captured log;
  Application app(log.config());
  routes(app).exception_handler(404, not_found);
  app.exception_handler(405, [](Request& req, const HTTPException& e) -> Task<Response> {
    Response r = Response::text("no " + std::string(req.method()) + " here", 405);
    for (const auto& [n, v] : e.headers()) r.header(n, v);
    co_return r;
  });
  TestClient client(app);
  TestResponse r = client.get("/items/0");
  EXPECT_EQ(r.status, 404) << dump(r);
  EXPECT_EQ(r.body, R"({"path":"/items/0","detail":"no such item"})");
  EXPECT_EQ(r.header("content-type"), "application/json");
  r = client.get("/nowhere");
  EXPECT_EQ(r.status, 404) << dump(r);
  EXPECT_EQ(r.body, R"({"path":"/nowhere","detail":"Not Found"})");
  r = client.post("/items/5", "");
  EXPECT_EQ(r.status, 405) << dump(r);
  EXPECT_EQ(r.body, "no POST here");
  EXPECT_EQ(r.header("allow"), "GET, HEAD");
  // Statuses without a handler keep their plain response and headers.
  r = client.get("/items/1");
  EXPECT_EQ(r.status, 418) << dump(r);
  EXPECT_EQ(r.body, "teapot");
  EXPECT_EQ(r.header("x-tea"), "green");
  // redirect_slashes still comes before a 404.
  EXPECT_EQ(client.get("/items/5/").status, 307);
  EXPECT_TRUE(log.lines->empty()) << log.all();
}

TEST(AppExceptionHandlers, ATypeHandlerCatchesItsTypeAndDerivedOnes) {
  Captured log;
  Application app(log.config());
  routes(app).exception_handler<QuotaExceeded>([](Request&, const QuotaExceeded& e) -> Task<Response> {
    co_return Response::text(std::string(e.what()) + ", left " + std::to_string(e.left), 429);
  });
  TestClient client(app);
  TestResponse r = client.get("/items/2");
  EXPECT_EQ(r.status, 429) << dump(r);
  EXPECT_EQ(r.body, "quota exceeded, left 3");
  r = client.get("/items/3");
  EXPECT_EQ(r.status, 429) << dump(r);
  EXPECT_EQ(r.body, "quota exceeded, left 0");
  // Unhandled: the logged 500 of server_errors, nothing leaked.
  r = client.get("/items/4");
  EXPECT_EQ(r.status, 500) << dump(r);
  EXPECT_EQ(r.body, "Internal Server Error");
  EXPECT_NE(log.all().find("unrelated secret"), std::string::npos) << log.all();
  // HTTPExceptions without a status handler are as before; 404 from the
  // router too (it is raised now, and handled by default).
  r = client.get("/items/0");
  EXPECT_EQ(r.status, 404) << dump(r);
  EXPECT_EQ(r.body, "no such item");
  r = client.get("/nowhere");
  EXPECT_EQ(r.status, 404) << dump(r);
  EXPECT_EQ(r.body, "Not Found");
  r = client.request({.method = "DELETE", .target = "/items/5"});
  EXPECT_EQ(r.status, 405) << dump(r);
  EXPECT_EQ(r.header("allow"), "GET, HEAD");
}

TEST(AppExceptionHandlers, TheFirstMatchingTypeInRegistrationOrderWins) {
  Captured log;
  Application app(log.config());
  routes(app)
      .exception_handler<DailyQuotaExceeded>(
          [](Request&, const DailyQuotaExceeded&) -> Task<Response> { co_return Response::text("daily", 429); })
      .exception_handler<std::exception>(
          [](Request&, const std::exception&) -> Task<Response> { co_return Response::text("any", 503); });
  TestClient client(app);
  EXPECT_EQ(client.get("/items/3").body, "daily");
  EXPECT_EQ(client.get("/items/2").body, "any");
  EXPECT_EQ(client.get("/items/4").status, 503);
  // A type handler for HTTPException takes every status without its own handler.
  Application app2(log.config());
  routes(app2).exception_handler<HTTPException>([](Request&, const HTTPException& e) -> Task<Response> {
    co_return Response::text("wrapped " + std::to_string(e.status()), e.status());
  });
  TestClient client2(app2);
  EXPECT_EQ(client2.get("/nowhere").body, "wrapped 404");
  EXPECT_EQ(client2.get("/items/1").body, "wrapped 418");
}

TEST(AppExceptionHandlers, AHandlerThatThrowsIsA500AndALateErrorClosesTheStream) {
  Captured log;
  Application app(log.config());
  routes(app).exception_handler<QuotaExceeded>([](Request&, const QuotaExceeded&) -> Task<Response> {
    throw std::runtime_error("handler secret");
    co_return Response::text("never");
  });
  app.get("/late", [](Request&) -> Task<Response> {
    co_return Response::stream([](BodyWriter& w) -> Task<void> {
      co_await w.write("partial");
      throw QuotaExceeded(1);
    });
  });
  TestClient client(app);
  TestResponse r = client.get("/items/2");
  EXPECT_EQ(r.status, 500) << dump(r);
  EXPECT_EQ(r.body, "Internal Server Error");
  EXPECT_NE(log.all().find("handler secret"), std::string::npos) << log.all();
  // Started responses cannot be replaced: the error goes on (tier 2 closes).
  r = client.get("/late");
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "partial");
  EXPECT_NE(r.error.find("quota exceeded"), std::string::npos) << dump(r);
}

TEST(AppExceptionHandlers, TheHandlersRequestReadsTheScope) {
  Captured log;
  Application app(log.config());
  app.get("/q", [](Request&) -> Task<Response> { throw QuotaExceeded(1); co_return Response::text(""); });
  app.exception_handler<QuotaExceeded>([](Request& req, const QuotaExceeded&) -> Task<Response> {
    co_return Response::text(std::string(req.query("who").value_or("?")) + " " +
                             std::string(req.header("x-plan").value_or("?")), 429);
  });
  TestClient client(app);
  TestResponse r = client.get("/q?who=ann", {{"X-Plan", "free"}});
  EXPECT_EQ(r.body, "ann free") << dump(r);
}

}  // namespace
