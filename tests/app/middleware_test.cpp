// Tier 3's middleware stack through TestClient: server errors (500, logged,
// nothing leaked), HTTPException, errors after a response started, CORS,
// request ids, user-written middleware and the order of the stack.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/application.hpp"
#include "app/http_exception.hpp"
#include "app/testclient.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

Endpoint text(std::string body) {
  return [body](Request&) -> Task<Response> { co_return Response::text(body); };
}

TestRequest make(std::string method, std::string target, std::vector<std::pair<std::string, std::string>> headers = {}) {
  TestRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.headers = std::move(headers);
  return r;
}

// ------------------------------------------------------------ server errors

TEST(AppMiddleware, AnExceptionBecomesA500WithoutInternalsAndIsLogged) {
  Captured log;
  Application app(log.config());
  app.get("/boom", [](Request&) -> Task<Response> {
    throw std::runtime_error("secret detail 42: password=hunter2");
    co_return Response::text("unreachable");
  });
  TestClient client(app);
  TestResponse r = client.get("/boom");
  EXPECT_EQ(r.status, 500) << dump(r);
  EXPECT_EQ(r.body, "Internal Server Error");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  for (const auto& [n, v] : r.headers) EXPECT_EQ(v.find("hunter2"), std::string::npos) << n << ": " << v;
  EXPECT_TRUE(r.error.empty()) << r.error;
  ASSERT_EQ(log.lines->size(), 1u) << log.all();
  EXPECT_NE(log.lines->front().find("secret detail 42: password=hunter2"), std::string::npos) << log.all();
  EXPECT_NE(log.lines->front().find("/boom"), std::string::npos) << log.all();
}

TEST(AppMiddleware, ANonStandardExceptionIsA500Too) {
  Captured log;
  Application app(log.config());
  app.get("/int", [](Request&) -> Task<Response> {
    throw 42;
    co_return Response::text("unreachable");
  });
  TestClient client(app);
  TestResponse r = client.get("/int");
  EXPECT_EQ(r.status, 500) << dump(r);
  EXPECT_EQ(r.body, "Internal Server Error");
  EXPECT_EQ(log.lines->size(), 1u) << log.all();
}

TEST(AppMiddleware, HttpExceptionBecomesItsResponse) {
  Captured log;
  Application app(log.config());
  app.get("/tea", [](Request&) -> Task<Response> {
    throw HTTPException(418, "I'm a teapot", {{"X-Why", "tea"}, {"Retry-After", "5"}});
    co_return Response::text("unreachable");
  });
  app.get("/auth", [](Request&) -> Task<Response> {
    throw HTTPException(401, "login first", {{"WWW-Authenticate", "Bearer"}});
    co_return Response::text("unreachable");
  });
  app.get("/nothing", [](Request&) -> Task<Response> {
    throw HTTPException(204);
    co_return Response::text("unreachable");
  });
  app.route_sync("/sync", {"GET"}, [](Request&) -> Response { throw HTTPException(409, "conflict from the pool"); });
  TestClient client(app);
  TestResponse tea = client.get("/tea");
  EXPECT_EQ(tea.status, 418) << dump(tea);
  EXPECT_EQ(tea.body, "I'm a teapot");
  EXPECT_EQ(tea.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(tea.header("x-why"), "tea");
  EXPECT_EQ(tea.header("retry-after"), "5");
  TestResponse auth = client.get("/auth");
  EXPECT_EQ(auth.status, 401) << dump(auth);
  EXPECT_EQ(auth.body, "login first");
  EXPECT_EQ(auth.header("www-authenticate"), "Bearer");
  TestResponse none = client.get("/nothing");
  EXPECT_EQ(none.status, 204) << dump(none);
  EXPECT_EQ(none.body, "");
  TestResponse sync = client.get("/sync");
  EXPECT_EQ(sync.status, 409) << dump(sync);
  EXPECT_EQ(sync.body, "conflict from the pool");
  EXPECT_TRUE(log.lines->empty()) << "HTTPExceptions are answers, not errors: " << log.all();
}

TEST(AppMiddleware, AnExceptionAfterTheResponseStartedIsNotTurnedIntoA500) {
  Captured log;
  Application app(log.config());
  app.get("/late", [](Request&) -> Task<Response> {
    co_return Response::stream([](BodyWriter& w) -> Task<void> {
      co_await w.write("partial ");
      co_await w.write("data");
      throw std::runtime_error("late failure");
    });
  });
  TestClient client(app);
  TestResponse r = client.get("/late");
  // The start went out as 200; the error escapes to the server (which can
  // only close the connection); no second response is attempted.
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "partial data");
  EXPECT_EQ(r.body_events, 2) << "the final body event must not be sent";
  EXPECT_EQ(r.body.find("Internal Server Error"), std::string::npos);
  EXPECT_NE(r.error.find("late failure"), std::string::npos) << dump(r);
  EXPECT_EQ(r.error.find("already started"), std::string::npos) << dump(r);
  ASSERT_EQ(log.lines->size(), 1u) << log.all();
  EXPECT_NE(log.lines->front().find("late failure"), std::string::npos) << log.all();
}

