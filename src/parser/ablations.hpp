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
// alloc=per-request: coroutine frames are given back to the heap when they
// end, instead of kept in the per-thread pool (set_frame_pooling), so each
// request allocates every frame it runs anew, as a default C++ coroutine,
// a Python coroutine or a Go goroutine's closures do. Process-wide: it is
// set (or cleared) by every call.
// write=per-response: each response is written as soon as the app has
// sent it, one write system call per response (and when the socket cannot
// take it all, the next pipelined request waits until it has), instead of
// one gathered write for every response produced from one read: what
// uvicorn's transport.write per response and Node's res.end() do. Also one
// write per WebSocket message.
void apply_ablations(Context& ctx);

}  // namespace strata::http
