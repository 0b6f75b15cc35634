// Tier 3 without sockets and without a loop: the route tree (converters,
// precedence, backtracking, 404/405, mounts, template errors) and the pure
// parsing helpers (parse_query, find_cookie).
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "app/request.hpp"
#include "app/routing.hpp"

namespace {

using namespace strata;
using namespace strata::app;

Endpoint ok() {
  return [](Request&) -> Task<Response> { co_return Response::text("ok"); };
}

http::App noop_app() {
  return [](const http::Scope&, http::Receive&, http::Send&) -> Task<void> { co_return; };
}

// "found GET /users/{id:int} id=42" style summary of a match, for messages.
std::string describe(const Match& m) {
  switch (m.kind) {
    case Match::not_found: return "404";
    case Match::method_not_allowed: return "405 allow=" + std::string(m.allow);
    case Match::mounted: return "mounted prefix=" + std::string(m.mount_prefix);
    case Match::found: {
      std::string s = "found " + m.route->path;
      for (size_t k = 0; k < m.params.count; ++k)
        s += " " + std::string(m.params.items[k].name) + "=" + std::string(m.params.items[k].text);
      return s;
    }
  }
  return "?";
}

// The template of the route `method path` resolves to, or "" when it is not found.
std::string route_of(const Router& r, std::string_view method, std::string_view path) {
  Match m = r.match(method, path);
  return m.kind == Match::found ? m.route->path : "";
}

// ------------------------------------------------------------ converters

TEST(AppRouting, IntConverterMatchesDigitsOnly) {
  Router r;
  r.get("/users/{id:int}", ok());
  Match m = r.match("GET", "/users/42");
  ASSERT_EQ(m.kind, Match::found) << describe(m);
  ASSERT_EQ(m.params.count, 1u);
  EXPECT_EQ(m.params.items[0].name, "id");
  EXPECT_EQ(m.params.items[0].text, "42");
  EXPECT_EQ(m.params.items[0].i, 42);
  EXPECT_EQ(m.params.find("id")->i, 42);

  EXPECT_EQ(r.match("GET", "/users/0").kind, Match::found);
  EXPECT_EQ(r.match("GET", "/users/9223372036854775807").params.items[0].i, INT64_MAX);
  for (const char* bad : {"/users/abc", "/users/-1", "/users/-0", "/users/+1", "/users/1.5", "/users/12a", "/users/a12",
                          "/users/", "/users", "/users/1/", "/users/1/x", "/users/ 1",
                          "/users/99999999999999999999999"}) {
    Match b = r.match("GET", bad);
    EXPECT_EQ(b.kind, Match::not_found) << bad << " -> " << describe(b);
  }
}

TEST(AppRouting, FloatConverterMatchesNonNegativeNumbers) {
  Router r;
  r.get("/f/{x:float}", ok());
  Match m = r.match("GET", "/f/1.5");
  ASSERT_EQ(m.kind, Match::found) << describe(m);
  EXPECT_EQ(m.params.items[0].name, "x");
  EXPECT_EQ(m.params.items[0].text, "1.5");
  EXPECT_DOUBLE_EQ(m.params.items[0].f, 1.5);
  Match whole = r.match("GET", "/f/3");
  ASSERT_EQ(whole.kind, Match::found);
  EXPECT_DOUBLE_EQ(whole.params.items[0].f, 3.0);
  for (const char* bad : {"/f/abc", "/f/-1.5", "/f/+1.5", "/f/1.5x", "/f/", "/f/1,5", "/f/1.5/"}) {
    Match b = r.match("GET", bad);
    EXPECT_EQ(b.kind, Match::not_found) << bad << " -> " << describe(b);
  }
}

// Starlette's float convertor is [0-9]+(\.[0-9]+)?: words that strtod
// happens to accept are not numbers in a path.
TEST(AppRouting, FloatConverterRejectsNanAndInfinity) {
  Router r;
  r.get("/f/{x:float}", ok());
  for (const char* bad : {"/f/nan", "/f/NaN", "/f/inf", "/f/infinity"}) {
    Match b = r.match("GET", bad);
    EXPECT_EQ(b.kind, Match::not_found) << bad << " -> " << describe(b);
  }
}

TEST(AppRouting, StrConverterMatchesOneNonEmptySegment) {
  Router r;
  r.get("/s/{name}", ok());
  r.get("/t/{name:str}/end", ok());
  Match m = r.match("GET", "/s/hello world");
  ASSERT_EQ(m.kind, Match::found) << describe(m);
  EXPECT_EQ(m.params.items[0].name, "name");
  EXPECT_EQ(m.params.items[0].text, "hello world");
  EXPECT_EQ(route_of(r, "GET", "/s/-12.5"), "/s/{name}");
  EXPECT_EQ(route_of(r, "GET", "/t/x/end"), "/t/{name:str}/end");
  for (const char* bad : {"/s/", "/s", "/s/a/b", "/t//end", "/t/x/y/end"}) {
    Match b = r.match("GET", bad);
    EXPECT_EQ(b.kind, Match::not_found) << bad << " -> " << describe(b);
  }
}

TEST(AppRouting, PathConverterTakesTheRestIncludingSlashes) {
  Router r;
  r.get("/files/{rest:path}", ok());
  Match m = r.match("GET", "/files/a/b/c.txt");
  ASSERT_EQ(m.kind, Match::found) << describe(m);
  EXPECT_EQ(m.params.items[0].name, "rest");
  EXPECT_EQ(m.params.items[0].text, "a/b/c.txt");
  Match one = r.match("GET", "/files/x");
  ASSERT_EQ(one.kind, Match::found);
  EXPECT_EQ(one.params.items[0].text, "x");
  Match trailing = r.match("GET", "/files/a/");
  ASSERT_EQ(trailing.kind, Match::found);
  EXPECT_EQ(trailing.params.items[0].text, "a/");
  Match empty = r.match("GET", "/files/");  // Starlette: "/files/(?P<rest>.*)"
  ASSERT_EQ(empty.kind, Match::found) << describe(empty);
  EXPECT_EQ(empty.params.items[0].text, "");
  EXPECT_EQ(r.match("GET", "/files").kind, Match::not_found);
  EXPECT_EQ(r.match("GET", "/filesx/a").kind, Match::not_found);
}

TEST(AppRouting, EmptySegmentsDoNotMatchParameters) {
  Router r;
  r.get("/a/{x}/b", ok());
  r.get("/n/{i:int}/m", ok());
  EXPECT_EQ(r.match("GET", "/a//b").kind, Match::not_found);
  EXPECT_EQ(r.match("GET", "/n//m").kind, Match::not_found);
  EXPECT_EQ(r.match("GET", "/a/x/b").kind, Match::found);
  EXPECT_EQ(r.match("GET", "//a/x/b").kind, Match::not_found);
}

TEST(AppRouting, ParamsAreCapturedWithNamesAndValuesInOrder) {
  Router r;
  r.get("/org/{org}/repo/{id:int}/v/{ver:float}/f/{rest:path}", ok());
  Match m = r.match("GET", "/org/acme/repo/7/v/2.5/f/src/main.cpp");
  ASSERT_EQ(m.kind, Match::found) << describe(m);
  ASSERT_EQ(m.params.count, 4u);
  EXPECT_EQ(m.params.items[0].name, "org");
  EXPECT_EQ(m.params.items[0].text, "acme");
  EXPECT_EQ(m.params.items[1].name, "id");
  EXPECT_EQ(m.params.items[1].i, 7);
  EXPECT_EQ(m.params.items[2].name, "ver");
  EXPECT_DOUBLE_EQ(m.params.items[2].f, 2.5);
  EXPECT_EQ(m.params.items[3].name, "rest");
  EXPECT_EQ(m.params.items[3].text, "src/main.cpp");
  EXPECT_EQ(m.params.find("nope"), nullptr);
  ASSERT_NE(m.params.find("org"), nullptr);
  EXPECT_EQ(m.params.find("org")->text, "acme");
}

TEST(AppRouting, RootAndNotFound) {
  Router r;
  r.get("/", ok());
  r.get("/a", ok());
  EXPECT_EQ(route_of(r, "GET", "/"), "/");
  EXPECT_EQ(route_of(r, "GET", "/a"), "/a");
  for (const char* bad : {"/b", "/a/", "/a/b", "", "a", "/A"}) {
    Match b = r.match("GET", bad);
    EXPECT_EQ(b.kind, Match::not_found) << "'" << bad << "' -> " << describe(b);
    EXPECT_EQ(b.route, nullptr);
  }
  Router empty;
  EXPECT_EQ(empty.match("GET", "/").kind, Match::not_found);
}

TEST(AppRouting, OtherSlashForm) {
  EXPECT_EQ(other_slash_form("/items"), "/items/");
  EXPECT_EQ(other_slash_form("/items/"), "/items");
  EXPECT_EQ(other_slash_form("/items///"), "/items");  // Starlette strips them all
  EXPECT_EQ(other_slash_form("/a/b/"), "/a/b");
  EXPECT_EQ(other_slash_form("/"), "");
  EXPECT_EQ(other_slash_form("//"), "");
  EXPECT_EQ(other_slash_form(""), "");
}

// ------------------------------------------------------------ precedence

TEST(AppRouting, LiteralBeatsParameterWhateverTheOrder) {
  Router r;
  r.get("/users/{name}", ok());
  r.get("/users/me", ok());
  EXPECT_EQ(route_of(r, "GET", "/users/me"), "/users/me");
  EXPECT_EQ(route_of(r, "GET", "/users/bob"), "/users/{name}");
  Match m = r.match("GET", "/users/me");
  EXPECT_EQ(m.params.count, 0u);
}

TEST(AppRouting, IntBeatsFloatBeatsStrWhateverTheOrder) {
  Router r;
  r.get("/items/{name}", ok());
  r.get("/items/{x:float}", ok());
  r.get("/items/{id:int}", ok());
  EXPECT_EQ(route_of(r, "GET", "/items/7"), "/items/{id:int}");
  EXPECT_EQ(route_of(r, "GET", "/items/7.5"), "/items/{x:float}");
  EXPECT_EQ(route_of(r, "GET", "/items/seven"), "/items/{name}");
  EXPECT_EQ(route_of(r, "GET", "/items/-7"), "/items/{name}");
}

TEST(AppRouting, PathConverterComesLast) {
  Router r;
  r.get("/p/{rest:path}", ok());
  r.get("/p/{s}", ok());
  r.get("/p/fixed", ok());
  r.get("/p/{s}/edit", ok());
  EXPECT_EQ(route_of(r, "GET", "/p/fixed"), "/p/fixed");
  EXPECT_EQ(route_of(r, "GET", "/p/a"), "/p/{s}");
  EXPECT_EQ(route_of(r, "GET", "/p/a/edit"), "/p/{s}/edit");
  EXPECT_EQ(route_of(r, "GET", "/p/a/b"), "/p/{rest:path}");
  EXPECT_EQ(route_of(r, "GET", "/p/fixed/more"), "/p/{rest:path}");
}

TEST(AppRouting, BacktracksWhenALiteralBranchDeadEnds) {
  Router r;
  r.get("/a/b/c", ok());
  r.get("/a/{x}/d", ok());
  Match m = r.match("GET", "/a/b/d");
  ASSERT_EQ(m.kind, Match::found) << describe(m);
  EXPECT_EQ(m.route->path, "/a/{x}/d");
  ASSERT_EQ(m.params.count, 1u);
  EXPECT_EQ(m.params.items[0].name, "x");
  EXPECT_EQ(m.params.items[0].text, "b");
  EXPECT_EQ(route_of(r, "GET", "/a/b/c"), "/a/b/c");
}

TEST(AppRouting, BacktracksFromIntToStrAndDropsTheAbandonedParams) {
  Router r;
  r.get("/q/{id:int}/{sub:int}/edit", ok());
  r.get("/q/{name}/{other}/view", ok());
  Match m = r.match("GET", "/q/5/6/view");
  ASSERT_EQ(m.kind, Match::found) << describe(m);
  EXPECT_EQ(m.route->path, "/q/{name}/{other}/view");
  ASSERT_EQ(m.params.count, 2u) << describe(m);
  EXPECT_EQ(m.params.items[0].name, "name");
  EXPECT_EQ(m.params.items[0].text, "5");
  EXPECT_EQ(m.params.items[1].name, "other");
  EXPECT_EQ(m.params.items[1].text, "6");
  EXPECT_EQ(route_of(r, "GET", "/q/5/6/edit"), "/q/{id:int}/{sub:int}/edit");
}

TEST(AppRouting, AMethodMismatchOnOneBranchDoesNotHideAnother) {
  // Starlette scans on after a partial (method) match and a later full
  // match wins.
  Router r;
  r.post("/u/me", ok());
  r.get("/u/{id}", ok());
  EXPECT_EQ(route_of(r, "GET", "/u/me"), "/u/{id}");
  EXPECT_EQ(route_of(r, "POST", "/u/me"), "/u/me");
  Match m = r.match("DELETE", "/u/me");
  EXPECT_EQ(m.kind, Match::method_not_allowed) << describe(m);
}

// ------------------------------------------------------------ 405

TEST(AppRouting, MethodNotAllowedListsTheAllowedMethodsExactly) {
  Router r;
  r.route("/things", {"GET", "POST"}, ok());
  r.post("/only-post", ok());
  r.get("/split", ok());
  r.put("/split", ok());
  r.route("/explicit", {"HEAD"}, ok());

  Match m = r.match("DELETE", "/things");
  ASSERT_EQ(m.kind, Match::method_not_allowed) << describe(m);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_EQ(m.route, nullptr);

  Match p = r.match("GET", "/only-post");
  ASSERT_EQ(p.kind, Match::method_not_allowed) << describe(p);
  EXPECT_EQ(p.allow, "POST");
  EXPECT_EQ(r.match("HEAD", "/only-post").kind, Match::method_not_allowed);

  Match s = r.match("PATCH", "/split");
  ASSERT_EQ(s.kind, Match::method_not_allowed) << describe(s);
  EXPECT_EQ(s.allow, "GET, HEAD, PUT");

  Match e = r.match("GET", "/explicit");
  ASSERT_EQ(e.kind, Match::method_not_allowed) << describe(e);
  EXPECT_EQ(e.allow, "HEAD");
}

TEST(AppRouting, GetImpliesHead) {
  Router r;
  r.get("/g", ok());
  r.route("/gh", {"GET", "HEAD"}, ok());  // explicit HEAD next to GET is not a duplicate
  EXPECT_EQ(route_of(r, "HEAD", "/g"), "/g");
  EXPECT_EQ(route_of(r, "HEAD", "/gh"), "/gh");
  const auto& methods = r.routes().front()->methods;
  EXPECT_NE(std::find(methods.begin(), methods.end(), "HEAD"), methods.end());
  Match m = r.match("POST", "/g");
  ASSERT_EQ(m.kind, Match::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD");
  Match gh = r.match("POST", "/gh");
  ASSERT_EQ(gh.kind, Match::method_not_allowed);
  EXPECT_EQ(gh.allow, "GET, HEAD");
}

TEST(AppRouting, RoutesKeepTheirTemplateNameAndKind) {
  Router r;
  r.route("/a/{id:int}", {"GET"}, ok(), "get_a");
  r.route_sync("/b", {"POST"}, [](Request&) { return Response::text("b"); }, "post_b");
  ASSERT_EQ(r.routes().size(), 2u);
  EXPECT_EQ(r.routes()[0]->path, "/a/{id:int}");
  EXPECT_EQ(r.routes()[0]->name, "get_a");
  EXPECT_FALSE(r.routes()[0]->sync);
  EXPECT_EQ(r.routes()[1]->name, "post_b");
  EXPECT_TRUE(r.routes()[1]->sync);
  EXPECT_EQ(r.routes()[1]->methods, std::vector<std::string>{"POST"});
  Match m = r.match("POST", "/b");
  ASSERT_EQ(m.kind, Match::found);
  EXPECT_EQ(m.route, r.routes()[1].get());
}

// ------------------------------------------------------------ mounts

TEST(AppRouting, MountTakesItsPrefixExactly) {
  Router r;
  r.mount("/api", noop_app());
  Match m = r.match("GET", "/api/x/y");
  ASSERT_EQ(m.kind, Match::mounted) << describe(m);
  EXPECT_NE(m.app, nullptr);
  EXPECT_EQ(m.mount_prefix, "/api");
  Match bare = r.match("POST", "/api");
  ASSERT_EQ(bare.kind, Match::mounted) << describe(bare);
  EXPECT_EQ(bare.mount_prefix, "/api");
  Match slash = r.match("GET", "/api/");
  ASSERT_EQ(slash.kind, Match::mounted) << describe(slash);
  EXPECT_EQ(slash.mount_prefix, "/api");
  for (const char* bad : {"/apix", "/ap", "/x/api", "/"}) {
    Match b = r.match("GET", bad);
    EXPECT_EQ(b.kind, Match::not_found) << bad << " -> " << describe(b);
  }
}

TEST(AppRouting, NestedMountPrefix) {
  Router r;
  r.mount("/v1/admin", noop_app());
  Match m = r.match("GET", "/v1/admin/users");
  ASSERT_EQ(m.kind, Match::mounted) << describe(m);
  EXPECT_EQ(m.mount_prefix, "/v1/admin");
  EXPECT_EQ(r.match("GET", "/v1").kind, Match::not_found);
  EXPECT_EQ(r.match("GET", "/v1/other").kind, Match::not_found);
}

TEST(AppRouting, RoutesUnderAMountPrefixWinOverTheMount) {
  Router r;
  r.mount("/api", noop_app());
  r.get("/api/health", ok());
  r.get("/api/items/{id:int}", ok());
  EXPECT_EQ(route_of(r, "GET", "/api/health"), "/api/health");
  EXPECT_EQ(route_of(r, "GET", "/api/items/3"), "/api/items/{id:int}");
  Match other = r.match("GET", "/api/items/x");
  EXPECT_EQ(other.kind, Match::mounted) << describe(other);
  Match rest = r.match("GET", "/api/other");
  ASSERT_EQ(rest.kind, Match::mounted) << describe(rest);
  EXPECT_EQ(rest.mount_prefix, "/api");
  // Starlette: the route only matches partially (method), the mount fully.
  Match post = r.match("POST", "/api/health");
  EXPECT_EQ(post.kind, Match::mounted) << describe(post);
}

TEST(AppRouting, BadOrDuplicateMountsThrow) {
  Router r;
  r.mount("/api", noop_app());
  EXPECT_THROW(r.mount("/api", noop_app()), std::invalid_argument);
  EXPECT_THROW(r.mount("/", noop_app()), std::invalid_argument);
  EXPECT_THROW(r.mount("", noop_app()), std::invalid_argument);
  EXPECT_THROW(r.mount("api", noop_app()), std::invalid_argument);
  EXPECT_THROW(r.mount("/a/{x}", noop_app()), std::invalid_argument);
  EXPECT_THROW(r.mount("/a//b", noop_app()), std::invalid_argument);
  EXPECT_NO_THROW(r.mount("/api2", noop_app()));
}

// ------------------------------------------------------------ template errors

TEST(AppRouting, MalformedTemplatesThrow) {
  for (const char* bad : {"", "users", "/a/{id:nope}", "/a/{}", "/a/{:int}", "/a/{rest:path}/b",
                          "/a/x{y}", "/a/{y", "/a/y}", "/a/{id:int}x",
                          "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}"}) {
    Router r;
    EXPECT_THROW(r.get(bad, ok()), std::invalid_argument) << "template '" << bad << "'";
    EXPECT_TRUE(r.routes().empty()) << "template '" << bad << "' was kept";
  }
  Router r;
  EXPECT_NO_THROW(r.get("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", ok()));  // eight is the limit
}

TEST(AppRouting, DuplicateRoutesThrow) {
  Router r;
  r.get("/d/{id:int}", ok());
  EXPECT_THROW(r.get("/d/{id:int}", ok()), std::invalid_argument);
  EXPECT_THROW(r.route("/d/{id:int}", {"HEAD"}, ok()), std::invalid_argument);  // GET implied HEAD
  EXPECT_NO_THROW(r.post("/d/{id:int}", ok()));
  EXPECT_THROW(r.post("/d/{id:int}", ok()), std::invalid_argument);
  r.get("/", ok());
  EXPECT_THROW(r.get("/", ok()), std::invalid_argument);
  EXPECT_EQ(r.routes().size(), 3u);
}

// A registration that throws must not leave part of itself behind: here
// POST is new and GET a duplicate, so nothing may be registered for POST
// (the Route the tree would point to no longer exists).
TEST(AppRouting, ARejectedDuplicateLeavesNoMethodBehind) {
  Router r;
  r.get("/d/{id:int}", ok());
  EXPECT_THROW(r.route("/d/{id:int}", {"POST", "GET"}, ok()), std::invalid_argument);
  EXPECT_EQ(r.routes().size(), 1u);
  Match m = r.match("POST", "/d/1");
  EXPECT_EQ(m.kind, Match::method_not_allowed) << "POST /d/1 after the rejected registration: kind " << m.kind;
  EXPECT_EQ(m.allow, "GET, HEAD");
  EXPECT_NO_THROW(r.post("/d/{id:int}", ok())) << "POST cannot be registered after the rejected registration";
}

// ------------------------------------------------------------ parse_query

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs query(std::string_view qs) {
  Pairs out;
  parse_query(qs, out);
  return out;
}

TEST(AppQuery, SplitsPairsInOrder) {
  EXPECT_EQ(query("a=1&b=2"), (Pairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(query(""), Pairs{});
  EXPECT_EQ(query("k=a=b"), (Pairs{{"k", "a=b"}}));
}

TEST(AppQuery, PercentDecodesKeysAndValues) {
  EXPECT_EQ(query("name=J%C3%BCrgen"), (Pairs{{"name", "J\xC3\xBCrgen"}}));
  EXPECT_EQ(query("a%3Db=c%26d"), (Pairs{{"a=b", "c&d"}}));
  EXPECT_EQ(query("x=%2B"), (Pairs{{"x", "+"}}));
  EXPECT_EQ(query("x=100%"), (Pairs{{"x", "100%"}}));  // a lone '%' is kept
  EXPECT_EQ(query("x=%zz"), (Pairs{{"x", "%zz"}}));
}

TEST(AppQuery, PlusIsASpace) {
  EXPECT_EQ(query("q=Ada+Lovelace"), (Pairs{{"q", "Ada Lovelace"}}));
  EXPECT_EQ(query("a+b=c"), (Pairs{{"a b", "c"}}));
}

TEST(AppQuery, RepeatedKeysAreAllKept) {
  EXPECT_EQ(query("k=1&k=2&j=x&k=3"), (Pairs{{"k", "1"}, {"k", "2"}, {"j", "x"}, {"k", "3"}}));
}

TEST(AppQuery, EmptyValuesAndKeysWithoutEquals) {
  EXPECT_EQ(query("empty=&flag&x=1"), (Pairs{{"empty", ""}, {"flag", ""}, {"x", "1"}}));
  EXPECT_EQ(query("&&a=1&&"), (Pairs{{"a", "1"}}));
  EXPECT_EQ(query("=v"), (Pairs{{"", "v"}}));
}

TEST(AppQuery, AppendsToWhatIsThere) {
  Pairs out = {{"pre", "1"}};
  parse_query("a=2", out);
  EXPECT_EQ(out, (Pairs{{"pre", "1"}, {"a", "2"}}));
}

// ------------------------------------------------------------ find_cookie

TEST(AppCookie, FindsByExactName) {
  EXPECT_EQ(find_cookie("a=1; b=2; c=3", "b"), "2");
  EXPECT_EQ(find_cookie("a=1; b=2; c=3", "a"), "1");
  EXPECT_EQ(find_cookie("a=1; b=2; c=3", "c"), "3");
  EXPECT_EQ(find_cookie("session=abc", "session"), "abc");
  EXPECT_EQ(find_cookie("ab=1; a=2", "a"), "2");
  EXPECT_EQ(find_cookie("a=1; a=2", "a"), "1");
}

TEST(AppCookie, ToleratesSpaces) {
  EXPECT_EQ(find_cookie("  a = 1 ;b=2;   c =3  ", "a"), "1");
  EXPECT_EQ(find_cookie("  a = 1 ;b=2;   c =3  ", "b"), "2");
  EXPECT_EQ(find_cookie("  a = 1 ;b=2;   c =3  ", "c"), "3");
}

TEST(AppCookie, RemovesQuotes) {
  EXPECT_EQ(find_cookie("t=\"hello world\"; u=1", "t"), "hello world");
  EXPECT_EQ(find_cookie("t=\"\"", "t"), "");
  EXPECT_EQ(find_cookie("t=\"x", "t"), "\"x");
}

TEST(AppCookie, MissingAndEmpty) {
  EXPECT_EQ(find_cookie("a=1; b=2", "c"), std::nullopt);
  EXPECT_EQ(find_cookie("", "a"), std::nullopt);
  EXPECT_EQ(find_cookie("flag; a=1", "flag"), std::nullopt);
  EXPECT_EQ(find_cookie("flag; a=1", "a"), "1");
  EXPECT_EQ(find_cookie("abc=1", "ab"), std::nullopt);
  auto empty = find_cookie("e=; f=2", "e");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
}

}  // namespace
