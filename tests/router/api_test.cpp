// Typed endpoints through the test client: parameter sources, 422s,
// dependencies, where handlers run, response validation and the OpenAPI
// document.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "app/testclient.hpp"
#include "router/api.hpp"
#include "router/concurrency.hpp"
#include "router/workload.hpp"

namespace rt_api {

using namespace strata::router;
using strata::Task;
using strata::app::TestClient;
using strata::app::TestRequest;

enum class Order { asc, desc };
BOOST_DESCRIBE_ENUM(Order, asc, desc)

struct Item {
  std::string name;
  double price = 0;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, price, note))

struct Rated {
  int score = 0;
};
BOOST_DESCRIBE_STRUCT(Rated, (), (score))

}  // namespace rt_api

template <>
struct strata::router::model_traits<rt_api::Item> {
  static constexpr auto fields = std::tuple{field(&rt_api::Item::price, {.gt = 0})};
};
template <>
struct strata::router::model_traits<rt_api::Rated> {
  static constexpr auto fields = std::tuple{field(&rt_api::Rated::score, {.ge = 0, .le = 5})};
};

namespace rt_api {

inline constexpr Constraints kPage{.ge = 1, .le = 100};
inline constexpr Constraints kCode{.min_length = 2, .max_length = 4, .pattern = "^[A-Z]+$"};

APIConfig no_docs() {
  APIConfig c;
  c.app.threads = 2;
  c.docs_url = "";
  c.redoc_dir = "/nonexistent/redoc";
  return c;
}

std::string body_of(TestClient& c, const std::string& target) { return c.get(target).body; }

TEST(TypedParams, QueryValuesDefaultsAndOptionals) {
  API api(no_docs());
  api.get("/q", [](Query<"page", int, 1, kPage> page, Query<"q", std::optional<std::string>> q,
                   Query<"order", Order, Order::asc> order, Query<"tag", std::vector<std::string>> tags,
                   Query<"s", std::string, fixed_string{"all"}> s) -> Task<PlainText> {
    std::string out = std::to_string(*page) + "|" + (q->has_value() ? **q : "-") + "|" +
                      (*order == Order::asc ? "asc" : "desc") + "|" + std::to_string(tags->size()) + "|" + *s;
    co_return PlainText{out};
  });
  TestClient c(api.application());
  EXPECT_EQ(body_of(c, "/q"), "1|-|asc|0|all");
  EXPECT_EQ(body_of(c, "/q?page=%2B7&q=hi%20there&order=desc&tag=a&tag=b&s=x"), "7|hi there|desc|2|x");
  EXPECT_EQ(body_of(c, "/q?page=x&page=3"), "3|-|asc|0|all");  // the last of repeated keys, as FastAPI reads them
  auto r = c.get("/q?page=0&order=up");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body,
            R"({"detail":[{"type":"greater_than_equal","loc":["query","page"],"msg":"Input should be greater than or )"
            R"(equal to 1","input":"0","ctx":{"ge":1}},{"type":"enum","loc":["query","order"],"msg":"Input should )"
            R"(be 'asc' or 'desc'","input":"up","ctx":{"expected":"'asc' or 'desc'"}}]})");
  EXPECT_EQ(r.header("content-type").value_or(""), "application/json");
}

TEST(TypedParams, MissingAndUnparsableValuesAreAllReported) {
  API api(no_docs());
  api.get("/items/{id}", [](Path<"id", int64_t> id, Query<"n", int> n, Header<"x-rate", double> rate,
                            Cookie<"session", std::string, no_default, kCode> session) -> Task<PlainText> {
    co_return PlainText{std::to_string(*id + *n) + " " + std::to_string(*rate) + " " + *session};
  });
  TestClient c(api.application());
  auto ok = c.get("/items/40?n=2", {{"X-Rate", "0.5"}, {"Cookie", "a=1; session=AB"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "42 0.500000 AB");

  auto bad = c.get("/items/abc", {{"Cookie", "session=abcdef"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body,
            R"({"detail":[{"type":"int_parsing","loc":["path","id"],"msg":"Input should be a valid integer, unable )"
            R"(to parse string as an integer","input":"abc"},{"type":"missing","loc":["query","n"],"msg":"Field )"
            R"(required","input":null},{"type":"missing","loc":["header","x-rate"],"msg":"Field required",)"
            R"("input":null},{"type":"string_too_long","loc":["cookie","session"],"msg":"String should have at )"
            R"(most 4 characters","input":"abcdef","ctx":{"max_length":4}}]})");
}

