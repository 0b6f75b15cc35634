#include "parser/asgi.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include <unistd.h>

namespace strata::http {

Task<void> Send::file(ResponseFile f) {
  // A Send that is not tier 2's own cannot hand a descriptor on: read the
  // file in pieces, so memory stays bounded by one piece whatever its size.
  constexpr size_t kPiece = 64 * 1024;
  if (f.count == 0) {
    co_await body({{}, f.more_body});
    co_return;
  }
  std::unique_ptr<char[]> buf(new char[kPiece]);
  uint64_t off = f.offset;
  uint64_t left = f.count;
  while (left > 0) {
    const size_t want = left < kPiece ? static_cast<size_t>(left) : kPiece;
    const ssize_t n = ::pread(f.fd, buf.get(), want, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("file read failed: ") + std::strerror(errno));
    if (n == 0) throw std::runtime_error("file shorter than its response's length");
    off += static_cast<uint64_t>(n);
    left -= static_cast<uint64_t>(n);
    co_await body({{buf.get(), static_cast<size_t>(n)}, left > 0 || f.more_body});
  }
}

}  // namespace strata::http
