// Tier 3's Application through TestClient: the thread pool (sync handlers,
// run_in_threadpool), lifespan hooks, mounted sub-apps (a Router, a raw
// ASGI-like lambda) and the seed workload routes.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/application.hpp"
#include "app/http_exception.hpp"
#include "app/testclient.hpp"
#include "app/workload_app.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

// ------------------------------------------------------------ thread pool

TEST(AppThreadpool, SyncHandlersRunOnAnotherThread) {
  Captured log;
  Application app(log.config());
  std::thread::id handler_thread;
  app.route_sync("/sync/{id:int}", {"POST"}, [&handler_thread](Request& req) {
    handler_thread = std::this_thread::get_id();
    // The body was read on the loop before the function was called.
    return Response::text("id=" + std::to_string(req.path_int("id")) + " q=" + std::string(req.query("q").value_or("")) +
                          " body=" + std::string(req.body_view()));
  });
  TestClient client(app);
  TestRequest r;
  r.method = "POST";
  r.target = "/sync/7?q=x";
  r.body = "payload";
  r.body_piece = 3;
  TestResponse resp = client.request(r);
  EXPECT_EQ(resp.status, 200) << dump(resp);
  EXPECT_EQ(resp.body, "id=7 q=x body=payload");
  EXPECT_NE(handler_thread, std::thread::id{});
  EXPECT_NE(handler_thread, std::this_thread::get_id());
}

TEST(AppThreadpool, SyncHandlerExceptionIsA500) {
  Captured log;
  Application app(log.config());
  app.route_sync("/bad", {"GET"}, [](Request&) -> Response { throw std::runtime_error("sync failure detail"); });
  TestClient client(app);
  TestResponse r = client.get("/bad");
  EXPECT_EQ(r.status, 500) << dump(r);
  EXPECT_EQ(r.body, "Internal Server Error");
  EXPECT_NE(log.all().find("sync failure detail"), std::string::npos) << log.all();
}

TEST(AppThreadpool, RunInThreadpoolReturnsTheValueAndResumesOnTheLoop) {
  Captured log;
  Application app(log.config());
  std::thread::id job_thread, after_thread;
  int void_runs = 0;
  app.get("/compute", [&](Request& req) -> Task<Response> {
    const int v = co_await req.run_in_threadpool([&job_thread] {
      job_thread = std::this_thread::get_id();
      return 6 * 7;
    });
    std::string s = co_await req.run_in_threadpool([] { return std::string("from the pool"); });
    co_await req.run_in_threadpool([&void_runs] { ++void_runs; });
    after_thread = std::this_thread::get_id();
    co_return Response::text(std::to_string(v) + " " + s);
  });
  TestClient client(app);
  TestResponse r = client.get("/compute");
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "42 from the pool");
  EXPECT_EQ(void_runs, 1);
  EXPECT_NE(job_thread, std::thread::id{});
  EXPECT_NE(job_thread, std::this_thread::get_id());
  EXPECT_EQ(after_thread, std::this_thread::get_id()) << "the handler must resume on the loop thread";
}

TEST(AppThreadpool, RunInThreadpoolPropagatesTheException) {
  Captured log;
  Application app(log.config());
  app.get("/caught", [](Request& req) -> Task<Response> {
    try {
      co_await req.run_in_threadpool([]() -> int { throw std::invalid_argument("pool boom"); });
    } catch (const std::invalid_argument& e) {
      co_return Response::text(std::string("caught: ") + e.what());
    }
    co_return Response::text("not thrown", 500);
  });
  app.get("/uncaught", [](Request& req) -> Task<Response> {
    co_await req.run_in_threadpool([] { throw std::runtime_error("uncaught pool boom"); });
    co_return Response::text("not thrown");
  });
  app.get("/http", [](Request& req) -> Task<Response> {
    co_await req.run_in_threadpool([] { throw HTTPException(404, "gone in the pool"); });
    co_return Response::text("not thrown");
  });
  TestClient client(app);
  TestResponse caught = client.get("/caught");
  EXPECT_EQ(caught.status, 200) << dump(caught);
  EXPECT_EQ(caught.body, "caught: pool boom");
  TestResponse uncaught = client.get("/uncaught");
  EXPECT_EQ(uncaught.status, 500) << dump(uncaught);
  EXPECT_NE(log.all().find("uncaught pool boom"), std::string::npos) << log.all();
  TestResponse http = client.get("/http");
  EXPECT_EQ(http.status, 404) << dump(http);
  EXPECT_EQ(http.body, "gone in the pool");
}

