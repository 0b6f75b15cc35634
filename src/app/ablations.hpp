// Tier 3's ablations (common/ablation.hpp), installed by Application::build
// when it assembles a worker's app; with none active each returns what it
// was given, so the request path is the baseline's.
#pragma once

#include "app/routing.hpp"
#include "parser/asgi.hpp"

namespace strata::app {

// The router as an app. router=linear: Starlette's matching, the routes
// scanned in the order they were added with one std::regex each (compiled
// at start-up as Starlette's compile_path does: `{id:int}` -> `([0-9]+)`),
// the first whose regex and method match wins. What the scan finds is
// answered exactly as the tree answers it: parameters are converted, and
// 405s, mounts, redirects and 404s resolved, by the tree (those paths are
// not what the ablation measures). `router` must outlive the app.
http::App routing_app(const Router& router);

// middleware=N: N pass-through middlewares around `inner`. Pure ASGI style
// (an app awaiting the next one, as Starlette's documentation recommends)
// unless middleware-style=wrapped: each then builds a Request over the
// scope and captures the inner response (status, headers, body) into owned
// strings before sending it on, as Starlette's BaseHTTPMiddleware does with
// call_next. The bytes sent are the same either way.
http::App wrap_ablation_middleware(http::App inner);

}  // namespace strata::app
