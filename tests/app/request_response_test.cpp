// Tier 3's Request and Response, driven in-process through TestClient:
// every accessor, the body read whole, in pieces, streamed and as JSON,
// the body limit, and every kind of Response as the server receives it.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/application.hpp"
#include "app/http_exception.hpp"
#include "app/testclient.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

AppConfig quiet_config() {
  AppConfig c;
  c.threads = 2;
  c.log = [](std::string_view) {};
  return c;
}

TestRequest post_request(std::string target, std::string body, size_t piece = 0) {
  TestRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  r.body_piece = piece;
  return r;
}

// ------------------------------------------------------------ Request accessors

struct Seen {
  std::string method, path, query_string, version;
  int64_t id = -1;
  double x = -1;
  std::string id_text, name, missing_param;
  int64_t missing_int = -1;
  size_t param_count = 0;
  std::optional<std::string> q_x, q_y, q_z, q_flag, q_none;
  std::vector<std::string> q_all_x, q_all_none;
  size_t query_pairs = 0;
  std::optional<std::string> h_custom_upper, h_custom_lower, h_host, h_missing;
  std::vector<std::string> h_multi;
  std::optional<std::string> c_s, c_t, c_u, c_missing;
};

std::optional<std::string> own(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}
std::vector<std::string> own(const std::vector<std::string_view>& v) { return {v.begin(), v.end()}; }

