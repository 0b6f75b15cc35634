// HttpWorker's io_uring accept, apart from http_server.cpp so that the
// libuv transport's code there is compiled exactly as before.
#include "loop/uring_connection.hpp"
#include "parser/http1_internal.hpp"
#include "parser/http_server.hpp"

namespace strata::http {

void HttpWorker::accept_uring(loop::Ring& ring, int fd) {
  ctx_.now_ms = uv_now(loop());
  loop::UringConnection<Protocol>::accept_from(*this, ring, fd, ctx_, ctx_.options.read_capacity());
}

}  // namespace strata::http
