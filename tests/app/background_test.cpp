// Background tasks (app/background.hpp) through TestClient: they run after
// the last byte of the response, in order, on the loop or the pool; their
// errors are logged and never reach the client.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/application.hpp"
#include "app/background.hpp"
#include "app/testclient.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

using Events = std::shared_ptr<std::vector<std::string>>;

// Records the final body event in `events`, so a test can see what a task
// did before or after the response ended.
class RecordingSend : public ForwardingSend {
 public:
  RecordingSend(http::Send& inner, Events events) : ForwardingSend(inner), events_(std::move(events)) {}
  Task<void> body(http::ResponseBody b) override {
    const bool last = !b.more_body;
    co_await inner_.body(b);
    if (last) events_->push_back("response end");
  }

 private:
  Events events_;
};

Middleware record_end(Events events) {
  return [events](http::App next) -> http::App {
    return [next, events](const http::Scope& s, http::Receive& r, http::Send& send) -> Task<void> {
      RecordingSend rec(send, events);
      co_await next(s, r, rec);
    };
  };
}

TEST(AppBackground, TasksRunAfterTheResponseInOrderOnTheLoopAndThePool) {
  Captured log;
  Application app(log.config());
  auto events = std::make_shared<std::vector<std::string>>();
  const std::thread::id loop_thread = std::this_thread::get_id();
  auto pool_thread = std::make_shared<std::thread::id>();
  app.add_middleware(record_end(events));
  app.get("/", [events, pool_thread](Request&) -> Task<Response> {
    BackgroundTasks tasks;
    tasks.add([events]() -> Task<void> {
      events->push_back("loop 1");
      co_return;
    });
    tasks.add_sync([events, pool_thread] {
      *pool_thread = std::this_thread::get_id();
      events->push_back("pool 2");
    });
    tasks.add([events]() -> Task<void> {
      events->push_back("loop 3");
      co_return;
    });
    events->push_back("handler");
    co_return Response::text("ok").background(std::move(tasks));
  });
  TestClient client(app);
  TestResponse r = client.get("/");
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(*events, (std::vector<std::string>{"handler", "response end", "loop 1", "pool 2", "loop 3"}));
  EXPECT_NE(*pool_thread, std::thread::id{});
  EXPECT_NE(*pool_thread, loop_thread);
  EXPECT_TRUE(log.lines->empty()) << log.all();
}

TEST(AppBackground, AStreamedResponseEndsBeforeItsTasksRun) {
  Captured log;
  Application app(log.config());
  auto events = std::make_shared<std::vector<std::string>>();
  app.add_middleware(record_end(events));
  app.get("/stream", [events](Request&) -> Task<Response> {
    BackgroundTasks tasks;
    tasks.add_sync([events] { events->push_back("task"); });
    co_return Response::stream([](BodyWriter& w) -> Task<void> {
      co_await w.write("a");
      co_await w.write("b");
    }).background(std::move(tasks));
  });
  TestClient client(app);
  TestResponse r = client.get("/stream");
  EXPECT_EQ(r.body, "ab") << dump(r);
  EXPECT_EQ(*events, (std::vector<std::string>{"response end", "task"}));
}

TEST(AppBackground, ErrorsAreLoggedNeverSentAndTheNextTaskStillRuns) {
  Captured log;
  Application app(log.config());
  auto ran = std::make_shared<int>(0);
  app.get("/", [ran](Request&) -> Task<Response> {
    BackgroundTasks tasks;
    tasks.add([]() -> Task<void> {
      throw std::runtime_error("loop task secret");
      co_return;
    });
    tasks.add_sync([] { throw std::runtime_error("pool task secret"); });
    tasks.add_sync([ran] { ++*ran; });
    co_return Response::text("ok").background(std::move(tasks));
  });
  TestClient client(app);
  TestResponse r = client.get("/");
  EXPECT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "ok");
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(*ran, 1);
  ASSERT_EQ(log.lines->size(), 2u) << log.all();
  EXPECT_NE((*log.lines)[0].find("background task 1: loop task secret"), std::string::npos) << log.all();
  EXPECT_NE((*log.lines)[1].find("background task 2: pool task secret"), std::string::npos) << log.all();
  // The connection (here: the client) is still usable afterwards.
  EXPECT_EQ(client.get("/").status, 200);
  EXPECT_EQ(*ran, 2);
}

TEST(AppBackground, ALoopTaskMayAwaitThePoolAndManyTasksRun) {
  Captured log;
  Application app(log.config());
  auto sum = std::make_shared<long>(0);
  app.get("/", [sum](Request& req) -> Task<Response> {
    BackgroundTasks tasks;
    LoopExecutor* ex = req.executor();
    for (int i = 1; i <= 1000; ++i)
      tasks.add([sum, ex, i]() -> Task<void> { *sum += co_await ex->run([i] { return i; }); });
    co_return Response::text("queued").background(std::move(tasks));
  });
  TestClient client(app);
  EXPECT_EQ(client.get("/").body, "queued");
  EXPECT_EQ(*sum, 1000L * 1001 / 2);
}

TEST(AppBackground, AResponseWithoutTasksHasNone) {
  Response r = Response::text("x");
  EXPECT_FALSE(r.has_background());
  r.background(BackgroundTasks{});
  EXPECT_TRUE(r.has_background());
  BackgroundTasks t;
  EXPECT_TRUE(t.empty());
  t.add_sync([] {});
  EXPECT_EQ(t.size(), 1u);
}

TEST(AppBackground, CopiesAndMovesKeepTheMediaTypeAndTheTasks) {
  // Both live out of line in a Response; the media type is a view into it.
  auto r = std::make_unique<Response>(Response::bytes("x", "image/png"));
  r->background(BackgroundTasks{}.add_sync([] {}));
  Response copy = *r;
  Response assigned = Response::text("y");
  assigned = copy;
  r.reset();
  EXPECT_EQ(copy.media_type(), "image/png");
  EXPECT_TRUE(copy.has_background());
  Response moved = std::move(copy);
  EXPECT_EQ(moved.media_type(), "image/png");
  EXPECT_TRUE(moved.has_background());
  EXPECT_EQ(assigned.media_type(), "image/png");
  EXPECT_TRUE(assigned.has_background());
  assigned.set_media_type(media::json);
  EXPECT_EQ(assigned.media_type(), "application/json");
  assigned.set_media_type("text/csv");
  EXPECT_EQ(assigned.media_type(), "text/csv");
  EXPECT_EQ(Response::empty(204).media_type(), "");
}

}  // namespace