TEST(AppRequest, AccessorsSeeTheRequest) {
  Application app(quiet_config());
  Seen seen;
  app.get("/echo/{id:int}/{x:float}/{name}", [&seen](Request& req) -> Task<Response> {
    seen.method = req.method();
    seen.path = req.path();
    seen.query_string = req.query_string();
    seen.version = req.http_version();
    seen.id = req.path_int("id");
    seen.x = req.path_float("x");
    seen.id_text = req.path_param("id");
    seen.name = req.path_param("name");
    seen.missing_param = req.path_param("nope");
    seen.missing_int = req.path_int("nope");
    seen.param_count = req.path_params().count;
    seen.q_x = own(req.query("x"));
    seen.q_y = own(req.query("y"));
    seen.q_z = own(req.query("z"));
    seen.q_flag = own(req.query("flag"));
    seen.q_none = own(req.query("none"));
    seen.q_all_x = own(req.query_all("x"));
    seen.q_all_none = own(req.query_all("none"));
    seen.query_pairs = req.query_params().size();
    seen.h_custom_upper = own(req.header("X-CUSTOM"));
    seen.h_custom_lower = own(req.header("x-custom"));
    seen.h_host = own(req.header("Host"));
    seen.h_missing = own(req.header("x-missing"));
    seen.h_multi = own(req.header_all("X-Multi"));
    seen.c_s = own(req.cookie("s"));
    seen.c_t = own(req.cookie("t"));
    seen.c_u = own(req.cookie("u"));
    seen.c_missing = own(req.cookie("zz"));
    co_return Response::text("ok");
  });
  TestClient client(app);
  TestResponse r = client.get("/echo/42/2.5/a%20b?x=1&x=2&y=a+b&z=%C3%BC&flag",
                              {{"X-Custom", "v"},
                               {"X-Multi", "1"},
                               {"x-multi", "2"},
                               {"Cookie", "s=abc; t=\"q v\""},
                               {"Cookie", "u=2"}});
  ASSERT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/echo/42/2.5/a b");
  EXPECT_EQ(seen.query_string, "x=1&x=2&y=a+b&z=%C3%BC&flag");
  EXPECT_EQ(seen.version, "1.1");
  EXPECT_EQ(seen.id, 42);
  EXPECT_DOUBLE_EQ(seen.x, 2.5);
  EXPECT_EQ(seen.id_text, "42");
  EXPECT_EQ(seen.name, "a b");
  EXPECT_EQ(seen.missing_param, "");
  EXPECT_EQ(seen.missing_int, 0);
  EXPECT_EQ(seen.param_count, 3u);
  EXPECT_EQ(seen.q_x, "1");
  EXPECT_EQ(seen.q_y, "a b");
  EXPECT_EQ(seen.q_z, "\xC3\xBC");
  EXPECT_EQ(seen.q_flag, "");
  EXPECT_EQ(seen.q_none, std::nullopt);
  EXPECT_EQ(seen.q_all_x, (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(seen.q_all_none.empty());
  EXPECT_EQ(seen.query_pairs, 5u);
  EXPECT_EQ(seen.h_custom_upper, "v");
  EXPECT_EQ(seen.h_custom_lower, "v");
  EXPECT_EQ(seen.h_host, "testserver");
  EXPECT_EQ(seen.h_missing, std::nullopt);
  EXPECT_EQ(seen.h_multi, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(seen.c_s, "abc");
  EXPECT_EQ(seen.c_t, "q v");
  EXPECT_EQ(seen.c_u, "2");
  EXPECT_EQ(seen.c_missing, std::nullopt);
}

TEST(AppRequest, AccessorsWithoutQueryOrCookies) {
  Application app(quiet_config());
  size_t pairs = 99;
  std::optional<std::string> q, c;
  app.get("/plain", [&](Request& req) -> Task<Response> {
    pairs = req.query_params().size();
    q = own(req.query("a"));
    c = own(req.cookie("a"));
    co_return Response::text("ok");
  });
  TestClient client(app);
  ASSERT_EQ(client.get("/plain").status, 200);
  EXPECT_EQ(pairs, 0u);
  EXPECT_EQ(q, std::nullopt);
  EXPECT_EQ(c, std::nullopt);
}

// ------------------------------------------------------------ body

void add_body_routes(Application& app) {
  app.post("/body", [](Request& req) -> Task<Response> {
    const std::string_view b = co_await req.body();
    const std::string_view again = co_await req.body();  // cached
    if (again != b) co_return Response::text("second body() differs", 500);
    if (req.body_view() != b) co_return Response::text("body_view() differs", 500);
    co_return Response::text(std::to_string(b.size()) + ":" + std::string(b));
  });
  app.post("/stream", [](Request& req) -> Task<Response> {
    std::string out;
    int n = 0;
    while (auto piece = co_await req.stream()) {
      ++n;
      out.append(*piece).push_back('|');
    }
    if (co_await req.stream()) co_return Response::text("stream() went on after its end", 500);
    co_return Response::text(std::to_string(n) + ":" + out);
  });
  app.post("/json", [](Request& req) -> Task<Response> {
    simdjson::dom::element doc = co_await req.json();
    std::string_view name;
    int64_t n = 0;
    if (doc["name"].get(name) || doc["n"].get(n)) co_return Response::text("missing fields", 422);
    co_return Response::text(std::string(name) + "/" + std::to_string(n));
  });
}

TEST(AppRequest, BodyWhole) {
  Application app(quiet_config());
  add_body_routes(app);
  TestClient client(app);
  TestResponse r = client.request(post_request("/body", "hello world"));
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "11:hello world");
  TestResponse empty = client.request(post_request("/body", ""));
  EXPECT_EQ(empty.status, 200) << dump(empty);
  EXPECT_EQ(empty.body, "0:");
}

TEST(AppRequest, BodyDeliveredInPiecesIsJoined) {
  Application app(quiet_config());
  add_body_routes(app);
  TestClient client(app);
  std::string big;
  for (int i = 0; i < 5000; ++i) big += static_cast<char>('a' + i % 26);
  for (size_t piece : {1u, 3u, 7u, 4096u}) {
    TestResponse r = client.request(post_request("/body", "hello world", piece));
    EXPECT_EQ(r.status, 200) << "piece " << piece << ": " << dump(r);
    EXPECT_EQ(r.body, "11:hello world") << "piece " << piece;
    TestResponse b = client.request(post_request("/body", big, piece));
    EXPECT_EQ(b.status, 200) << "piece " << piece << ": " << dump(b);
    EXPECT_EQ(b.body, "5000:" + big) << "piece " << piece;
  }
}

TEST(AppRequest, StreamYieldsThePieces) {
  Application app(quiet_config());
  add_body_routes(app);
  TestClient client(app);
  TestResponse r = client.request(post_request("/stream", "abcdefghij", 3));
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "4:abc|def|ghi|j|");
  TestResponse whole = client.request(post_request("/stream", "abcdefghij"));
  EXPECT_EQ(whole.body, "1:abcdefghij|");
}

TEST(AppRequest, JsonValidAndInvalid) {
  Application app(quiet_config());
  add_body_routes(app);
  TestClient client(app);
  TestResponse r = client.post("/json", R"({"name": "ada", "n": 3})");
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "ada/3");
  TestRequest pieces = post_request("/json", R"({"name": "bob", "n": -7})", 4);
  TestResponse p = client.request(pieces);
  EXPECT_EQ(p.status, 200) << dump(p);
  EXPECT_EQ(p.body, "bob/-7");
  for (const char* bad : {"{nope", "", "[1, 2", "{\"name\": \"x\"} trailing"}) {
    TestResponse b = client.post("/json", bad);
    EXPECT_EQ(b.status, 400) << "body '" << bad << "': " << dump(b);
    EXPECT_EQ(b.body.rfind("Invalid JSON body", 0), 0u) << "body '" << bad << "': " << dump(b);
    EXPECT_TRUE(b.error.empty()) << b.error;
  }
}

