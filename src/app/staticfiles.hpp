// Tier 3's files: Starlette's FileResponse and StaticFiles.
//
// FileResponse(path) is a Response whose body is a file. StaticFiles is an
// app to mount that serves a directory:
//
//   app.mount("/static", app::StaticFiles({.directory = "public", .html = true}));
//   app.get("/report", [](Request&) -> Task<Response> { co_return app::FileResponse("out/report.pdf"); });
//
// What a file answer carries, as Starlette's: Content-Type from the
// extension (content_type() below; text types with "; charset=utf-8"),
// Content-Length, Last-Modified, ETag, Accept-Ranges: bytes. GET and HEAD
// only (StaticFiles answers anything else 405 with Allow: GET, HEAD).
//  - 304 (no body) when If-None-Match matches the ETag, or, without an
//    If-None-Match, when If-Modified-Since is no older than the file.
//  - Range: one range -> 206 with Content-Range; none satisfiable -> 416
//    with Content-Range: bytes */SIZE; several ranges -> 200 with the whole
//    file (allowed by RFC 9110 14.2; multipart/byteranges is not built);
//    a malformed header is ignored (200), as the RFC says. An If-Range
//    that does not match the ETag or Last-Modified exactly -> 200 whole.
//  - ETag: "<mtime in ns, hex>-<size, hex>", nginx's form with the
//    nanoseconds kept: as strong as Starlette's md5 of mtime-size and
//    free to compute.
//  - The bytes go through http::Send::file: sendfile or splice under tier
//    2, never read into memory (unless a middleware must change them).
//
// Opening: the file is opened and stat'ed when the response is sent. On
// the loop first, with openat2's RESOLVE_CACHED: a lookup the dentry cache
// can answer (every hot file) never waits on the disk; one that would (or
// a kernel before 5.12) is done again on the Application's thread pool, so
// the loop never waits on a cold directory. With no pool (a bare Router)
// that second try is inline. fstat of an open file reads the in-memory
// inode.
// A file that cannot be opened answers 404 (FileResponse raises nothing:
// the response is already chosen; Starlette raises there instead).
//
// StaticFiles refuses with 404, before touching the disk: "..", encoded
// slashes or backslashes (%2F, %5C), NUL, backslashes, and paths that turn
// absolute once the mount prefix is removed; then the kernel resolves the
// rest beneath the directory (openat2 RESOLVE_BENEATH; on kernels without
// it, the opened file's real path is checked against the root), so a
// symlink that leads outside the root is 404 too, while one inside is
// followed. Directories: index.html in html mode, else 404. Not regular
// files (FIFOs, devices) are 404 and are never opened in a way that blocks.
// Differences from Starlette: no redirect of /dir to /dir/ in html mode,
// no 404.html page; unknown extensions are application/octet-stream.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "app/response.hpp"
#include "parser/asgi.hpp"

namespace strata::app {

struct FileOptions {
  std::string media_type;  // empty: from the file name's extension
  // Non-empty: Content-Disposition: attachment; filename="..." (quotes and
  // control characters are dropped from it).
  std::string filename;
};

// Starlette's FileResponse(path). The path is opened as given, relative
// to the process's working directory: it is the app's choice, not the
// client's. The Response's status is 200, or what files::respond decides.
Response FileResponse(std::string path, FileOptions options = {});

struct StaticFilesOptions {
  std::string directory;
  bool html = false;       // a directory answers with its index.html
  bool check_dir = true;   // throw at construction if the directory is missing
};

// Starlette's StaticFiles: an app to mount. The directory is opened once,
// here (std::invalid_argument if it is missing and check_dir); the app
// holds it open for its lifetime and may be shared by every worker.
http::App StaticFiles(StaticFilesOptions options);

// The pure pieces, for tests and for anyone serving files another way.
namespace files {

// "text/css; charset=utf-8" etc. from the extension (case-insensitive);
// application/octet-stream when unknown.
std::string_view content_type(std::string_view path);

struct ByteRange {
  enum Kind {
    none,           // no usable Range header: answer 200 with everything
    whole,          // several ranges: answered 200 with everything
    single,         // 206, bytes first..last (inclusive)
    unsatisfiable,  // 416
  } kind = none;
  uint64_t first = 0, last = 0;
};
// Parses a Range header against a representation of `size` bytes. Numbers
// too large for 64 bits saturate (a first byte past the end is
// unsatisfiable, a last byte past it is clamped); "bytes=-0" and any range
// on an empty file are unsatisfiable; anything malformed is `none`.
ByteRange parse_range(std::string_view header, uint64_t size);

// The path under a StaticFiles root to open ("" for the root itself), or
// nullopt when it must be refused (see the top of this header). `path` is
// tier 2's percent-decoded scope.path after the mount, `raw_path` the
// same as received.
std::optional<std::string> safe_relative_path(std::string_view path, std::string_view raw_path);

// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") to seconds since
// the epoch; nullopt for anything else (the obsolete RFC 850 and asctime
// forms included: the condition is then ignored, which is always safe).
std::optional<std::time_t> parse_http_date(std::string_view s);

// The ETag described at the top of this header, quotes included.
std::string make_etag(int64_t mtime_ns, uint64_t size);

// True when a GET/HEAD may answer 304: If-None-Match (weak comparison, "*"
// matches) when present, else If-Modified-Since >= mtime. Empty views mean
// the header is absent.
bool not_modified(std::string_view if_none_match, std::string_view if_modified_since, std::string_view etag,
                  std::time_t mtime);

// If-Range (RFC 9110 13.1.5): a strong ETag equal to `etag`, or a date
// equal to the Last-Modified; an absent header (empty) matches.
bool if_range_matches(std::string_view if_range, std::string_view etag, std::time_t mtime);

// Answers `scope` with the open regular file `fd` (borrowed; the caller
// closes it after) of `size` bytes last modified at `mtime_ns`: the
// conditional, range and HEAD logic above, then the bytes via send.file().
Task<void> respond(const http::Scope& scope, http::Send& send, int fd, uint64_t size, int64_t mtime_ns,
                   const FileOptions& options);

}  // namespace files
}  // namespace strata::app
