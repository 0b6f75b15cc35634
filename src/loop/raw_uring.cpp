// RawWorker's io_uring accept, apart from raw.cpp: instantiating the ring
// transport in the protocol's own file changes what GCC inlines there, and
// the libuv path's instruction count with it.
#include "loop/raw.hpp"
#include "loop/uring_connection.hpp"

namespace strata::loop::raw {

void RawWorker::accept_uring(Ring& ring, int fd) {
  UringConnection<Protocol>::accept_from(*this, ring, fd, ctx_, read_capacity);
}

}  // namespace strata::loop::raw