// ------------------------------------------------------------ user middleware

// Adds a header to every response, whoever produced it.
Middleware powered_by() {
  return [](http::App next) -> http::App {
    return [next](const http::Scope& s, http::Receive& r, http::Send& send) -> Task<void> {
      HeaderAddingSend tagged(send, {{"x-powered-by", "tests"}});
      co_await next(s, r, tagged);
    };
  };
}

// Answers 401 itself unless the request carries an Authorization header.
Middleware require_auth() {
  return [](http::App next) -> http::App {
    return [next](const http::Scope& s, http::Receive& r, http::Send& send) -> Task<void> {
      if (s.header("authorization").empty()) {
        Response denied = Response::text("Unauthorized", 401);
        denied.header("www-authenticate", "Bearer");
        co_await denied.send(send);
        co_return;
      }
      co_await next(s, r, send);
    };
  };
}

TEST(AppMiddleware, UserMiddlewareAddsAHeaderToEveryResponse) {
  Captured log;
  Application app(log.config());
  app.add_middleware(powered_by());
  app.get("/ok", text("ok"));
  app.get("/teapot", [](Request&) -> Task<Response> {
    throw HTTPException(418, "tea");
    co_return Response::text("unreachable");
  });
  TestClient client(app);
  TestResponse ok = client.get("/ok");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "ok");
  EXPECT_EQ(ok.header("x-powered-by"), "tests") << dump(ok);
  TestResponse nf = client.get("/missing");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.header("x-powered-by"), "tests") << dump(nf);
  TestResponse tea = client.get("/teapot");
  EXPECT_EQ(tea.status, 418);
  EXPECT_EQ(tea.header("x-powered-by"), "tests") << dump(tea);
}

TEST(AppMiddleware, UserMiddlewareCanShortCircuit) {
  Captured log;
  Application app(log.config());
  app.add_middleware(require_auth());
  int calls = 0;
  app.get("/secret", [&calls](Request&) -> Task<Response> {
    ++calls;
    co_return Response::text("the secret");
  });
  TestClient client(app);
  TestResponse denied = client.get("/secret");
  EXPECT_EQ(denied.status, 401) << dump(denied);
  EXPECT_EQ(denied.body, "Unauthorized");
  EXPECT_EQ(denied.header("www-authenticate"), "Bearer");
  EXPECT_EQ(calls, 0);
  TestResponse allowed = client.get("/secret", {{"Authorization", "Bearer t"}});
  EXPECT_EQ(allowed.status, 200) << dump(allowed);
  EXPECT_EQ(allowed.body, "the secret");
  EXPECT_EQ(calls, 1);
}

TEST(AppMiddleware, FirstAddedIsOutermost) {
  Captured log;
  Application app(log.config());
  std::vector<std::string> order;
  auto recorder = [&order](std::string name) -> Middleware {
    return [&order, name](http::App next) -> http::App {
      return [next, &order, name](const http::Scope& s, http::Receive& r, http::Send& send) -> Task<void> {
        order.push_back(name + ">");
        co_await next(s, r, send);
        order.push_back("<" + name);
      };
    };
  };
  app.add_middleware(recorder("a")).add_middleware(recorder("b")).add_middleware(recorder("c"));
  app.get("/", [&order](Request&) -> Task<Response> {
    order.push_back("handler");
    co_return Response::text("ok");
  });
  TestClient client(app);
  ASSERT_EQ(client.get("/").status, 200);
  EXPECT_EQ(order, (std::vector<std::string>{"a>", "b>", "c>", "handler", "<c", "<b", "<a"}));
  order.clear();
  ASSERT_EQ(client.get("/nowhere").status, 404);
  EXPECT_EQ(order, (std::vector<std::string>{"a>", "b>", "c>", "<c", "<b", "<a"}));
}