TEST(AppThreadpool, ManySyncRequestsInARow) {
  Captured log;
  AppConfig c = log.config();
  c.threads = 3;
  Application app(c);
  int n = 0;
  app.route_sync("/n", {"GET"}, [&n](Request&) { return Response::text(std::to_string(++n)); });
  TestClient client(app);
  for (int i = 1; i <= 50; ++i) {
    TestResponse r = client.get("/n");
    ASSERT_EQ(r.status, 200) << dump(r);
    ASSERT_EQ(r.body, std::to_string(i));
  }
}

// Request::run_in_threadpool documents std::logic_error for an app that is
// not served through an Application. Whatever ran before on this thread (an
// Application, since destroyed) must not lend it its executor.
TEST(AppThreadpool, RunInThreadpoolWithoutAnApplicationThrowsLogicError) {
  {
    Captured log;
    Application app(log.config());
    app.get("/", [](Request& req) -> Task<Response> {
      co_return Response::text(std::to_string(co_await req.run_in_threadpool([] { return 1; })));
    });
    TestClient client(app);
    ASSERT_EQ(client.get("/").body, "1");
  }  // that Application, its pool and its executor are gone
  Router router;
  bool has_executor = true;
  router.get("/bare", [&has_executor](Request& req) -> Task<Response> {
    has_executor = req.executor() != nullptr;
    co_return Response::text(std::to_string(co_await req.run_in_threadpool([] { return 2; })));
  });
  TestClient client(router.as_app(), 2000);
  TestResponse r = client.get("/bare");
  EXPECT_FALSE(has_executor) << "a bare router app sees a stale executor from an earlier Application";
  EXPECT_NE(r.error.find("no thread pool"), std::string::npos) << dump(r);
}

// ------------------------------------------------------------ lifespan

TEST(AppLifespan, StartupAtBuildShutdownAtTheEnd) {
  Captured log;
  Application app(log.config());
  std::vector<std::string> events;
  app.on_startup([&events] { events.push_back("start 1"); });
  app.on_startup([&events] { events.push_back("start 2"); });
  app.on_shutdown([&events] { events.push_back("stop 1"); });
  app.on_shutdown([&events] { events.push_back("stop 2"); });
  app.get("/", [&events](Request&) -> Task<Response> {
    events.push_back("request");
    co_return Response::text("ok");
  });
  EXPECT_TRUE(events.empty());
  {
    TestClient client(app);
    EXPECT_EQ(events, (std::vector<std::string>{"start 1", "start 2"}));
    EXPECT_EQ(client.get("/").status, 200);
    EXPECT_EQ(events.size(), 3u);
  }
  EXPECT_EQ(events, (std::vector<std::string>{"start 1", "start 2", "request", "stop 1", "stop 2"}));
}

TEST(AppLifespan, AStartupExceptionPropagatesFromTheClientConstructor) {
  Captured log;
  Application app(log.config());
  int later_hooks = 0, shutdowns = 0;
  app.on_startup([] { throw std::runtime_error("database unreachable"); });
  app.on_startup([&later_hooks] { ++later_hooks; });
  app.on_shutdown([&shutdowns] { ++shutdowns; });
  app.get("/", [](Request&) -> Task<Response> { co_return Response::text("ok"); });
  std::string what;
  try {
    TestClient client(app);
    ADD_FAILURE() << "TestClient was constructed although a start-up hook threw";
  } catch (const std::runtime_error& e) {
    what = e.what();
  }
  EXPECT_EQ(what, "database unreachable");
  EXPECT_EQ(later_hooks, 0);
  EXPECT_EQ(shutdowns, 0);
}