TEST(AppRequest, BodyOverTheLimitIs413) {
  Application app(quiet_config());
  add_body_routes(app);
  TestClient client(app, 10000, 16);  // the server's limit, handed down to the app
  const std::string at_limit(16, 'x'), over(17, 'x');
  EXPECT_EQ(client.request(post_request("/body", at_limit)).status, 200);
  EXPECT_EQ(client.request(post_request("/body", at_limit, 4)).status, 200);
  EXPECT_EQ(client.request(post_request("/stream", at_limit, 4)).status, 200);
  for (size_t piece : {0u, 4u, 1u}) {
    TestResponse b = client.request(post_request("/body", over, piece));
    EXPECT_EQ(b.status, 413) << "body(), piece " << piece << ": " << dump(b);
    TestResponse s = client.request(post_request("/stream", over, piece));
    EXPECT_EQ(s.status, 413) << "stream(), piece " << piece << ": " << dump(s);
    TestResponse j = client.request(post_request("/json", "[" + std::string(20, '1') + "]", piece));
    EXPECT_EQ(j.status, 413) << "json(), piece " << piece << ": " << dump(j);
  }
}

// ------------------------------------------------------------ Response kinds

TEST(AppResponse, Text) {
  Application app(quiet_config());
  app.get("/t", [](Request&) -> Task<Response> { co_return Response::text("hello"); });
  app.get("/t201", [](Request&) -> Task<Response> { co_return Response::text("made", 201); });
  app.get("/h", [](Request&) -> Task<Response> { co_return Response::html("<p>hi</p>"); });
  TestClient client(app);
  TestResponse r = client.get("/t");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("content-length"), "5");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.body_events, 1);
  TestResponse c = client.get("/t201");
  EXPECT_EQ(c.status, 201);
  EXPECT_EQ(c.body, "made");
  TestResponse h = client.get("/h");
  EXPECT_EQ(h.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(h.body, "<p>hi</p>");
}

TEST(AppResponse, Json) {
  Application app(quiet_config());
  app.get("/j", [](Request&) -> Task<Response> { co_return Response::json(R"({"a":[1,2]})"); });
  app.get("/j422", [](Request&) -> Task<Response> { co_return Response::json(R"({"error":"x"})", 422); });
  TestClient client(app);
  TestResponse r = client.get("/j");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("content-length"), "11");
  EXPECT_EQ(r.body, R"({"a":[1,2]})");
  EXPECT_EQ(client.get("/j422").status, 422);
}