// HTTPException is turned into a response inside the user middleware (they
// see its status); a server error is turned into one outside (they see the
// exception, not a response), as in Starlette.
TEST(AppMiddleware, StackPositionOfTheErrorHandlers) {
  Captured log;
  Application app(log.config());
  std::vector<int> statuses;
  int exceptions = 0;
  app.add_middleware([&statuses, &exceptions](http::App next) -> http::App {
    return [next, &statuses, &exceptions](const http::Scope& s, http::Receive& r, http::Send& send) -> Task<void> {
      struct Recording : ForwardingSend {
        Recording(http::Send& inner, std::vector<int>& out) : ForwardingSend(inner), out_(out) {}
        Task<void> start(http::ResponseStart rs) override {
          out_.push_back(rs.status);
          return ForwardingSend::start(rs);
        }
        std::vector<int>& out_;
      } rec(send, statuses);
      try {
        co_await next(s, r, rec);
      } catch (...) {
        ++exceptions;
        throw;
      }
    };
  });
  app.get("/tea", [](Request&) -> Task<Response> {
    throw HTTPException(418, "tea");
    co_return Response::text("unreachable");
  });
  app.get("/boom", [](Request&) -> Task<Response> {
    throw std::runtime_error("boom");
    co_return Response::text("unreachable");
  });
  TestClient client(app);
  EXPECT_EQ(client.get("/tea").status, 418);
  EXPECT_EQ(client.get("/nowhere").status, 404);
  EXPECT_EQ(statuses, (std::vector<int>{418, 404}));
  EXPECT_EQ(exceptions, 0);
  TestResponse boom = client.get("/boom");
  EXPECT_EQ(boom.status, 500) << dump(boom);
  EXPECT_EQ(statuses, (std::vector<int>{418, 404}));
  EXPECT_EQ(exceptions, 1);
}

// ------------------------------------------------------------ CORS

CorsOptions strict_cors() {
  CorsOptions o;
  o.allow_origins = {"https://ok.example"};
  o.allow_methods = {"GET", "POST"};
  o.allow_headers = {"X-Token"};
  o.max_age = 600;
  return o;
}

TEST(AppCors, PreflightFromAnAllowedOrigin) {
  Captured log;
  Application app(log.config());
  app.add_middleware(cors(strict_cors()));
  int calls = 0;
  app.get("/r", [&calls](Request&) -> Task<Response> {
    ++calls;
    co_return Response::text("r");
  });
  TestClient client(app);
  TestResponse r = client.request(make("OPTIONS", "/r",
                                       {{"Origin", "https://ok.example"},
                                        {"Access-Control-Request-Method", "POST"},
                                        {"Access-Control-Request-Headers", "x-token"}}));
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.header("access-control-allow-origin"), "https://ok.example") << dump(r);
  EXPECT_EQ(r.header("vary"), "Origin") << dump(r);
  EXPECT_EQ(r.header("access-control-allow-methods"), "GET, POST") << dump(r);
  const auto allow_headers = r.header("access-control-allow-headers");
  ASSERT_TRUE(allow_headers) << dump(r);
  std::string lowered = *allow_headers;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(lowered.find("x-token"), std::string::npos) << dump(r);
  EXPECT_EQ(r.header("access-control-max-age"), "600") << dump(r);
  EXPECT_EQ(r.header("access-control-allow-credentials"), std::nullopt) << dump(r);
  EXPECT_EQ(calls, 0) << "a preflight is answered by the middleware";
  // Header names in the request are case-insensitive.
  TestResponse upper = client.request(make("OPTIONS", "/r",
                                           {{"Origin", "https://ok.example"},
                                            {"Access-Control-Request-Method", "GET"},
                                            {"Access-Control-Request-Headers", "X-TOKEN"}}));
  EXPECT_EQ(upper.status, 200) << dump(upper);
}

