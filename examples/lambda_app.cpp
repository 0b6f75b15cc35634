// A Lambda function on strata's tier 4, the `bootstrap` of a provided.al2023
// function (docs/lambda.md). The same API would serve a port with
// strata::serve(api, argc, argv); here strata::lambda::run(api) answers the
// Runtime API instead. Its routes show what the adapter translates:
//
//   GET  /index?name=N   typed: "Hello N" (text/plain), as `strata serve` answers
//   POST /user           typed: a User body ({"id", "name", "email"}) and back
//   GET  /items?tag=a&tag=b   repeated query parameters, as a JSON list
//   POST /echo           the body back with its Content-Type (binary bodies
//                        come back base64), the query in X-Query
//   GET  /cookies        two Set-Cookie headers; the Cookie header received,
//                        and _X_AMZN_TRACE_ID in X-Trace-Id
//   GET  /boom           a handler that throws: a 500, as behind a server
//   GET  /late/boom      a response that started, then the app threw: the
//                        invocation fails (the Runtime API's /error)
//   GET  /sleep?ms=N     a blocking handler on the thread pool: past the
//                        invocation's deadline, a Timeout
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/describe.hpp>

#include <strata/app/request.hpp>
#include <strata/app/response.hpp>
#include <strata/lambda/lambda.hpp>
#include <strata/router/api.hpp>

using namespace strata;

struct User {
  int64_t id = 0;
  std::string name;
  std::string email;
};
BOOST_DESCRIBE_STRUCT(User, (), (id, name, email))

int main() {
  router::API api({.title = "strata on Lambda"});
  api.get("/index", [](router::Query<"name", std::optional<std::string>> name) {
    return router::PlainText{"Hello " + name->value_or("ASGI World!")};
  });
  api.post("/user", [](router::Body<User> user) { return User{user->id, user->name, user->email}; });
  api.get("/items", [](router::Query<"tag", std::vector<std::string>> tags) { return *tags; });

  app::Application& app = api.application();
  app.route("/echo", {"POST"}, [](app::Request& req) -> Task<app::Response> {
    const std::string body(co_await req.body());
    const std::string type(req.header("content-type").value_or("application/octet-stream"));
    app::Response r = app::Response::bytes(body, type);
    r.header("x-query", req.query_string());
    co_return r;
  });
  app.get("/cookies", [](app::Request& req) -> Task<app::Response> {
    app::Response r = app::Response::text(std::string(req.header("cookie").value_or("")));
    r.set_cookie("a", "1").set_cookie("b", "2");
    const char* trace = std::getenv("_X_AMZN_TRACE_ID");
    r.header("x-trace-id", trace ? trace : "");
    co_return r;
  });
  app.get("/boom", [](app::Request&) -> Task<app::Response> {
    throw std::runtime_error("boom before the response");
    co_return app::Response::text("unreachable");
  });
  app.route_sync("/sleep", {"GET"}, [](app::Request& req) {
    const int ms = std::stoi(std::string(req.query("ms").value_or("0")));
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return app::Response::text("slept");
  });
  // A tier-2 app mounted as it is: it starts a response, then fails.
  app.mount("/late", [](const http::Scope&, http::Receive&, http::Send& send) -> Task<void> {
    const http::Header type{"content-type", "text/plain"};
    co_await send.start({200, std::span<const http::Header>(&type, 1)});
    co_await send.body({"partial", true});
    throw std::runtime_error("boom after the response started");
  });
  return lambda::run(api);
}
