// The seed workloads as a tier-3 application, mirroring the Starlette twin:
//   POST /user   Request.body(), the shared workload function, a Response
//   GET  /       "Hello ASGI World!"
//   GET  /index  "Hello <name>" from the query (Request.query)
// served through the router and the default middleware stack.
#pragma once

#include "app/application.hpp"

namespace strata::app {

void add_workload_routes(Application& app);

}  // namespace strata::app