TEST(AppCors, PreflightRefusals) {
  Captured log;
  Application app(log.config());
  app.add_middleware(cors(strict_cors()));
  app.get("/r", text("r"));
  TestClient client(app);
  TestResponse origin = client.request(
      make("OPTIONS", "/r", {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}}));
  EXPECT_EQ(origin.status, 400) << dump(origin);
  EXPECT_EQ(origin.header("access-control-allow-origin"), std::nullopt) << dump(origin);
  TestResponse method = client.request(
      make("OPTIONS", "/r", {{"Origin", "https://ok.example"}, {"Access-Control-Request-Method", "DELETE"}}));
  EXPECT_EQ(method.status, 400) << dump(method);
  TestResponse header = client.request(make("OPTIONS", "/r",
                                            {{"Origin", "https://ok.example"},
                                             {"Access-Control-Request-Method", "GET"},
                                             {"Access-Control-Request-Headers", "x-token, x-other"}}));
  EXPECT_EQ(header.status, 400) << dump(header);
}

TEST(AppCors, PreflightWithAnyHeaderEchoesTheRequestedOnes) {
  Captured log;
  Application app(log.config());
  CorsOptions o = strict_cors();
  o.allow_headers = {"*"};
  app.add_middleware(cors(o));
  app.get("/r", text("r"));
  TestClient client(app);
  TestResponse r = client.request(make("OPTIONS", "/r",
                                       {{"Origin", "https://ok.example"},
                                        {"Access-Control-Request-Method", "GET"},
                                        {"Access-Control-Request-Headers", "x-one, x-two"}}));
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.header("access-control-allow-headers"), "x-one, x-two") << dump(r);
}

TEST(AppCors, CredentialsEchoTheOriginAndVary) {
  Captured log;
  Application app(log.config());
  CorsOptions o;
  o.allow_origins = {"*"};
  o.allow_methods = {"GET"};
  o.allow_credentials = true;
  app.add_middleware(cors(o));
  app.get("/r", text("r"));
  TestClient client(app);
  TestResponse pre = client.request(
      make("OPTIONS", "/r", {{"Origin", "https://any.example"}, {"Access-Control-Request-Method", "GET"}}));
  EXPECT_EQ(pre.status, 200) << dump(pre);
  EXPECT_EQ(pre.header("access-control-allow-origin"), "https://any.example") << dump(pre);
  EXPECT_EQ(pre.header("access-control-allow-credentials"), "true") << dump(pre);
  EXPECT_EQ(pre.header("vary"), "Origin") << dump(pre);
  TestResponse simple = client.get("/r", {{"Origin", "https://any.example"}});
  EXPECT_EQ(simple.status, 200) << dump(simple);
  EXPECT_EQ(simple.body, "r");
  EXPECT_EQ(simple.header("access-control-allow-origin"), "https://any.example") << dump(simple);
  EXPECT_EQ(simple.header("access-control-allow-credentials"), "true") << dump(simple);
  EXPECT_EQ(simple.header("vary"), "Origin") << dump(simple);
}

TEST(AppCors, SimpleRequests) {
  Captured log;
  Application app(log.config());
  CorsOptions o = strict_cors();
  o.expose_headers = {"X-Total", "X-Page"};
  app.add_middleware(cors(o));
  int calls = 0;
  app.get("/r", [&calls](Request&) -> Task<Response> {
    ++calls;
    co_return Response::text("r");
  });
  TestClient client(app);
  TestResponse ok = client.get("/r", {{"Origin", "https://ok.example"}});
  EXPECT_EQ(ok.status, 200) << dump(ok);
  EXPECT_EQ(ok.body, "r");
  EXPECT_EQ(ok.header("access-control-allow-origin"), "https://ok.example") << dump(ok);
  EXPECT_EQ(ok.header("vary"), "Origin") << dump(ok);
  EXPECT_EQ(ok.header("access-control-expose-headers"), "X-Total, X-Page") << dump(ok);
  EXPECT_EQ(ok.header("access-control-allow-credentials"), std::nullopt) << dump(ok);
  TestResponse evil = client.get("/r", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(evil.status, 200) << dump(evil);
  EXPECT_EQ(evil.header("access-control-allow-origin"), std::nullopt) << dump(evil);
  TestResponse none = client.get("/r");
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.header("access-control-allow-origin"), std::nullopt) << dump(none);
  EXPECT_EQ(calls, 3);
  // OPTIONS without Access-Control-Request-Method is no preflight: routed.
  TestResponse options = client.request(make("OPTIONS", "/r", {{"Origin", "https://ok.example"}}));
  EXPECT_EQ(options.status, 405) << dump(options);
}

