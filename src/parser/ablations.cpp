#include "parser/ablations.hpp"

#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "common/ablation.hpp"
#include "parser/task.hpp"

namespace strata::http {

namespace {

// headers=copy: the request's header list as owned strings, the way
// httptools hands uvicorn a list of (bytes, bytes) pairs it has copied.
// A coroutine of its own: the copies must outlive the app's Task.
App copy_headers(App inner) {
  return [inner = std::move(inner)](const Scope& scope, Receive& receive, Send& send) -> Task<void> {
    std::vector<std::pair<std::string, std::string>> owned;
    owned.reserve(scope.headers.size());
    for (const Header& h : scope.headers) owned.emplace_back(std::string(h.name), std::string(h.value));
    std::vector<Header> views;
    views.reserve(owned.size());
    for (const auto& [name, value] : owned) views.push_back({name, value});
    Scope copy = scope;
    copy.headers = views;
    co_await inner(copy, receive, send);
  };
}

}  // namespace

void apply_ablations(Context& ctx) {
  // Both ways: the profiler builds stacks with and without it in turn.
  set_frame_pooling(!ablation::on("alloc"));
  // With one byte as the high-water mark, every response the app completes
  // is over the mark, so send_body flushes it at once (and waits for it to
  // drain before the next, as `await writer.drain()` does); the comparison
  // runs per response anyway, so the baseline pays nothing for this.
  if (ablation::on("write")) ctx.options.high_water = 1;
  if (ablation::on("headers")) ctx.app = copy_headers(std::move(ctx.app));
  if (!ablation::on("date")) return;
  // No coroutine of its own: it returns the inner app's Task, so the only
  // cost added per request is the formatting the ablation is about (and
  // one std::function call).
  ctx.app = [inner = std::move(ctx.app), &ctx](const Scope& scope, Receive& receive, Send& send) {
    ctx.date_second = 0;  // refresh_date would keep a line formatted this second
    ctx.refresh_date(std::time(nullptr));
    return inner(scope, receive, send);
  };
}

}  // namespace strata::http