TEST(AppLifespan, EachBuildRunsTheHooks) {
  Captured log;
  Application app(log.config());
  int starts = 0, stops = 0;
  app.on_startup([&starts] { ++starts; });
  app.on_shutdown([&stops] { ++stops; });
  app.get("/", [](Request&) -> Task<Response> { co_return Response::text("ok"); });
  for (int i = 1; i <= 3; ++i) {
    TestClient client(app);
    EXPECT_EQ(client.get("/").body, "ok");
    EXPECT_EQ(starts, i);
    EXPECT_EQ(stops, i - 1);
  }
  EXPECT_EQ(stops, 3);
}

// ------------------------------------------------------------ mounts

TEST(AppMount, ARouterMountedUnderAPrefix) {
  Captured log;
  Application app(log.config());
  Router sub;
  std::vector<std::string> paths;
  sub.get("/", [&paths](Request& req) -> Task<Response> {
    paths.emplace_back(req.path());
    co_return Response::text("sub root");
  });
  sub.get("/items/{id:int}", [&paths](Request& req) -> Task<Response> {
    paths.emplace_back(req.path());
    co_return Response::text("item " + std::to_string(req.path_int("id")));
  });
  std::thread::id sync_thread;
  sub.route_sync("/sync", {"GET"}, [&sync_thread](Request&) {
    sync_thread = std::this_thread::get_id();
    return Response::text("sync in sub");
  });
  sub.get("/teapot", [](Request&) -> Task<Response> {
    throw HTTPException(418, "sub teapot");
    co_return Response::text("unreachable");
  });
  app.get("/top", [](Request&) -> Task<Response> { co_return Response::text("top"); });
  app.mount("/api", sub.as_app());
  TestClient client(app);

  TestResponse item = client.get("/api/items/5");
  EXPECT_EQ(item.status, 200) << dump(item);
  EXPECT_EQ(item.body, "item 5");
  TestResponse root = client.get("/api");
  EXPECT_EQ(root.status, 200) << dump(root);
  EXPECT_EQ(root.body, "sub root");
  TestResponse root_slash = client.get("/api/");
  EXPECT_EQ(root_slash.status, 200) << dump(root_slash);
  EXPECT_EQ(root_slash.body, "sub root");
  EXPECT_EQ(paths, (std::vector<std::string>{"/items/5", "/", "/"}));

  TestResponse sync = client.get("/api/sync");
  EXPECT_EQ(sync.body, "sync in sub") << dump(sync);
  EXPECT_NE(sync_thread, std::this_thread::get_id());
  TestResponse tea = client.get("/api/teapot");
  EXPECT_EQ(tea.status, 418) << dump(tea);
  EXPECT_EQ(tea.body, "sub teapot");

  TestResponse nf = client.get("/api/nope");
  EXPECT_EQ(nf.status, 404) << dump(nf);
  TestRequest post;
  post.method = "POST";
  post.target = "/api/items/5";
  TestResponse na = client.request(post);
  EXPECT_EQ(na.status, 405) << dump(na);
  EXPECT_EQ(na.header("allow"), "GET, HEAD");
  EXPECT_EQ(client.get("/top").body, "top");
  EXPECT_EQ(client.get("/apix").status, 404);
  EXPECT_EQ(client.get("/items/5").status, 404);
}

