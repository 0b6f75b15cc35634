#include "router/workload.hpp"

#include <chrono>
#include <thread>

#include "app/workload_app.hpp"
#include "common/ablation.hpp"
#include "router/concurrency.hpp"

namespace strata::router {

int64_t count_to(int64_t n) {
  int64_t num = 0;
  for (int64_t i = 0; i < n; ++i) {
    num += 1;
    asm volatile("" : "+r"(num));  // keeps one add per step, like the seed's Python loop
  }
  return num;
}

namespace {

// The seed sleeps 1 s and counts to 5,000,000; both are query parameters
// here, bounded so that one request cannot hold a worker for long.
inline constexpr Constraints kDelay{.ge = 0, .le = 60};
inline constexpr Constraints kWork{.ge = 0, .le = 1'000'000'000};
using Delay = Query<"delay", double, 1.0, kDelay>;
using Work = Query<"n", int64_t, int64_t{5'000'000}, kWork>;

void block_for(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

}  // namespace

void add_workload_routes(API& api) {
  // seed 003: FastAPI decodes the body into a User, the handler builds a new
  // one, FastAPI validates and encodes it. json=dom (common/ablation.hpp)
  // registers its own decoding instead, chosen here once.
  if (ablation::on("json")) add_dom_user_route(api);
  else api.post(
      "/user",
      [](Body<User> user) -> Task<User> {
        co_return User{user->id, std::move(user->name), std::move(user->email)};
      },
      {.name = "pydantic_user"});

  // seed 002.
  api.get("/", []() -> Task<PlainText> { co_return PlainText{"Hello ASGI World!"}; }, {.name = "read_root"});
  // The same echo as the app tier's (app/workload_app.hpp), as a typed route.
  api.websocket("/ws/echo", [echo = app::websocket_echo()](app::WebSocket& ws) { return echo(ws); });
  api.get(
      "/index",
      [](Query<"name", std::optional<std::string>> name) -> Task<PlainText> {
        if (!name->has_value() || (*name)->empty()) co_return PlainText{"Hello ASGI World!"};
        co_return PlainText{"Hello " + **name};
      },
      {.name = "read_index"});

  // seed 004, sleeping: where does the waiting happen?
  const RouteOptions seed004{.tags = {"seed 004"}};
  auto tagged = [&](std::string name, std::string summary) {
    RouteOptions o = seed004;
    o.name = std::move(name);
    o.summary = std::move(summary);
    return o;
  };
  api.get(
      "/fastapi/async_slowest/",
      [](Delay delay) -> Task<Message> {
        block_for(*delay);  // on the loop: every other request on this worker waits too
        co_return Message{"async mode but use sync sleep"};
      },
      tagged("async_slowest", "Blocking sleep inside an async handler (stalls the loop)"));
  api.get(
      "/fastapi/async_sleep_in_thread/",
      [](Delay delay) -> Task<Message> {
        const double seconds = *delay;
        co_await run_in_threadpool([seconds] { block_for(seconds); });
        co_return Message{"sleep run in thread pool"};
      },
      tagged("async_sleep_in_thread", "Blocking sleep pushed to the thread pool from an async handler"));
  api.get(
      "/fastapi/async_sleep/",
      [](Delay delay) -> Task<Message> {
        co_await async_sleep(*delay);
        co_return Message{"async mode sleep"};
      },
      tagged("async_sleep", "Timer sleep in an async handler (the loop serves others meanwhile)"));
  api.get(
      "/fastapi/sync/",
      [](Delay delay) -> Message {
        block_for(*delay);
        return Message{"sync, but run in thread pool"};
      },
      tagged("sync_sleep", "Blocking sleep in a sync handler (run on the thread pool)"));

  // seed 004, computing: where does the CPU work run?
  api.get(
      "/fastapi/sync_cpu_bound/",
      [](Work n) -> CountMessage { return CountMessage{count_to(*n), "sync mode cpu operation"}; },
      tagged("sync_cpu_bound", "CPU loop in a sync handler (run on the thread pool)"));
  api.get(
      "/fastapi/async_cpu_bound/",
      [](Work n) -> Task<CountMessage> {
        const int64_t steps = *n;
        const int64_t data = co_await run_in_threadpool([steps] { return count_to(steps); });
        co_return CountMessage{data, "async mode cpu operation"};
      },
      tagged("async_cpu_bound", "CPU loop pushed to the thread pool from an async handler"));
  api.get(
      "/fastapi/async_cpu_bound_slow/",
      [](Work n) -> Task<Message> {
        count_to(*n);  // on the loop
        co_return Message{"sync mode operation but run in async mode"};
      },
      tagged("async_cpu_bound_slow", "CPU loop inline in an async handler (stalls the loop)"));
}

}  // namespace strata::router