TEST(TypedParams, BoolAndIntRangeFollowPydantic) {
  API api(no_docs());
  api.get("/b", [](Query<"on", bool> on, Query<"small", int8_t, int8_t{0}> small) -> Task<PlainText> {
    co_return PlainText{std::string(*on ? "yes" : "no") + std::to_string(*small)};
  });
  TestClient c(api.application());
  EXPECT_EQ(body_of(c, "/b?on=YES"), "yes0");
  EXPECT_EQ(body_of(c, "/b?on=off&small=-128"), "no-128");
  auto r = c.get("/b?on=maybe&small=128");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find(R"("type":"bool_parsing","loc":["query","on"])"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("type":"less_than_equal","loc":["query","small"])"), std::string::npos) << r.body;
}

TEST(TypedBody, DecodesValidatesAndEncodes) {
  API api(no_docs());
  api.post("/items", [](Body<Item> item) -> Task<Item> {
    item->name += "!";
    co_return std::move(*item);
  }, {.status_code = 201});
  TestClient c(api.application());
  auto ok = c.post("/items", R"({"name": "pen", "price": "2.5"})");
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(ok.body, R"({"name":"pen!","price":2.5,"note":null})");

  auto bad = c.post("/items", R"({"price": -1, "note": 3})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body,
            R"({"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":{"price":-1,)"
            R"("note":3}},{"type":"greater_than","loc":["body","price"],"msg":"Input should be greater than 0",)"
            R"("input":-1,"ctx":{"gt":0}},{"type":"string_type","loc":["body","note"],"msg":"Input should be a )"
            R"(valid string","input":3}]})");

  auto broken = c.post("/items", R"({"name": "pen",)");
  EXPECT_EQ(broken.status, 422);
  EXPECT_NE(broken.body.find(R"("type":"json_invalid","loc":["body",)"), std::string::npos) << broken.body;
}

TEST(TypedBody, ContentTypeMustSayJson) {
  API api(no_docs());
  api.post("/items", [](Body<Item> item) -> Task<Item> { co_return std::move(*item); });
  TestClient c(api.application());
  const std::string item = R"({"name":"pen","price":1.0,"note":null})";
  EXPECT_EQ(c.post("/items", item, "application/json; charset=utf-8").status, 200);
  EXPECT_EQ(c.post("/items", item, "application/vnd.shop+json").status, 200);

  auto form = c.post("/items", item, "application/x-www-form-urlencoded");
  EXPECT_EQ(form.status, 422);
  EXPECT_EQ(form.body,
            R"({"detail":[{"type":"content_type","loc":["body"],"msg":"Content-Type should be application/json",)"
            R"("input":"application/x-www-form-urlencoded"}]})");

  TestRequest bare;
  bare.method = "POST";
  bare.target = "/items";
  bare.body = item;
  auto none = c.request(bare);
  EXPECT_EQ(none.status, 422);
  EXPECT_NE(none.body.find(R"("type":"content_type","loc":["body"])"), std::string::npos);
  EXPECT_NE(none.body.find(R"("input":null)"), std::string::npos);
}

// ------------------------------------------------------------------ dependencies

std::atomic<int> g_user_calls{0};

struct CurrentUser {
  std::string name;
};

