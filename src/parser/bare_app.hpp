// The bare ASGI app of seed 003's uvicorn tier, serving the shared workloads
// straight off the scope/receive/send boundary with no framework: it reads
// the whole body, calls the workload, and sends start + body.
//   POST (any path)        -> seed 003 User round trip (400 on a bad body)
//   GET /, GET /index?name -> seed 002 greetings
// One instance per worker: it keeps its codec and scratch buffer. Under
// the ablation json=dom (read here, when the app is made) the codec is
// workload::DomUserEndpoint: the same answers, through a DOM.
#pragma once

#include "parser/asgi.hpp"

namespace strata::http {

App make_bare_app();

}  // namespace strata::http