TEST(AppMount, ARawAppSeesThePrefixStripped) {
  Captured log;
  Application app(log.config());
  struct SeenScope {
    std::string path, raw_path, query, body;
  };
  auto seen = std::make_shared<std::vector<SeenScope>>();
  app.mount("/raw", [seen](const http::Scope& s, http::Receive& receive, http::Send& send) -> Task<void> {
    SeenScope one{std::string(s.path), std::string(s.raw_path), std::string(s.query_string), {}};
    for (;;) {
      http::ReceiveEvent ev = co_await receive();
      if (ev.type != http::ReceiveEvent::body) break;
      one.body.append(ev.bytes);
      if (!ev.more_body) break;
    }
    seen->push_back(one);
    const http::Header hs[] = {{"content-type", "text/plain"}, {"x-raw", "yes"}};
    co_await send.start({201, hs});
    co_await send.body({"raw ", true});
    co_await send.body({"answer", false});
  });
  TestClient client(app);
  TestResponse r = client.get("/raw/a%20b/c?q=1");
  EXPECT_EQ(r.status, 201) << dump(r);
  EXPECT_EQ(r.body, "raw answer");
  EXPECT_EQ(r.body_events, 2);
  EXPECT_EQ(r.header("x-raw"), "yes");
  TestRequest post;
  post.method = "POST";
  post.target = "/raw";
  post.body = "0123456789";
  post.body_piece = 4;
  EXPECT_EQ(client.request(post).status, 201);
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_EQ((*seen)[0].path, "/a b/c");
  EXPECT_EQ((*seen)[0].raw_path, "/a%20b/c");
  EXPECT_EQ((*seen)[0].query, "q=1");
  EXPECT_EQ((*seen)[1].path, "/");
  EXPECT_EQ((*seen)[1].raw_path, "/");
  EXPECT_EQ((*seen)[1].body, "0123456789");
}

TEST(AppMount, ARawAppThatNeverAnswersGivesA500) {
  Captured log;
  Application app(log.config());
  int calls = 0;
  app.mount("/silent", [&calls](const http::Scope&, http::Receive&, http::Send&) -> Task<void> {
    ++calls;
    co_return;
  });
  TestClient client(app);
  TestResponse r = client.get("/silent/x");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.status, 500) << dump(r);
  EXPECT_EQ(r.body.find("Internal Server Error"), 0u) << dump(r);
}

// ------------------------------------------------------------ workload

constexpr std::string_view kUserBody = R"({"id": 1, "name": "user", "email": "user@email.com"})";
constexpr std::string_view kUserReply = R"({"id":1,"name":"user","email":"user@email.com"})";

TEST(AppWorkload, PostUser) {
  Captured log;
  Application app(log.config());
  add_workload_routes(app);
  TestClient client(app);
  TestResponse r = client.post("/user", std::string(kUserBody));
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.body, kUserReply);
  TestRequest pieces;
  pieces.method = "POST";
  pieces.target = "/user";
  pieces.body = std::string(kUserBody);
  pieces.body_piece = 5;
  TestResponse p = client.request(pieces);
  EXPECT_EQ(p.status, 200) << dump(p);
  EXPECT_EQ(p.body, kUserReply);
}

TEST(AppWorkload, PostUserRejectsABadBodyWithAOneLineReason) {
  Captured log;
  Application app(log.config());
  add_workload_routes(app);
  TestClient client(app);
  for (const char* bad : {"[1, 2, 3]", R"({"id": 1, "name": "user")", R"({"name": "u", "email": "e"})", "", "null"}) {
    TestResponse r = client.post("/user", bad);
    EXPECT_EQ(r.status, 400) << "body '" << bad << "': " << dump(r);
    std::string_view reason = r.body;
    if (!reason.empty() && reason.back() == '\n') reason.remove_suffix(1);
    EXPECT_FALSE(reason.empty()) << "body '" << bad << "'";
    EXPECT_EQ(reason.find('\n'), std::string_view::npos) << "body '" << bad << "': " << dump(r);
    EXPECT_EQ(r.header("content-type").value_or("").rfind("text/plain", 0), 0u) << dump(r);
  }
}

