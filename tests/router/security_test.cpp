// Security schemes, dependencies named outside the handler (per route, per
// router, per API), APIRouter and dependency overrides, through the test
// client; FastAPI's answers (the version Debian ships) are the expectations.
#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include "app/testclient.hpp"
#include "router/api.hpp"

namespace rt_security {

using namespace strata::router;
using strata::Task;
using strata::app::HTTPException;
using strata::app::TestClient;

APIConfig no_docs() {
  APIConfig c;
  c.app.threads = 1;
  c.docs_url = "";
  return c;
}

bool has(const std::string& doc, std::string_view part) { return doc.find(part) != std::string::npos; }

// ------------------------------------------------------------------ the schemes

TEST(SecuritySchemes, APIKeysFromHeaderQueryAndCookie) {
  API api(no_docs());
  api.get("/h", [](APIKeyHeader<"X-API-Key"> key) -> Task<PlainText> { co_return PlainText{*key}; });
  api.get("/q", [](APIKeyQuery<"api_key"> key) -> Task<PlainText> { co_return PlainText{*key}; });
  api.get("/c", [](APIKeyCookie<"session"> key) -> Task<PlainText> { co_return PlainText{*key}; });
  api.get("/opt", [](APIKeyHeader<"X-API-Key", false> key) -> Task<PlainText> {
    co_return PlainText{key->value_or("none")};
  });
  TestClient c(api.application());
  EXPECT_EQ(c.get("/h", {{"x-api-key", "k1"}}).body, "k1");  // header names without regard to case
  EXPECT_EQ(c.get("/q?api_key=k2").body, "k2");
  EXPECT_EQ(c.get("/c", {{"cookie", "a=1; session=k3"}}).body, "k3");
  for (const char* target : {"/h", "/q", "/c", "/q?api_key="}) {
    auto r = c.get(target);
    EXPECT_EQ(r.status, 403) << target;
    EXPECT_EQ(r.body, R"({"detail":"Not authenticated"})") << target;
    EXPECT_FALSE(r.header("www-authenticate")) << target;
  }
  EXPECT_EQ(c.get("/h", {{"x-api-key", ""}}).status, 403);  // FastAPI: `if not api_key`
  EXPECT_EQ(c.get("/opt").body, "none");
  EXPECT_EQ(c.get("/opt", {{"x-api-key", "k"}}).body, "k");
}

TEST(SecuritySchemes, HTTPBearer) {
  API api(no_docs());
  api.get("/b", [](HTTPBearer<> cred) -> Task<PlainText> { co_return PlainText{cred->scheme + "|" + cred->credentials}; });
  api.get("/opt", [](HTTPBearer<false> cred) -> Task<PlainText> {
    co_return PlainText{cred->has_value() ? (*cred)->credentials : "none"};
  });
  TestClient c(api.application());
  EXPECT_EQ(c.get("/b", {{"authorization", "Bearer abc.def"}}).body, "Bearer|abc.def");
  EXPECT_EQ(c.get("/b", {{"authorization", "bearer t o k"}}).body, "bearer|t o k");  // split at the first space
  auto none = c.get("/b");
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(none.body, R"({"detail":"Not authenticated"})");
  EXPECT_EQ(c.get("/b", {{"authorization", "Bearer"}}).body, R"({"detail":"Not authenticated"})");
  EXPECT_EQ(c.get("/b", {{"authorization", "Bearer "}}).status, 403);
  auto basic = c.get("/b", {{"authorization", "Basic abc"}});
  EXPECT_EQ(basic.status, 403);
  EXPECT_EQ(basic.body, R"({"detail":"Invalid authentication credentials"})");
  EXPECT_EQ(c.get("/opt").body, "none");
  EXPECT_EQ(c.get("/opt", {{"authorization", "Basic abc"}}).body, "none");
  EXPECT_EQ(c.get("/opt", {{"authorization", "Bearer t"}}).body, "t");
}

TEST(SecuritySchemes, HTTPBasicDecodesAsPythonDoes) {
  API api(no_docs());
  api.get("/basic", [](HTTPBasic<> cred) -> Task<PlainText> {
    co_return PlainText{cred->username + "|" + cred->password};
  });
  api.get("/realm", [](HTTPBasic<"shelf"> cred) -> Task<PlainText> { co_return PlainText{cred->username}; });
  TestClient c(api.application());
  auto basic = [&](std::string value) { return c.get("/basic", {{"authorization", std::move(value)}}); };
  EXPECT_EQ(basic("Basic dXNlcjpwYXNz").body, "user|pass");       // "user:pass"
  EXPECT_EQ(basic("basic dXNlcjpwOmFzcw==").body, "user|p:ass");  // "user:p:ass": the first ':' splits
  EXPECT_EQ(basic("Basic OnBhc3M=").body, "|pass");               // ":pass": an empty user is allowed
  EXPECT_EQ(basic("Basic dXNl\ncjpwYXNz").body, "user|pass");     // outside the alphabet: skipped
  EXPECT_EQ(basic("Basic =dXNlcjpwYXNz").body, "user|pass");      // '=' early in a quad: skipped
  EXPECT_EQ(basic("Basic dXNlcjpwYXNz==").body, "user|pass");

  auto missing = c.get("/basic");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.body, R"({"detail":"Not authenticated"})");
  EXPECT_EQ(missing.header("www-authenticate").value_or(""), "Basic");
  EXPECT_EQ(basic("Bearer dXNlcjpwYXNz").body, R"({"detail":"Not authenticated"})");
  // Bad padding, no ':', nothing, not ASCII ("\xc0\xbf:a"), and data after
  // padding that Python decodes on into bytes that are not ASCII.
  for (const char* bad :
       {"Basic dXNlcjpwYXN", "Basic dXNlcg==", "Basic", "Basic wL86YQ==", "Basic dXNlcjpwYXNz=====trailing"}) {
    auto r = basic(bad);
    EXPECT_EQ(r.status, 401) << bad;
    EXPECT_EQ(r.body, R"({"detail":"Invalid authentication credentials"})") << bad;
    EXPECT_EQ(r.header("www-authenticate").value_or(""), "Basic") << bad;
  }
  EXPECT_EQ(c.get("/realm").header("www-authenticate").value_or(""), R"(Basic realm="shelf")");
}

