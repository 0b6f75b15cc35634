// The seed workloads as a tier-3 application, mirroring the Starlette twin:
//   POST /user   Request.body(), the shared workload function, a Response
//   GET  /       "Hello ASGI World!"
//   GET  /index  "Hello <name>" from the query (Request.query)
//   WebSocket /ws/echo  every message back as it came (text or bytes)
// served through the router and the default middleware stack.
#pragma once

#include "app/application.hpp"

namespace strata::app {

void add_workload_routes(Application& app);
// The /ws/echo handler, shared by the app and typed tiers.
WebSocketEndpoint websocket_echo();
// `--routes N`: N GET routes /api/resource<i>/{item_id:int} that the
// workload never requests; add them first, so that router=linear scans
// them all before it reaches the workload's routes (Starlette's worst case,
// and the usual one: an app's hot route is rarely its first).
void add_extra_routes(Application& app, unsigned n);
// json=dom: POST /user through workload::DomUserEndpoint (common/workload_dom.hpp).
void add_dom_user_route(Application& app);
// `--routes N`: N GET routes /api/resource<i>/{item_id:int} that the
// workload never requests; add them first, so that router=linear scans
// them all before it reaches the workload's routes (Starlette's worst case,
// and the usual one: an app's hot route is rarely its first).
void add_extra_routes(Application& app, unsigned n);

}  // namespace strata::app