TEST(AppResponse, BytesWithAMediaType) {
  Application app(quiet_config());
  const std::string png("\x89PNG\r\n\x1a\n\0\xff", 10);
  app.get("/png", [&png](Request&) -> Task<Response> { co_return Response::bytes(png, "image/png"); });
  app.get("/csv", [](Request&) -> Task<Response> { co_return Response::bytes("a,b\n1,2\n", "text/csv", 203); });
  app.get("/long", [](Request&) -> Task<Response> {
    co_return Response::bytes("x", "application/vnd.strata.example+octets");
  });
  app.get("/octets", [](Request&) -> Task<Response> { co_return Response::bytes("y", media::octets); });
  TestClient client(app);
  TestResponse r = client.get("/png");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "image/png") << dump(r);
  EXPECT_EQ(r.header("content-length"), "10");
  EXPECT_EQ(r.body, png);
  TestResponse csv = client.get("/csv");
  EXPECT_EQ(csv.status, 203);
  EXPECT_EQ(csv.header("content-type"), "text/csv") << dump(csv);
  EXPECT_EQ(csv.body, "a,b\n1,2\n");
  TestResponse l = client.get("/long");
  EXPECT_EQ(l.header("content-type"), "application/vnd.strata.example+octets") << dump(l);
  EXPECT_EQ(client.get("/octets").header("content-type"), "application/octet-stream");
}

// The same property without a coroutine: a Response is a value and its
// media type must survive being moved or copied.
TEST(AppResponse, MediaTypeSurvivesMoveAndCopy) {
  auto make = [] { return Response::bytes("data", "image/png"); };
  Response moved = make();
  Response again = std::move(moved);
  EXPECT_EQ(again.media_type(), "image/png");
  std::optional<Response> copy;
  {
    Response original = Response::bytes("data", "text/csv");
    copy.emplace(original);
  }
  EXPECT_EQ(copy->media_type(), "text/csv");
  Response assigned;
  {
    Response src = Response::bytes("data", "font/woff");
    assigned = src;
  }
  EXPECT_EQ(assigned.media_type(), "font/woff");
}

TEST(AppResponse, Redirect) {
  Application app(quiet_config());
  app.get("/old", [](Request&) -> Task<Response> { co_return Response::redirect("/new?x=1"); });
  app.get("/moved", [](Request&) -> Task<Response> { co_return Response::redirect("https://example.com/", 301); });
  TestClient client(app);
  TestResponse r = client.get("/old");
  EXPECT_EQ(r.status, 307);
  EXPECT_EQ(r.header("location"), "/new?x=1");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("content-length"), "0");
  TestResponse m = client.get("/moved");
  EXPECT_EQ(m.status, 301);
  EXPECT_EQ(m.header("location"), "https://example.com/");
  EXPECT_EQ(m.header_all("location").size(), 1u);
}

TEST(AppResponse, StreamingSendsEveryPieceThenTheEnd) {
  Application app(quiet_config());
  app.get("/s", [](Request&) -> Task<Response> {
    co_return Response::stream([](BodyWriter& w) -> Task<void> {
      co_await w.write("one ");
      co_await w.write("two ");
      std::string third = "three";  // freed right after the write: send copies
      co_await w.write(third);
    });
  });
  app.get("/nd", [](Request&) -> Task<Response> {
    co_return Response::stream(
        [](BodyWriter& w) -> Task<void> {
          for (int i = 0; i < 10; ++i) co_await w.write("{\"i\":" + std::to_string(i) + "}\n");
        },
        "application/x-ndjson", 202);
  });
  app.get("/none", [](Request&) -> Task<Response> {
    co_return Response::stream([](BodyWriter&) -> Task<void> { co_return; });
  });
  TestClient client(app);
  TestResponse r = client.get("/s");
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "one two three");
  EXPECT_EQ(r.body_events, 4);  // three pieces and the final, empty one
  EXPECT_EQ(r.header("content-length"), std::nullopt);
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  TestResponse nd = client.get("/nd");
  EXPECT_EQ(nd.status, 202);
  EXPECT_EQ(nd.header("content-type"), "application/x-ndjson");
  EXPECT_EQ(nd.body_events, 11);
  std::string want;
  for (int i = 0; i < 10; ++i) want += "{\"i\":" + std::to_string(i) + "}\n";
  EXPECT_EQ(nd.body, want);
  TestResponse none = client.get("/none");
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.body, "");
  EXPECT_EQ(none.body_events, 1);
}