TEST(SecuritySchemes, OAuth2PasswordBearer) {
  API api(no_docs());
  api.get("/me", [](OAuth2PasswordBearer<"token"> token) -> Task<PlainText> { co_return PlainText{*token}; });
  TestClient c(api.application());
  EXPECT_EQ(c.get("/me", {{"authorization", "Bearer tok"}}).body, "tok");
  EXPECT_EQ(c.get("/me", {{"authorization", "Bearer"}}).body, "");  // FastAPI hands on the empty token
  for (const char* value : {"", "Basic tok", "Bearertok"}) {
    auto r = *value ? c.get("/me", {{"authorization", value}}) : c.get("/me");
    EXPECT_EQ(r.status, 401) << value;
    EXPECT_EQ(r.body, R"({"detail":"Not authenticated"})") << value;
    EXPECT_EQ(r.header("www-authenticate").value_or(""), "Bearer") << value;
  }
}

// A scheme inside a dependency answers before the handler's own parameters
// are looked at, as FastAPI's dependencies do.
std::string g_secret = "s3";
void verify_key(APIKeyHeader<"X-API-Key"> key) {
  if (*key != g_secret) throw HTTPException(401, "Invalid API key");
}

TEST(SecuritySchemes, InsideADependencyAndDocumented) {
  API api(no_docs());
  api.post("/items", [](Depends<verify_key>, Query<"n", int> n) -> Task<int> { co_return *n; });
  api.get("/me", [](HTTPBearer<> b, OAuth2PasswordBearer<"/token"> t) -> Task<PlainText> {
    co_return PlainText{b->credentials + *t};
  });
  api.get("/open", []() -> Task<int> { co_return 1; });
  TestClient c(api.application());
  EXPECT_EQ(c.request({.method = "POST", .target = "/items?n=x"}).status, 403);  // before the 422
  EXPECT_EQ(c.request({.method = "POST", .target = "/items?n=2", .headers = {{"x-api-key", "no"}}}).status, 401);
  auto ok = c.request({.method = "POST", .target = "/items?n=2", .headers = {{"x-api-key", "s3"}}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "2");

  const std::string& doc = api.openapi();
  EXPECT_TRUE(has(doc, R"("securitySchemes":{"APIKeyHeader":{"type":"apiKey","in":"header","name":"X-API-Key"},)"
                       R"("HTTPBearer":{"type":"http","scheme":"bearer"},"OAuth2PasswordBearer":{"type":"oauth2",)"
                       R"("flows":{"password":{"scopes":{},"tokenUrl":"/token"}}}})"))
      << doc;
  EXPECT_TRUE(has(doc, R"("operationId":"post_items","parameters":[{"name":"n")")) << doc;  // the key is no parameter
  EXPECT_TRUE(has(doc, R"("security":[{"APIKeyHeader":[]}])")) << doc;
  EXPECT_TRUE(has(doc, R"("security":[{"HTTPBearer":[]},{"OAuth2PasswordBearer":[]}])")) << doc;
  EXPECT_EQ(doc.find(R"("operationId":"get_open","security")"), std::string::npos);
}

TEST(SecuritySchemes, TwoSchemesCannotShareAName) {
  API api(no_docs());
  api.get("/a", [](APIKeyHeader<"X-A"> k) -> Task<PlainText> { co_return PlainText{*k}; });
  api.get("/a2", [](APIKeyHeader<"X-A"> k) -> Task<PlainText> { co_return PlainText{*k}; });  // the same: fine
  EXPECT_THROW(api.get("/b", [](APIKeyHeader<"X-B"> k) -> Task<PlainText> { co_return PlainText{*k}; }),
               std::invalid_argument);
  api.get("/c", [](APIKeyHeader<"X-B", true, "KeyB"> k) -> Task<PlainText> { co_return PlainText{*k}; });
  EXPECT_TRUE(has(api.openapi(), R"("KeyB":{"type":"apiKey","in":"header","name":"X-B"})"));
}

// ------------------------------------------------------------------ dependencies outside the handler

std::atomic<int> g_counted{0};
int counted(Query<"c", int, 0> c) {
  ++g_counted;
  return *c;
}
void needs_flag(Header<"x-flag", std::string> flag) {
  if (*flag != "on") throw HTTPException(400, "flag off");
}

TEST(RouteDependencies, RunFirstShareTheCacheAndListTheirErrorsFirst) {
  APIConfig config = no_docs();
  config.dependencies = {dependency<needs_flag>()};
  API api(config);
  api.get("/x", [](Depends<counted> c, Query<"q", int> q) -> Task<int> { co_return *c + *q; },
          {.dependencies = {dependency<counted>(), dependency<APIKeyQuery<"key">>()}});
  TestClient c(api.application());
  g_counted = 0;
  auto ok = c.get("/x?c=1&q=2&key=k", {{"x-flag", "on"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "3");
  EXPECT_EQ(g_counted.load(), 1);  // named twice, solved once
  EXPECT_EQ(c.get("/x?c=1&q=2&key=k", {{"x-flag", "off"}}).body, R"({"detail":"flag off"})");
  EXPECT_EQ(c.get("/x?q=2", {{"x-flag", "on"}}).status, 403);  // the route's scheme
  auto bad = c.get("/x?c=z&q=y&key=k");
  EXPECT_EQ(bad.status, 422);
  // The API's dependency, then the route's, then the handler's.
  const size_t flag = bad.body.find(R"(["header","x-flag"])"), dep = bad.body.find(R"(["query","c"])"),
               own = bad.body.find(R"(["query","q"])");
  EXPECT_TRUE(flag < dep && dep < own && own != std::string::npos) << bad.body;

  const std::string& doc = api.openapi();
  EXPECT_TRUE(has(doc, R"("name":"x-flag","in":"header")")) << doc;
  EXPECT_TRUE(has(doc, R"("security":[{"APIKeyQuery":[]}])")) << doc;
}

// ------------------------------------------------------------------ APIRouter

void count_router() { ++g_counted; }

TEST(APIRouters, PrefixTagsDependenciesAndResponsesCompose) {
  APIRouter books({.prefix = "/books", .tags = {"books"}, .dependencies = {dependency<count_router>()}});
  books.get("/{id}", [](Path<"id", int> id) -> Task<int> { co_return *id; },
            {.name = "get_book", .tags = {"read"}, .responses = {response<std::string>(404, "No book")}});
  books.post("", []() -> Task<PlainText> { co_return PlainText{"made"}; }, {.status_code = 201});
  APIRouter v1({.prefix = "/v1", .responses = {response<std::string>(404, "Gone"), ResponseDoc{418, "Teapot"}}});
  v1.include_router(books, {.tags = {"v1"}});
  v1.get("/ping", []() -> Task<PlainText> { co_return PlainText{"pong"}; });

  API api(no_docs());
  api.include_router(v1, {.prefix = "/api", .tags = {"api"}});
  api.include_router(books);  // the same router again, at its own prefix
  TestClient c(api.application());
  g_counted = 0;
  EXPECT_EQ(c.get("/api/v1/books/7").body, "7");
  EXPECT_EQ(c.get("/books/8").body, "8");
  EXPECT_EQ(g_counted.load(), 2);
  EXPECT_EQ(c.request({.method = "POST", .target = "/api/v1/books"}).status, 201);
  EXPECT_EQ(c.get("/api/v1/ping").body, "pong");
  EXPECT_EQ(c.get("/v1/ping").status, 404);

  const std::string& doc = api.openapi();
  // Outermost tags first, as FastAPI orders them.
  EXPECT_TRUE(has(doc, R"("/api/v1/books/{id}":{"get":{"tags":["api","v1","books","read"])")) << doc;
  EXPECT_TRUE(has(doc, R"("/books/{id}":{"get":{"tags":["books","read"])")) << doc;
  // The route's own 404 wins over the router's; the router's 418 is kept.
  const std::string book = doc.substr(0, doc.find(R"("/api/v1/books":)"));
  EXPECT_TRUE(has(book, R"("404":{"description":"No book")")) << doc;
  EXPECT_FALSE(has(book, R"("description":"Gone")")) << doc;
  EXPECT_TRUE(has(book, R"("418":{"description":"Teapot"})")) << doc;
  EXPECT_TRUE(has(doc, R"("get_api_v1_ping","responses":{"200":{"description":"Successful Response","content":)"
                       R"({"text/plain":{"schema":{"type":"string"}}}},"404":{"description":"Gone")"))
      << doc;
}

TEST(APIRouters, PrefixesAreChecked) {
  EXPECT_THROW(APIRouter({.prefix = "books"}), std::invalid_argument);
  EXPECT_THROW(APIRouter({.prefix = "/books/"}), std::invalid_argument);
  APIRouter r;
  r.get("/x", []() -> Task<int> { co_return 1; });
  API api(no_docs());
  EXPECT_THROW(api.include_router(r, {.prefix = "/a/"}), std::invalid_argument);
  api.include_router(r);
  EXPECT_THROW(api.include_router(r), std::invalid_argument);  // the same route twice
}

// ------------------------------------------------------------------ overrides

struct User {
  std::string name;
};
User current_user(Header<"x-token", std::string> token) {
  if (*token != "t") throw HTTPException(401, "Invalid token");
  return {"ada"};
}
std::string greeting(Depends<current_user> user) { return "hello " + user->name; }
struct Conn {
  bool live = true;
  explicit Conn(bool l) : live(l) {}
  Conn(Conn&& o) noexcept : live(o.live) { o.live = false; }
  Conn(const Conn&) = delete;
};
Conn open_conn() { return Conn(true); }

TEST(DependencyOverrides, ReplaceADependencyAtAnyDepthForOneAPI) {
  API api(no_docs());
  api.get("/hi", [](Depends<greeting> g) -> Task<PlainText> { co_return PlainText{*g}; });
  api.get("/who", [](Depends<current_user> u) -> Task<PlainText> { co_return PlainText{u->name}; });
  api.get("/guarded", []() -> Task<int> { co_return 1; }, {.dependencies = {dependency<verify_key>()}});
  api.get("/conn", [](Depends<open_conn> c) -> Task<PlainText> { co_return PlainText{c->live ? "real" : "fake"}; });
  API other(no_docs());
  other.get("/who", [](Depends<current_user> u) -> Task<PlainText> { co_return PlainText{u->name}; });

  TestClient c(api.application());
  TestClient c2(other.application());
  EXPECT_EQ(c.get("/hi").status, 422);  // x-token is required
  // The replacement has parameters of its own, read from the request instead.
  api.override_dependency<current_user>([](Query<"as", std::string, fixed_string{"grace"}> as) {
    return User{*as};
  });
  EXPECT_EQ(c.get("/hi").body, "hello grace");  // two levels down
  EXPECT_EQ(c.get("/who?as=alan").body, "alan");
  EXPECT_EQ(c2.get("/who").status, 422);  // another API is untouched

  EXPECT_EQ(c.get("/guarded", {{"x-api-key", "no"}}).status, 401);
  api.override_dependency<verify_key>([] {});
  EXPECT_EQ(c.get("/guarded").status, 200);  // the scheme went with the guard it belonged to

  EXPECT_EQ(c.get("/conn").body, "real");
  api.override_dependency<open_conn>([]() -> Task<Conn> { co_return Conn(false); });
  EXPECT_EQ(c.get("/conn").body, "fake");

  api.clear_dependency_overrides();
  EXPECT_EQ(c.get("/who", {{"x-token", "t"}}).body, "ada");
  EXPECT_EQ(c.get("/guarded").status, 403);
}

}  // namespace rt_security

namespace rt_security {

// FastAPI inherits Starlette's redirect_slashes; so does tier 4.
TEST(TypedRoutes, ATrailingSlashIsRedirectedAsFastApiDoes) {
  API api(no_docs());
  api.get("/contacts", []() -> Task<int> { co_return 1; });
  APIRouter r({.prefix = "/v1"});
  r.post("/contacts/", []() -> Task<int> { co_return 2; });
  api.include_router(r);
  TestClient c(api.application());
  auto get = c.get("/contacts/?limit=5", {{"host", "testserver"}});
  EXPECT_EQ(get.status, 307);
  EXPECT_EQ(get.header("location").value_or(""), "http://testserver/contacts?limit=5");
  auto post = c.request({.method = "POST", .target = "/v1/contacts", .headers = {{"host", "testserver"}}});
  EXPECT_EQ(post.status, 307);
  EXPECT_EQ(post.header("location").value_or(""), "http://testserver/v1/contacts/");
}

}  // namespace rt_security

namespace rt_security {

// Constraints is a structural type: written inline as a template argument,
// it is the same parameter type as the named constant with the same value.
inline constexpr Constraints kCode{.min_length = 2, .pattern = "^[A-Z]+$"};
static_assert(std::is_same_v<Query<"code", std::string, no_default, kCode>,
                             Query<"code", std::string, no_default, Constraints{.min_length = 2, .pattern = "^[A-Z]+$"}>>);

TEST(TypedParams, ConstraintsWrittenInline) {
  API api(no_docs());
  api.get("/q", [](Query<"limit", int, 10, Constraints{.ge = 1, .le = 5}> limit,
                   Query<"code", std::string, fixed_string{"AB"}, Constraints{.pattern = "^[A-Z]+$"}> code)
                    -> Task<PlainText> { co_return PlainText{std::to_string(*limit) + *code}; });
  TestClient c(api.application());
  EXPECT_EQ(c.get("/q?limit=5&code=XY").body, "5XY");
  auto bad = c.get("/q?limit=0&code=x");
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find(R"("type":"greater_than_equal","loc":["query","limit"])"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find(R"("type":"string_pattern_mismatch","loc":["query","code"])"), std::string::npos) << bad.body;
  EXPECT_NE(api.openapi().find(R"("schema":{"type":"integer","minimum":1,"maximum":5,"title":"Limit","default":10})"),
            std::string::npos)
      << api.openapi();
}

}  // namespace rt_security

namespace rt_security {

struct Address {
  std::string city;
  std::optional<std::string> zip;
};
struct Person {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> email;
  std::string password;
  Address address;
  std::vector<Address> past;
};
BOOST_DESCRIBE_STRUCT(Address, (), (city, zip))
BOOST_DESCRIBE_STRUCT(Person, (), (id, name, email, password, address, past))

Person ada() { return {1, "ada", std::nullopt, "secret", {"London", std::nullopt}, {{"Paris", "75001"}, {"Rome", {}}}}; }

TEST(ResponseModel, IncludeExcludeAndExcludeNoneAsFastApi) {
  API api(no_docs());
  api.get("/all", []() -> Task<Person> { co_return ada(); });
  api.get("/public", []() -> Task<Person> { co_return ada(); }, {.response_model_exclude = {"password"}});
  api.get("/names", []() -> Task<Person> { co_return ada(); }, {.response_model_include = {"id", "name"}});
  api.get("/set", []() -> Task<Person> { co_return ada(); },
          {.response_model_exclude = {"password"}, .response_model_exclude_none = true});
  api.get("/list", []() -> Task<std::vector<Person>> { co_return std::vector<Person>{ada()}; },
          {.response_model_exclude_none = true});
  TestClient c(api.application());
  EXPECT_EQ(c.get("/all").body,
            R"({"id":1,"name":"ada","email":null,"password":"secret","address":{"city":"London","zip":null},)"
            R"("past":[{"city":"Paris","zip":"75001"},{"city":"Rome","zip":null}]})");
  EXPECT_EQ(c.get("/public").body,
            R"({"id":1,"name":"ada","email":null,"address":{"city":"London","zip":null},)"
            R"("past":[{"city":"Paris","zip":"75001"},{"city":"Rome","zip":null}]})");
  EXPECT_EQ(c.get("/names").body, R"({"id":1,"name":"ada"})");
  // exclude_none reaches nested models and lists of them.
  EXPECT_EQ(c.get("/set").body,
            R"({"id":1,"name":"ada","address":{"city":"London"},"past":[{"city":"Paris","zip":"75001"},{"city":"Rome"}]})");
  EXPECT_EQ(c.get("/list").body,
            R"([{"id":1,"name":"ada","password":"secret","address":{"city":"London"},)"
            R"("past":[{"city":"Paris","zip":"75001"},{"city":"Rome"}]}])");
  // The document still shows the whole model, as FastAPI's does.
  EXPECT_NE(api.openapi().find(R"("password":{"type":"string","title":"Password"})"), std::string::npos);
  // A name the model does not have is refused when the route is added.
  EXPECT_THROW(api.get("/typo", []() -> Task<Person> { co_return ada(); }, {.response_model_exclude = {"passwd"}}),
               std::invalid_argument);
}

}  // namespace rt_security
