// Tier 2's ablations (common/ablation.hpp). Installed once, where a worker
// (or a profiler's in-memory engine) builds its Context, after ctx.app is
// set; with none active this changes nothing, so the request path is the
// baseline's instruction for instruction.
#pragma once

#include "parser/http1.hpp"

namespace strata::http {

// date=per-response: ctx.app is wrapped so that the Date line is formatted
// again (clock read, gmtime, snprintf) before each request the app answers,
// as gunicorn, Python's http.server and Go's net/http do; responses the
// engine writes by itself (400, 431, ...) keep the cached line. `ctx` must
// outlive its app (it does: the app is a member of it).
// headers=copy: before the app runs, every request header (name and value)
// is copied into owned strings and the app sees a Scope over the copies,
// instead of views into the read buffer: what a framework that builds a
// header list or dict per request pays (httptools' list of (bytes, bytes)
// for uvicorn, Starlette's Headers, Node's IncomingMessage.headers).
void apply_ablations(Context& ctx);

}  // namespace strata::http