TEST(AppCors, AnyOriginWithoutCredentialsIsAStar) {
  Captured log;
  Application app(log.config());
  CorsOptions o;
  o.allow_origins = {"*"};
  app.add_middleware(cors(o));
  app.get("/r", text("r"));
  TestClient client(app);
  TestResponse r = client.get("/r", {{"Origin", "https://x.example"}});
  EXPECT_EQ(r.header("access-control-allow-origin"), "*") << dump(r);
  EXPECT_EQ(r.header("vary"), std::nullopt) << dump(r);
  TestResponse pre = client.request(
      make("OPTIONS", "/r", {{"Origin", "https://x.example"}, {"Access-Control-Request-Method", "GET"}}));
  EXPECT_EQ(pre.status, 200) << dump(pre);
  EXPECT_EQ(pre.header("access-control-allow-origin"), "*") << dump(pre);
}

// ------------------------------------------------------------ request id

TEST(AppRequestId, EchoesASaneIncomingId) {
  Captured log;
  Application app(log.config());
  app.add_middleware(request_id());
  app.get("/", text("ok"));
  TestClient client(app);
  TestResponse r = client.get("/", {{"X-Request-ID", "abc-123_XYZ"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-request-id"), "abc-123_XYZ") << dump(r);
  EXPECT_EQ(r.header_all("x-request-id").size(), 1u);
  const std::string at_limit(128, 'k');
  EXPECT_EQ(client.get("/", {{"X-Request-ID", at_limit}}).header("x-request-id"), at_limit);
}

TEST(AppRequestId, GeneratesSixteenHexDigitsOtherwise) {
  Captured log;
  Application app(log.config());
  app.add_middleware(request_id());
  app.get("/", text("ok"));
  TestClient client(app);
  std::set<std::string> ids;
  for (const std::vector<std::pair<std::string, std::string>>& headers :
       std::vector<std::vector<std::pair<std::string, std::string>>>{
           {},
           {},
           {{"X-Request-ID", "has space"}},
           {{"X-Request-ID", std::string(129, 'k')}},
           {{"X-Request-ID", "tab\there"}},
           {{"X-Request-ID", ""}},
           {{"X-Request-ID", "caf\xC3\xA9"}}}) {
    TestResponse r = client.get("/", headers);
    const auto id = r.header("x-request-id");
    ASSERT_TRUE(id) << dump(r);
    EXPECT_TRUE(is_hex16(*id)) << "'" << *id << "'";
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 7u) << "generated ids must differ";
}

TEST(AppRequestId, AddsServerTiming) {
  Captured log;
  Application app(log.config());
  app.add_middleware(request_id());
  app.get("/", text("ok"));
  TestClient client(app);
  TestResponse r = client.get("/");
  const auto timing = r.header("server-timing");
  ASSERT_TRUE(timing) << dump(r);
  EXPECT_TRUE(is_app_timing(*timing)) << *timing;
  TestResponse nf = client.get("/nothing");
  EXPECT_EQ(nf.status, 404);
  EXPECT_TRUE(nf.header("x-request-id")) << dump(nf);
  EXPECT_TRUE(nf.header("server-timing")) << dump(nf);
}

TEST(AppRequestId, CustomHeaderName) {
  Captured log;
  Application app(log.config());
  app.add_middleware(request_id("x-correlation-id"));
  app.get("/", text("ok"));
  TestClient client(app);
  TestResponse r = client.get("/", {{"X-Correlation-ID", "corr-1"}, {"X-Request-ID", "other"}});
  EXPECT_EQ(r.header("x-correlation-id"), "corr-1") << dump(r);
  EXPECT_EQ(r.header("x-request-id"), std::nullopt) << dump(r);
}

}  // namespace