CurrentUser current_user(Header<"x-token", std::string> token) {
  ++g_user_calls;
  if (*token != "secret") throw strata::app::HTTPException(401, "Invalid token", {{"www-authenticate", "Bearer"}});
  return {"ada"};
}

std::string greeting(Depends<current_user> user, Query<"greet", std::string, fixed_string{"Hello"}> greet) {
  return *greet + " " + user->name;
}

Task<int> async_limit(Query<"limit", int, 10, kPage> limit) {
  co_await async_sleep(0.001);
  co_return *limit;
}

TEST(TypedDepends, SolvedOncePerRequestAndShared) {
  API api(no_docs());
  api.get("/me", [](Depends<current_user> user, Depends<greeting> text, Depends<async_limit> limit) -> Task<PlainText> {
    co_return PlainText{*text + " (" + user->name + ") " + std::to_string(*limit)};
  });
  TestClient c(api.application());
  g_user_calls = 0;
  auto ok = c.get("/me?greet=Hi&limit=3", {{"x-token", "secret"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "Hi ada (ada) 3");
  EXPECT_EQ(g_user_calls.load(), 1);  // used twice, solved once

  auto denied = c.get("/me", {{"x-token", "nope"}});
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.body, R"({"detail":"Invalid token"})");
  EXPECT_EQ(denied.header("www-authenticate").value_or(""), "Bearer");

  // A dependency's own parameters fail together with the handler's.
  auto bad = c.get("/me?limit=0");
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find(R"("loc":["header","x-token"])"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find(R"("loc":["query","limit"])"), std::string::npos) << bad.body;
}

// A dependency returning nothing is a guard: it runs once per request
// however many parameters name it, and its exception is the answer.
std::atomic<int> g_guard_calls{0};
void require_key(Header<"x-key", std::string> key) {
  ++g_guard_calls;
  if (*key != "k") throw strata::app::HTTPException(403, "Forbidden");
}
Task<void> async_guard(Depends<require_key>) {
  co_await async_sleep(0.001);
  co_return;
}
int guarded_number(Depends<require_key>) { return 7; }

TEST(TypedDepends, AGuardReturningNothingRunsOnceAndCanRefuse) {
  API api(no_docs());
  api.get("/guarded", [](Depends<require_key>, Depends<async_guard>, Depends<guarded_number> n) -> Task<int> {
    co_return *n;
  });
  TestClient c(api.application());
  g_guard_calls = 0;
  auto ok = c.get("/guarded", {{"x-key", "k"}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, "7");
  EXPECT_EQ(g_guard_calls.load(), 1);
  auto refused = c.get("/guarded", {{"x-key", "no"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body, R"({"detail":"Forbidden"})");
  auto missing = c.get("/guarded");
  EXPECT_EQ(missing.status, 422);
  EXPECT_NE(missing.body.find(R"("loc":["header","x-key"])"), std::string::npos) << missing.body;
  // OpenAPI lists the guard's own parameter.
  EXPECT_NE(api.openapi().find(R"("name":"x-key")"), std::string::npos);
}

// A move-only dependency is a resource: opened once per request, shared by
// every Depends of it, closed only after the response (also on errors).
std::vector<std::string> g_life;
struct Tracked {
  bool live = true;
  Tracked() { g_life.push_back("open"); }
  Tracked(Tracked&& o) noexcept { o.live = false; }
  Tracked(const Tracked&) = delete;
  ~Tracked() {
    if (live) g_life.push_back("close");
  }
};
Task<Tracked> open_tracked() {
  co_await async_sleep(0.001);
  co_return Tracked();
}
int uses_tracked(Depends<open_tracked> t) { return t->live ? 1 : 0; }

TEST(TypedDepends, ResourcesAreReleasedAfterTheResponseWhateverHappens) {
  API api(no_docs());
  api.get("/r", [](Depends<open_tracked> a, Depends<uses_tracked> b, Query<"n", int> n) -> Task<PlainText> {
    g_life.push_back("handler");
    if (*n == 0) throw strata::app::HTTPException(409, "conflict");
    if (*n < 0) throw std::runtime_error("handler bug");
    co_return PlainText{std::to_string(*b + (a->live ? 1 : 0))};
  });
  api.get("/sync", [](Depends<open_tracked>) -> PlainText {  // the pool thread sees the same object
    g_life.push_back("handler");
    return PlainText{"ok"};
  });
  TestClient c(api.application());
  const std::vector<std::string> full = {"open", "handler", "close"};

  g_life.clear();
  auto ok = c.get("/r?n=1");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "2");
  EXPECT_EQ(g_life, full);  // one open for two Depends

  g_life.clear();
  EXPECT_EQ(c.get("/r?n=0").status, 409);
  EXPECT_EQ(g_life, full);

  g_life.clear();
  EXPECT_EQ(c.get("/r?n=-1").status, 500);
  EXPECT_EQ(g_life, full);

  g_life.clear();
  EXPECT_EQ(c.get("/r?n=x").status, 422);  // dependencies were solved before the 422
  EXPECT_EQ(g_life, (std::vector<std::string>{"open", "close"}));

  g_life.clear();
  EXPECT_EQ(c.get("/sync").status, 200);
  EXPECT_EQ(g_life, full);
}

TEST(TypedBody, ErrorsComeInFastApisOrder) {
  // Dependencies, then path, query, header and cookie parameters, then the
  // body, whatever order the handler declares them in.
  API api(no_docs());
  api.post("/o/{id}", [](Body<Item>, Cookie<"c", int>, Query<"q", int>, Depends<current_user>, Path<"id", int>)
                          -> Task<void> { co_return; });
  TestClient c(api.application());
  auto r = c.post("/o/x", "{}");
  EXPECT_EQ(r.status, 422);
  std::vector<std::string> locs;
  for (size_t at = r.body.find("\"loc\":"); at != std::string::npos; at = r.body.find("\"loc\":", at + 1))
    locs.push_back(r.body.substr(at + 6, r.body.find(']', at) - at - 5));
  const std::vector<std::string> expected = {R"(["header","x-token"])", R"(["path","id"])", R"(["query","q"])",
                                             R"(["cookie","c"])", R"(["body","name"])", R"(["body","price"])"};
  EXPECT_EQ(locs, expected) << r.body;
}

// ------------------------------------------------------------------ where handlers run, what they return

TEST(TypedHandlers, SyncHandlersRunOnThePoolAsyncOnTheLoop) {
  API api(no_docs());
  api.get("/sync", []() -> PlainText {
    std::ostringstream s;
    s << std::this_thread::get_id();
    return {s.str()};
  });
  api.get("/async", []() -> Task<PlainText> {
    std::ostringstream s;
    s << std::this_thread::get_id();
    co_return PlainText{s.str()};
  });
  TestClient c(api.application());
  std::ostringstream here;
  here << std::this_thread::get_id();  // the test client runs its loop on this thread
  EXPECT_EQ(body_of(c, "/async"), here.str());
  EXPECT_NE(body_of(c, "/sync"), here.str());
}

TEST(TypedHandlers, ReturnTypes) {
  API api(no_docs());
  api.get("/none", []() -> Task<void> { co_return; });
  api.get("/resp", []() -> strata::app::Response { return strata::app::Response::text("raw", 202); });
  api.get("/list", []() -> std::vector<int> { return {1, 2}; });
  api.get("/boom", []() -> Task<PlainText> {
    throw strata::app::HTTPException(409);
    co_return PlainText{};
  });
  TestClient c(api.application());
  EXPECT_EQ(body_of(c, "/none"), "null");
  auto resp = c.get("/resp");
  EXPECT_EQ(resp.status, 202);
  EXPECT_EQ(resp.body, "raw");
  EXPECT_EQ(body_of(c, "/list"), "[1,2]");
  auto teapot = c.get("/boom");
  EXPECT_EQ(teapot.status, 409);
  EXPECT_EQ(teapot.body, R"({"detail":"Conflict"})");
}

TEST(TypedHandlers, NothingReturnedWithA204IsSentWithoutABody) {
  APIConfig config = no_docs();
  API api(config);
  api.del("/items/{id}", [](Path<"id", int64_t>) -> Task<void> { co_return; }, {.status_code = 204});
  api.put("/sync/{id}", [](Path<"id", int64_t>) {}, {.status_code = 204});
  api.post("/none", []() -> Task<void> { co_return; }, {.status_code = 201});
  api.del("/raw/{id}", [](Path<"id", int64_t>) { return strata::app::Response::empty(204); }, {.status_code = 204});
  TestClient c(api.application());
  for (const char* method : {"DELETE", "PUT"}) {
    TestRequest r;
    r.method = method;
    r.target = std::string(method) == "DELETE" ? "/items/7" : "/sync/7";
    auto gone = c.request(r);
    EXPECT_EQ(gone.status, 204) << method;
    EXPECT_EQ(gone.body, "") << method;
    EXPECT_FALSE(gone.header("content-type")) << method << ": " << gone.header("content-type").value_or("");
  }
  // A status with a body still answers JSON null, as FastAPI's `-> None` does.
  auto created = c.post("/none", "");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, "null");
  // OpenAPI: a 204 has no content to describe; a 201 keeps its schema.
  const std::string& doc = api.openapi();
  EXPECT_NE(doc.find(R"("204":{"description":"Successful Response"})"), std::string::npos) << doc;
  EXPECT_EQ(doc.find(R"("204":{"description":"Successful Response","content")"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("201":{"description":"Successful Response","content":{"application/json")"),
            std::string::npos)
      << doc;
}

struct NotFoundMessage {
  std::string detail;
};
BOOST_DESCRIBE_STRUCT(NotFoundMessage, (), (detail))

TEST(TypedOpenApi, ExtraResponsesAreDocumentedWithTheirModels) {
  API api(no_docs());
  api.get("/things/{id}", [](Path<"id", int64_t> id) -> Task<int64_t> { co_return *id; },
          {.responses = {response<NotFoundMessage>(404, "No such thing"), {.status = 409}}});
  const std::string& doc = api.openapi();
  EXPECT_NE(doc.find(R"("404":{"description":"No such thing","content":{"application/json":{"schema":{"$ref":)"
                     R"("#/components/schemas/NotFoundMessage"}}}})"),
            std::string::npos)
      << doc;
  EXPECT_NE(doc.find(R"("409":{"description":"Conflict"})"), std::string::npos) << doc;
  EXPECT_NE(doc.find(R"("NotFoundMessage":{)"), std::string::npos) << doc;
  // What the handler answers is unchanged.
  TestClient c(api.application());
  EXPECT_EQ(c.get("/things/5").body, "5");

  // A status documented twice, or none at all, is refused when the route is added.
  API twice(no_docs());
  EXPECT_THROW(twice.get("/a/{id}", [](Path<"id", int64_t>) { return 1; }, {.responses = {{.status = 422}}}),
               std::invalid_argument);
  EXPECT_THROW(twice.get("/b", [] { return 1; }, {.responses = {{.status = 200}}}), std::invalid_argument);
  EXPECT_THROW(twice.get("/c", [] { return 1; }, {.responses = {{.status = 42}}}), std::invalid_argument);
}

TEST(TypedHandlers, ResponseValidationCanBeTurnedOff) {
  for (bool validate : {true, false}) {
    APIConfig config = no_docs();
    config.validate_responses = validate;
    config.app.log = [](std::string_view) {};
    API api(config);
    api.get("/rated", []() -> Task<Rated> { co_return Rated{9}; });
    TestClient c(api.application());
    auto r = c.get("/rated");
    EXPECT_EQ(r.status, validate ? 500 : 200);
    if (!validate) {
      EXPECT_EQ(r.body, R"({"score":9})");
    }
  }
}

TEST(TypedRoutes, PathParametersMustBeInThePath) {
  API api(no_docs());
  EXPECT_THROW(api.get("/items", [](Path<"id", int>) -> Task<void> { co_return; }), std::invalid_argument);
  EXPECT_THROW(api.get("/items/{identifier}", [](Path<"id", int>) -> Task<void> { co_return; }),
               std::invalid_argument);
  EXPECT_NO_THROW(api.get("/items/{id}", [](Path<"id", int>) -> Task<void> { co_return; }));
}

// ------------------------------------------------------------------ seed workloads

TEST(TypedWorkload, SeedAnswers) {
  APIConfig config = no_docs();
  API api(config);
  add_workload_routes(api);
  TestClient c(api.application());
  auto user = c.post("/user", R"({"id": 1, "name": "user", "email": "user@email.com"})");
  EXPECT_EQ(user.status, 200);
  EXPECT_EQ(user.body, R"({"id":1,"name":"user","email":"user@email.com"})");
  EXPECT_EQ(body_of(c, "/"), "Hello ASGI World!");
  EXPECT_EQ(body_of(c, "/index?name=strata"), "Hello strata");
  EXPECT_EQ(body_of(c, "/index"), "Hello ASGI World!");

  const std::pair<std::string, std::string> seed004[] = {
      {"/fastapi/async_slowest/?delay=0.001", R"({"message":"async mode but use sync sleep"})"},
      {"/fastapi/async_sleep_in_thread/?delay=0.001", R"({"message":"sleep run in thread pool"})"},
      {"/fastapi/async_sleep/?delay=0.001", R"({"message":"async mode sleep"})"},
      {"/fastapi/sync/?delay=0", R"({"message":"sync, but run in thread pool"})"},
      {"/fastapi/sync_cpu_bound/?n=1000", R"({"data":1000,"message":"sync mode cpu operation"})"},
      {"/fastapi/async_cpu_bound/?n=1000", R"({"data":1000,"message":"async mode cpu operation"})"},
      {"/fastapi/async_cpu_bound_slow/?n=1000", R"({"message":"sync mode operation but run in async mode"})"},
  };
  for (const auto& [target, body] : seed004) EXPECT_EQ(body_of(c, target), body) << target;

  auto bad = c.get("/fastapi/async_sleep/?delay=61");
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find(R"("type":"less_than_equal","loc":["query","delay"])"), std::string::npos) << bad.body;
  EXPECT_EQ(c.post("/user", R"({"id": "x", "name": "user"})").status, 422);
}

TEST(TypedWorkload, CountsExactly) {
  EXPECT_EQ(count_to(0), 0);
  EXPECT_EQ(count_to(12345), 12345);
}

// ------------------------------------------------------------------ OpenAPI

TEST(OpenApi, DescribesRoutesParametersBodiesAndModels) {
  API api(no_docs());
  add_workload_routes(api);
  api.post("/items/{id}", [](Path<"id", int64_t>, Query<"page", int, 1, kPage>, Body<Item> item) -> Task<Item> {
    co_return std::move(*item);
  }, {.status_code = 201, .tags = {"items"}});
  const std::string& doc = api.openapi();

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(doc).get(root), simdjson::SUCCESS) << doc;
  EXPECT_EQ(std::string_view(root["openapi"]), "3.1.0");

  auto user = root["paths"]["/user"]["post"];
  EXPECT_EQ(std::string_view(user["operationId"]), "pydantic_user");
  EXPECT_EQ(std::string_view(user["requestBody"]["content"]["application/json"]["schema"]["$ref"]),
            "#/components/schemas/User");
  EXPECT_EQ(std::string_view(user["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]),
            "#/components/schemas/User");
  EXPECT_EQ(std::string_view(user["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]),
            "#/components/schemas/HTTPValidationError");

  auto item = root["paths"]["/items/{id}"]["post"];
  EXPECT_EQ(std::string_view(item["tags"].at(0)), "items");
  ASSERT_EQ(item["parameters"].get_array().size(), 2u);
  EXPECT_EQ(std::string_view(item["parameters"].at(0)["in"]), "path");
  EXPECT_TRUE(bool(item["parameters"].at(0)["required"]));
  auto page = item["parameters"].at(1);
  EXPECT_EQ(std::string_view(page["name"]), "page");
  EXPECT_FALSE(bool(page["required"]));
  EXPECT_EQ(int64_t(page["schema"]["minimum"]), 1);
  EXPECT_EQ(int64_t(page["schema"]["maximum"]), 100);
  EXPECT_EQ(int64_t(page["schema"]["default"]), 1);
  EXPECT_TRUE(item["responses"]["201"].error() == simdjson::SUCCESS);

  auto index = root["paths"]["/"]["get"]["responses"]["200"]["content"]["text/plain"];
  EXPECT_EQ(std::string_view(index["schema"]["type"]), "string");
  EXPECT_TRUE(root["paths"]["/"]["get"]["responses"]["422"].error() == simdjson::NO_SUCH_FIELD);

  auto schemas = root["components"]["schemas"];
  EXPECT_EQ(int64_t(schemas["Item"]["properties"]["price"]["exclusiveMinimum"]), 0);
  for (const char* name : {"User", "Item", "Message", "CountMessage", "HTTPValidationError", "ValidationError"})
    EXPECT_TRUE(schemas[name].error() == simdjson::SUCCESS) << name;
  EXPECT_TRUE(root["paths"]["/openapi.json"].error() == simdjson::NO_SUCH_FIELD);

  TestClient c(api.application());
  auto served = c.get("/openapi.json");
  EXPECT_EQ(served.status, 200);
  EXPECT_EQ(served.body, doc);
}

TEST(OpenApi, DocsPageSaysWhatIsMissing) {
  APIConfig config = no_docs();
  config.docs_url = "/docs";
  config.docs_dir = "/nonexistent/swagger-ui-dist";
  API api(config);
  TestClient c(api.application());
  auto r = c.get("/docs");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("Swagger UI is not installed: /nonexistent/swagger-ui-dist/swagger-ui.css is missing"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(c.get("/docs/swagger-ui-bundle.js").status, 404);
  EXPECT_EQ(c.get("/redoc").status, 404);  // no_docs() points nowhere for ReDoc either
}

TEST(OpenApi, RedocPageAndBundle) {
  const std::string dir = ::testing::TempDir() + "redoc-bundle";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/redoc.standalone.js") << "/* redoc */";
  APIConfig config = no_docs();
  config.title = "Shelf";
  config.redoc_dir = dir;
  API api(config);
  TestClient c(api.application());
  auto page = c.get("/redoc");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type").value_or(""), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<title>Shelf - ReDoc</title>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find(R"(<redoc spec-url="/openapi.json"></redoc>)"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find(R"(<script src="/redoc/redoc.standalone.js"> </script>)"), std::string::npos);
  auto js = c.get("/redoc/redoc.standalone.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "/* redoc */");
  EXPECT_EQ(js.header("content-type").value_or(""), "text/javascript; charset=utf-8");
  EXPECT_EQ(api.openapi().find("redoc"), std::string::npos);  // not in the document

  config.redoc_dir = dir + "/missing";
  API missing(config);
  TestClient m(missing.application());
  auto r = m.get("/redoc");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("ReDoc is not installed: " + dir + "/missing/redoc.standalone.js is missing"),
            std::string::npos)
      << r.body;
  config.redoc_url = "";
  API off(config);
  TestClient o(off.application());
  EXPECT_EQ(o.get("/redoc").status, 404);
  EXPECT_EQ(o.get("/redoc").body, "Not Found");
}

}  // namespace rt_api
