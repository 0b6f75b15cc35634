#include "parser/ablations.hpp"

#include <ctime>

#include "common/ablation.hpp"

namespace strata::http {

void apply_ablations(Context& ctx) {
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