TEST(AppResponse, ExtraHeadersKeptInOrderWithRepeats) {
  Application app(quiet_config());
  app.get("/h", [](Request&) -> Task<Response> {
    Response r = Response::text("x");
    r.header("X-A", "1").header("X-A", "2").header("x-b", "v");
    co_return r;
  });
  TestClient client(app);
  TestResponse r = client.get("/h");
  EXPECT_EQ(r.header_all("x-a"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(r.header("X-B"), "v");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header_all("content-type").size(), 1u);

  Response local;
  local.header("X-Thing", "v");
  EXPECT_EQ(local.find_header("x-thing"), "v");
  EXPECT_EQ(local.find_header("x-other"), std::nullopt);
  local.status(418);
  EXPECT_EQ(local.status(), 418);
}

// Set-Cookie as name, value and attributes (names lower-cased; flags map to "").
struct SetCookie {
  std::string name, value;
  std::map<std::string, std::string> attrs;
};

SetCookie parse_set_cookie(std::string_view line) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  };
  SetCookie c;
  bool first = true;
  while (!line.empty()) {
    const size_t semi = line.find(';');
    std::string_view item = trim(line.substr(0, semi));
    line = semi == std::string_view::npos ? std::string_view{} : line.substr(semi + 1);
    const size_t eq = item.find('=');
    std::string k(trim(item.substr(0, eq)));
    std::string v = eq == std::string_view::npos ? "" : std::string(trim(item.substr(eq + 1)));
    if (first) {
      c.name = k;
      c.value = v;
      first = false;
      continue;
    }
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char ch) { return std::tolower(ch); });
    c.attrs[k] = v;
  }
  return c;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

TEST(AppResponse, SetCookieAndDeleteCookie) {
  Application app(quiet_config());
  app.get("/c", [](Request&) -> Task<Response> {
    Response r = Response::text("cookies");
    r.set_cookie("sid", "abc");
    CookieOptions o;
    o.max_age = 3600;
    o.path = "/app";
    o.domain = "example.com";
    o.secure = true;
    o.http_only = true;
    o.same_site = "strict";
    r.set_cookie("full", "v1", o);
    r.delete_cookie("old");
    r.delete_cookie("old_app", "/app");
    co_return r;
  });
  TestClient client(app);
  TestResponse r = client.get("/c");
  ASSERT_EQ(r.status, 200) << dump(r);
  const auto lines = r.header_all("set-cookie");
  ASSERT_EQ(lines.size(), 4u) << dump(r);

  SetCookie sid = parse_set_cookie(lines[0]);
  EXPECT_EQ(sid.name, "sid") << lines[0];
  EXPECT_EQ(sid.value, "abc") << lines[0];
  EXPECT_EQ(sid.attrs["path"], "/") << lines[0];
  EXPECT_EQ(lower(sid.attrs["samesite"]), "lax") << lines[0];
  EXPECT_EQ(sid.attrs.count("max-age"), 0u) << lines[0];
  EXPECT_EQ(sid.attrs.count("secure"), 0u) << lines[0];
  EXPECT_EQ(sid.attrs.count("httponly"), 0u) << lines[0];
  EXPECT_EQ(sid.attrs.count("domain"), 0u) << lines[0];

  SetCookie full = parse_set_cookie(lines[1]);
  EXPECT_EQ(full.name, "full") << lines[1];
  EXPECT_EQ(full.value, "v1") << lines[1];
  const std::map<std::string, std::string> want = {{"max-age", "3600"}, {"path", "/app"}, {"domain", "example.com"},
                                                   {"secure", ""},      {"httponly", ""}, {"samesite", "strict"}};
  std::map<std::string, std::string> got = full.attrs;
  got["samesite"] = lower(got["samesite"]);
  EXPECT_EQ(got, want) << lines[1];

  SetCookie old = parse_set_cookie(lines[2]);
  EXPECT_EQ(old.name, "old") << lines[2];
  EXPECT_EQ(old.value, "") << lines[2];
  EXPECT_EQ(old.attrs["max-age"], "0") << lines[2];
  EXPECT_EQ(old.attrs["path"], "/") << lines[2];

  SetCookie old_app = parse_set_cookie(lines[3]);
  EXPECT_EQ(old_app.name, "old_app") << lines[3];
  EXPECT_EQ(old_app.value, "") << lines[3];
  EXPECT_EQ(old_app.attrs["max-age"], "0") << lines[3];
  EXPECT_EQ(old_app.attrs["path"], "/app") << lines[3];
}