TEST(AppWorkload, HelloAndIndex) {
  Captured log;
  Application app(log.config());
  add_workload_routes(app);
  TestClient client(app);
  TestResponse root = client.get("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, "Hello ASGI World!");
  EXPECT_EQ(root.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(client.get("/index?name=J%C3%BCrgen").body, "Hello J\xC3\xBCrgen");
  EXPECT_EQ(client.get("/index?name=Ada+Lovelace").body, "Hello Ada Lovelace");
  EXPECT_EQ(client.get("/index?x=1&name=a%2Bb").body, "Hello a+b");
  EXPECT_EQ(client.get("/index").body, "Hello ASGI World!");
  EXPECT_EQ(client.get("/index?name=").body, "Hello ASGI World!");
  TestResponse get_user = client.get("/user");
  EXPECT_EQ(get_user.status, 405);
  EXPECT_EQ(get_user.header("allow"), "POST");
  EXPECT_EQ(client.get("/nothing").status, 404);
}

}  // namespace

// Request::hold: per-request resources live until the response has been
// sent, then go in reverse order, also when the endpoint throws.
TEST(ApplicationTest, HeldResourcesOutliveTheEndpointAndGoInReverseOrder) {
  struct Noted {
    std::vector<std::string>* log;
    std::string name;
    Noted(std::vector<std::string>* l, std::string n) : log(l), name(std::move(n)) {}
    Noted(Noted&& o) noexcept : log(std::exchange(o.log, nullptr)), name(std::move(o.name)) {}
    ~Noted() {
      if (log) log->push_back("close " + name);
    }
  };
  std::vector<std::string> log;
  Application app;
  app.get("/held", [&log](Request& req) -> Task<Response> {
    req.hold(Noted(&log, "a"));
    Noted& b = req.hold(Noted(&log, "b"));
    log.push_back("endpoint uses " + b.name);
    if (req.query("fail")) throw HTTPException(409, "conflict");
    co_return Response::text("ok");
  });
  TestClient client(app);
  EXPECT_EQ(client.get("/held").status, 200);
  EXPECT_EQ(log, (std::vector<std::string>{"endpoint uses b", "close b", "close a"}));
  log.clear();
  EXPECT_EQ(client.get("/held?fail=1").status, 409);
  EXPECT_EQ(log, (std::vector<std::string>{"endpoint uses b", "close b", "close a"}));
}

// Starlette's redirect_slashes: a path that only differs from a route's by
// its trailing slash is a 307 to the route's form, the query kept.
TEST(AppRedirectSlashes, ATrailingSlashAddedOrRemovedIsA307) {
  Captured log;
  Application app(log.config());
  app.get("/items", [](Request&) -> Task<Response> { co_return Response::text("items"); });
  app.post("/dir/", [](Request&) -> Task<Response> { co_return Response::text("dir"); });
  TestClient client(app);
  auto r = client.get("/items/?a=1&b=%20", {{"host", "example.com:8000"}});
  EXPECT_EQ(r.status, 307) << dump(r);
  EXPECT_EQ(r.header("location").value_or(""), "http://example.com:8000/items?a=1&b=%20");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(client.get("/items///").header("location").value_or("").ends_with("/items"), true);
  // Whatever the method: the redirect keeps it (307), and the route decides.
  auto dir = client.get("/dir");
  EXPECT_EQ(dir.status, 307) << dump(dir);
  EXPECT_TRUE(dir.header("location").value_or("").ends_with("/dir/")) << dump(dir);
  EXPECT_EQ(client.get("/items").body, "items");
  for (const char* target : {"/nothing/", "/nothing", "/", "//", "/items/x"}) {
    auto nf = client.get(target);
    EXPECT_EQ(nf.status, 404) << target;
    EXPECT_FALSE(nf.header("location")) << target;
  }
}

TEST(AppRedirectSlashes, CanBeTurnedOff) {
  Captured log;
  AppConfig config = log.config();
  config.redirect_slashes = false;
  Application app(config);
  app.get("/items", [](Request&) -> Task<Response> { co_return Response::text("items"); });
  TestClient client(app);
  EXPECT_EQ(client.get("/items/").status, 404);
}
