#include "app/workload_app.hpp"

#include "common/ablation.hpp"
#include "common/workload.hpp"

namespace strata::app {

void add_workload_routes(Application& app) {
  // json=dom (common/ablation.hpp) registers its own codec instead, chosen here once.
  if (ablation::on("json")) add_dom_user_route(app);
  else app.post("/user", [](Request& req) -> Task<Response> {
    const std::string_view body = co_await req.body();
    thread_local workload::UserEndpoint user;  // one codec per loop thread
    std::string out;
    if (user(body, out) != workload::Status::ok) co_return Response::text(std::move(out), 400);
    co_return Response::json(std::move(out));
  });
  app.get("/", [](Request&) -> Task<Response> { co_return Response::text("Hello ASGI World!"); });
  app.get("/index", [](Request& req) -> Task<Response> {
    const auto name = req.query("name");
    if (!name || name->empty()) co_return Response::text("Hello ASGI World!");
    co_return Response::text("Hello " + std::string(*name));
  });
  app.websocket("/ws/echo", websocket_echo());
}

WebSocketEndpoint websocket_echo() {
  return [](WebSocket& ws) -> Task<void> {
    co_await ws.accept();
    while (auto msg = co_await ws.receive()) {
      if (msg->text) co_await ws.send_text(msg->data);
      else co_await ws.send_bytes(msg->data);
    }
  };
}

}  // namespace strata::app