TEST(AppResponse, EmptyNoContent) {
  Application app(quiet_config());
  app.route("/e", {"DELETE"}, [](Request&) -> Task<Response> { co_return Response::empty(204); });
  TestClient client(app);
  TestRequest req;
  req.method = "DELETE";
  req.target = "/e";
  TestResponse r = client.request(req);
  EXPECT_EQ(r.status, 204) << dump(r);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("content-type"), std::nullopt) << dump(r);
  EXPECT_EQ(r.body_events, 1);
}

// RFC 9110 8.6: "A server MUST NOT send a Content-Length header field in any
// response with a status code of 1xx or 204". Starlette omits it too.
TEST(AppResponse, NoContentHasNoContentLength) {
  Application app(quiet_config());
  app.get("/e", [](Request&) -> Task<Response> { co_return Response::empty(204); });
  TestClient client(app);
  TestResponse r = client.get("/e");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("content-length"), std::nullopt) << dump(r);
}

TEST(AppResponse, HeadHasTheHeadersOfGetButNoBody) {
  Application app(quiet_config());
  int calls = 0;
  app.get("/h", [&calls](Request&) -> Task<Response> {
    ++calls;
    Response r = Response::text("hello");
    r.header("x-h", "1");
    co_return r;
  });
  app.get("/s", [](Request&) -> Task<Response> {
    co_return Response::stream([](BodyWriter& w) -> Task<void> {
      co_await w.write("a");
      co_await w.write("b");
    });
  });
  app.post("/p", [](Request&) -> Task<Response> { co_return Response::text("p"); });
  TestClient client(app);
  TestRequest head;
  head.method = "HEAD";
  head.target = "/h";
  TestResponse r = client.request(head);
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.header("content-length"), "5");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("x-h"), "1");
  EXPECT_EQ(calls, 1);
  head.target = "/s";
  TestResponse s = client.request(head);
  EXPECT_EQ(s.status, 200) << dump(s);
  EXPECT_EQ(s.body, "");
  head.target = "/p";
  TestResponse p = client.request(head);
  EXPECT_EQ(p.status, 405) << dump(p);
  EXPECT_EQ(p.header("allow"), "POST");
  EXPECT_EQ(p.body, "");
}

// ------------------------------------------------------------ router answers

TEST(AppResponse, NotFoundAndMethodNotAllowedThroughTheStack) {
  Application app(quiet_config());
  app.route("/things", {"GET", "POST"}, [](Request&) -> Task<Response> { co_return Response::text("t"); });
  TestClient client(app);
  TestResponse nf = client.get("/nothing");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "Not Found");
  TestRequest del;
  del.method = "DELETE";
  del.target = "/things";
  TestResponse na = client.request(del);
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(na.header("allow"), "GET, HEAD, POST");
  EXPECT_EQ(na.header_all("allow").size(), 1u);
  EXPECT_EQ(na.body, "Method Not Allowed");
  TestResponse users = client.get("/things/1");
  EXPECT_EQ(users.status, 404);
}

}  // namespace
