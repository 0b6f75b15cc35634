// GZip middleware: Starlette's GZipMiddleware, on zlib.
//
//   api.add_middleware(app::gzip({.minimum_size = 500, .compresslevel = 6}));
//
// A response is compressed when the request's Accept-Encoding accepts gzip
// (a "gzip" or "*" coding whose q is not 0) and:
//  - its body is sent in one piece of at least minimum_size bytes: the
//    whole body is compressed and Content-Length set to the compressed
//    size; or
//  - it is streamed (more than one body event): every piece is compressed
//    and flushed (Z_SYNC_FLUSH) as it comes, so a client sees each piece
//    when it is sent; Content-Length, if any, is removed.
// It is never compressed when it already has a Content-Encoding, is a 206
// or has a Content-Range, or is text/event-stream (events must not wait in
// a compressor). A compressed response gets Content-Encoding: gzip and
// Accept-Encoding added to its Vary.
//
// Cost: a request without gzip in Accept-Encoding, or with the middleware
// not added, pays nothing more than reading one header. A compressed
// response allocates zlib's state (about 256 KiB at level 9: deflate's
// window and hash tables) for its duration, and compresses at roughly
// the rate given in docs/tier3-app.md.
#pragma once

#include <cstddef>
#include <string_view>

#include "app/middleware.hpp"

namespace strata::app {

struct GZipOptions {
  size_t minimum_size = 500;  // a one-piece body below this is sent as is
  int compresslevel = 9;      // 1 (fastest) to 9 (smallest), as Starlette's default
};

// Throws std::invalid_argument for a compresslevel outside 1..9.
Middleware gzip(GZipOptions options = {});

// Whether an Accept-Encoding value accepts gzip (exposed for tests).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace strata::app
