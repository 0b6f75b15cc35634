// The tier-3 workload's variants for the ablation tables (common/ablation.hpp),
// in a file of their own so that the baseline's routes (workload_app.cpp)
// compile to the same code with or without them.
#include "app/workload_app.hpp"
#include "common/workload_dom.hpp"

namespace strata::app {

void add_extra_routes(Application& app, unsigned n) {
  // A typical API's shape, an item by int id per resource; none of them is
  // what the workload requests.
  for (unsigned i = 0; i < n; ++i) {
    app.get("/api/resource" + std::to_string(i) + "/{item_id:int}", [i](Request& req) -> Task<Response> {
      co_return Response::text("resource " + std::to_string(i) + " item " + std::string(req.path_param("item_id")));
    });
  }
}

void add_dom_user_route(Application& app) {
  app.post("/user", [](Request& req) -> Task<Response> {
    const std::string_view body = co_await req.body();
    thread_local workload::DomUserEndpoint user;  // one codec per loop thread
    std::string out;
    if (user(body, out) != workload::Status::ok) co_return Response::text(std::move(out), 400);
    co_return Response::json(std::move(out));
  });
}

}  // namespace strata::app
