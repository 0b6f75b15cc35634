#include "app/staticfiles.hpp"

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app/context.hpp"
#include "app/threadpool.hpp"
#include "common/text.hpp"
#include "parser/http1.hpp"

namespace strata::app {

namespace files {

namespace {

std::string_view lower_ext(std::string_view path, char* buf, size_t cap) {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size() || name.size() - dot - 1 > cap) return {};
  const std::string_view ext = name.substr(dot + 1);
  for (size_t i = 0; i < ext.size(); ++i) {
    const char c = ext[i];
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return {buf, ext.size()};
}

// Digits to a number that saturates at UINT64_MAX instead of wrapping:
// an absurd position must stay absurd, never become a small one.
bool parse_saturating(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  out = v;
  return true;
}

std::string_view strip_weak(std::string_view tag) { return tag.starts_with("W/") ? tag.substr(2) : tag; }

void append_uint(std::string& o, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace

std::string_view content_type(std::string_view path) {
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr Entry kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"txt", "text/plain; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"md", "text/markdown; charset=utf-8"},
      {"xml", "text/xml; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"wasm", "application/wasm"},
      {"pdf", "application/pdf"},
      {"zip", "application/zip"},
      {"gz", "application/gzip"},
      {"tar", "application/x-tar"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/vnd.microsoft.icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"mp4", "video/mp4"},
      {"webm", "video/webm"},
      {"mp3", "audio/mpeg"},
      {"ogg", "audio/ogg"},
      {"wav", "audio/wav"},
  };
  char buf[16];
  const std::string_view ext = lower_ext(path, buf, sizeof buf);
  if (!ext.empty())
    for (const Entry& e : kTypes)
      if (e.ext == ext) return e.type;
  return "application/octet-stream";
}

ByteRange parse_range(std::string_view header, uint64_t size) {
  header = text::trim_ows(header);
  if (header.size() < 6 || !text::iequals(header.substr(0, 6), "bytes=")) return {};
  std::string_view spec = text::trim_ows(header.substr(6));
  if (spec.find(',') != std::string_view::npos) {
    // Several ranges: valid ones get the whole file; a list with nothing
    // in it is malformed.
    bool any = false;
    while (!spec.empty()) {
      const size_t comma = spec.find(',');
      if (!text::trim_ows(spec.substr(0, comma)).empty()) any = true;
      spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    }
    return any ? ByteRange{ByteRange::whole} : ByteRange{};
  }
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {
    // A suffix: the last N bytes.
    uint64_t n = 0;
    if (!parse_saturating(b, n)) return {};
    if (n == 0 || size == 0) return {ByteRange::unsatisfiable};
    return {ByteRange::single, n >= size ? 0 : size - n, size - 1};
  }
  uint64_t first = 0, last = UINT64_MAX;
  if (!parse_saturating(a, first)) return {};
  if (!b.empty() && !parse_saturating(b, last)) return {};
  if (last < first) return {};  // invalid, so ignored (RFC 9110 14.1.1)
  if (first >= size) return {ByteRange::unsatisfiable};
  return {ByteRange::single, first, last >= size ? size - 1 : last};
}

std::optional<std::string> safe_relative_path(std::string_view path, std::string_view raw_path) {
  // Encoded separators would let one segment hide another; NUL would cut
  // the name short in the kernel.
  for (size_t i = 0; i + 2 < raw_path.size(); ++i) {
    if (raw_path[i] != '%') continue;
    const std::string_view hex = raw_path.substr(i + 1, 2);
    if (text::iequals(hex, "2f") || text::iequals(hex, "5c") || hex == "00") return std::nullopt;
  }
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) return std::nullopt;
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.starts_with('/')) return std::nullopt;  // "//etc/passwd": absolute once the prefix is gone
  std::string out;
  out.reserve(path.size());
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if (seg == "..") return std::nullopt;
    if (seg.empty() || seg == ".") continue;
    if (!out.empty()) out.push_back('/');
    out.append(seg);
  }
  if (out.size() >= PATH_MAX) return std::nullopt;
  return out;
}

std::optional<std::time_t> parse_http_date(std::string_view s) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT", exactly 29 characters.
  s = text::trim_ows(s);
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT")
    return std::nullopt;
  auto num = [&](size_t at, size_t n, int& out) {
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const size_t m = kMonths.find(s.substr(8, 3));
  if (m == std::string_view::npos || m % 3 != 0) return std::nullopt;
  int day, year, hh, mm, ss;
  if (!num(5, 2, day) || !num(12, 4, year) || !num(17, 2, hh) || !num(20, 2, mm) || !num(23, 2, ss))
    return std::nullopt;
  if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970) return std::nullopt;
  // Days from the civil date (Howard Hinnant's algorithm), no time zone.
  const int mon = static_cast<int>(m / 3) + 1;
  const int y = year - (mon <= 2);
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + doe - 719468;
  return static_cast<std::time_t>(days * 86400 + hh * 3600 + mm * 60 + ss);
}

std::string make_etag(int64_t mtime_ns, uint64_t size) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(mtime_ns),
                static_cast<unsigned long long>(size));
  return buf;
}

bool not_modified(std::string_view if_none_match, std::string_view if_modified_since, std::string_view etag,
                  std::time_t mtime) {
  if (!if_none_match.empty()) {
    // RFC 9110 13.1.2: weak comparison; If-Modified-Since is then ignored.
    std::string_view list = if_none_match;
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view tag = text::trim_ows(list.substr(0, comma));
      if (tag == "*" || strip_weak(tag) == strip_weak(etag)) return true;
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return false;
  }
  if (if_modified_since.empty()) return false;
  const auto since = parse_http_date(if_modified_since);
  return since && mtime <= *since;
}

bool if_range_matches(std::string_view if_range, std::string_view etag, std::time_t mtime) {
  if_range = text::trim_ows(if_range);
  if (if_range.empty()) return true;
  if (if_range.starts_with('"')) return if_range == etag;  // strong comparison only
  if (if_range.starts_with("W/")) return false;
  const auto date = parse_http_date(if_range);
  return date && *date == mtime;
}

Task<void> respond(const http::Scope& scope, http::Send& send, int fd, uint64_t size, int64_t mtime_ns,
                   const FileOptions& options) {
  const std::time_t mtime = static_cast<std::time_t>(mtime_ns / 1'000'000'000);
  const std::string etag = make_etag(mtime_ns, size);
  char last_modified[29];
  http::format_http_date(mtime, last_modified);
  const std::string_view lm{last_modified, sizeof last_modified};
  std::string disposition;
  if (!options.filename.empty()) {
    disposition = "attachment; filename=\"";
    for (char c : options.filename)
      if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) disposition.push_back(c);
    disposition.push_back('"');
  }
  std::vector<http::Header> hs;
  hs.reserve(8);
  hs.push_back({"etag", etag});
  hs.push_back({"last-modified", lm});
  if (!disposition.empty()) hs.push_back({"content-disposition", disposition});

  if (not_modified(scope.header("if-none-match"), scope.header("if-modified-since"), etag, mtime)) {
    co_await send.start({304, hs});
    co_await send.body({{}, false});
    co_return;
  }
  const std::string_view type = options.media_type.empty() ? content_type(scope.path) : options.media_type;
  hs.push_back({"content-type", type});
  hs.push_back({"accept-ranges", "bytes"});

  ByteRange range;
  if (const std::string_view h = scope.header("range"); !h.empty() && if_range_matches(scope.header("if-range"), etag, mtime))
    range = parse_range(h, size);
  std::string content_range;
  int status = 200;
  uint64_t offset = 0, count = size;
  if (range.kind == ByteRange::unsatisfiable) {
    content_range = "bytes */";
    append_uint(content_range, size);
    hs.push_back({"content-range", content_range});
    hs.push_back({"content-length", "0"});
    co_await send.start({416, hs});
    co_await send.body({{}, false});
    co_return;
  }
  if (range.kind == ByteRange::single) {
    status = 206;
    offset = range.first;
    count = range.last - range.first + 1;
    content_range = "bytes ";
    append_uint(content_range, range.first);
    content_range.push_back('-');
    append_uint(content_range, range.last);
    content_range.push_back('/');
    append_uint(content_range, size);
    hs.push_back({"content-range", content_range});
  }
  std::string length;
  append_uint(length, count);
  hs.push_back({"content-length", length});
  co_await send.start({status, hs});
  if (scope.method == "HEAD") {
    co_await send.body({{}, false});
    co_return;
  }
  co_await send.file({fd, offset, count, false});
}

}  // namespace files

namespace {

struct Opened {
  int fd = -1;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool index = false;  // a directory's index.html
  ~Opened() {
    if (fd >= 0) ::close(fd);
  }
  Opened() = default;
  Opened(Opened&& o) noexcept
      : fd(std::exchange(o.fd, -1)), size(o.size), mtime_ns(o.mtime_ns), index(o.index) {}
  Opened& operator=(Opened&& o) noexcept {
    std::swap(fd, o.fd);
    size = o.size;
    mtime_ns = o.mtime_ns;
    index = o.index;
    return *this;
  }
};

// O_NONBLOCK: opening a FIFO must not wait for a writer; it has no effect
// on a regular file's reads.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

enum class Kind { file, directory, other };

Kind stat_kind(int fd, Opened& out) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return Kind::other;
  if (S_ISDIR(st.st_mode)) return Kind::directory;
  if (!S_ISREG(st.st_mode)) return Kind::other;
  out.size = static_cast<uint64_t>(st.st_size);
  out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return Kind::file;
}

// Runs `f` on the loop's thread pool, or inline without one.
template <class F>
Task<Opened> off_loop(F f) {
  LoopExecutor* ex = loop_context().executor;
  if (ex == nullptr) co_return f();
  co_return co_await ex->run(f);
}

struct Root {
  int dir = -1;
  std::string real;  // the root's real path, for kernels without openat2
  bool html = false;
  ~Root() {
    if (dir >= 0) ::close(dir);
  }
};

// With `cached_only`, the lookup may use the dentry cache only (openat2's
// RESOLVE_CACHED, Linux 5.12): it then never waits on the disk and can run
// on the loop; -1 with EAGAIN means it would have, so the caller retries on
// the thread pool. io_uring opens files the same way.
bool would_block(int err) { return err == EAGAIN || err == EINVAL || err == ENOSYS; }

// Opens `rel` beneath the root, or -1 (errno set). The kernel refuses any
// step out of the root, symlinks included.
int open_beneath(const Root& root, const std::string& rel, bool cached_only) {
  const char* name = rel.empty() ? "." : rel.c_str();
  open_how how{};
  how.flags = kOpenFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (cached_only ? RESOLVE_CACHED : 0);
  const long fd = ::syscall(SYS_openat2, root.dir, name, &how, sizeof how);
  if (cached_only) return static_cast<int>(fd);  // EINVAL/ENOSYS (older kernels): the pool's turn
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  // No openat2 (before Linux 5.6): open, then check where it landed.
  const int f = ::openat(root.dir, name, kOpenFlags);
  if (f < 0) return -1;
  char link[64], real[PATH_MAX + 1];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", f);
  const ssize_t n = ::readlink(link, real, PATH_MAX);
  const std::string_view got = n > 0 ? std::string_view(real, static_cast<size_t>(n)) : std::string_view{};
  if (got == root.real || (got.starts_with(root.real) && got.size() > root.real.size() &&
                           (root.real == "/" || got[root.real.size()] == '/')))
    return f;
  ::close(f);
  errno = EXDEV;
  return -1;
}

// `retry` is set when a cached-only attempt must be repeated on the pool.
Opened open_static(const Root& root, const std::string& rel, bool cached_only, bool* retry = nullptr) {
  Opened out;
  int fd = open_beneath(root, rel, cached_only);
  if (fd < 0) {
    if (cached_only && would_block(errno)) *retry = true;
    return out;
  }
  Kind k = stat_kind(fd, out);
  if (k == Kind::directory && root.html) {
    ::close(fd);
    fd = open_beneath(root, rel.empty() ? std::string("index.html") : rel + "/index.html", cached_only);
    if (fd < 0) {
      if (cached_only && would_block(errno)) *retry = true;
      return out;
    }
    k = stat_kind(fd, out);
    out.index = true;
  }
  if (k != Kind::file) {
    ::close(fd);
    return out;
  }
  out.fd = fd;
  return out;
}

Task<void> not_found(http::Send& send) { co_await Response::text("Not Found", 404).send(send); }

}  // namespace

Response FileResponse(std::string path, FileOptions options) {
  return Response::custom([path = std::move(path), options = std::move(options)](
                              const http::Scope* scope, http::Send& send) -> Task<void> {
    auto open_file = [&path](bool cached_only, bool* retry) {
      Opened out;
      open_how how{};
      how.flags = kOpenFlags;
      how.resolve = cached_only ? RESOLVE_CACHED : 0;
      long fd = ::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how);
      if (fd < 0 && cached_only) {
        if (would_block(errno)) *retry = true;
        return out;
      }
      if (fd < 0 && errno == ENOSYS) fd = ::open(path.c_str(), kOpenFlags);
      if (fd < 0) return out;
      if (stat_kind(static_cast<int>(fd), out) != Kind::file) {
        ::close(static_cast<int>(fd));
        return out;
      }
      out.fd = static_cast<int>(fd);
      return out;
    };
    bool retry = false;
    Opened f = open_file(true, &retry);
    if (retry) f = co_await off_loop([&open_file] { return open_file(false, nullptr); });
    if (f.fd < 0) {
      co_await not_found(send);
      co_return;
    }
    http::Scope get;
    get.method = "GET";
    // The content type follows the file's name, not the request's path.
    const http::Scope& s = scope ? *scope : get;
    http::Scope named = s;
    named.path = path;
    co_await files::respond(named, send, f.fd, f.size, f.mtime_ns, options);
  });
}

http::App StaticFiles(StaticFilesOptions options) {
  auto root = std::make_shared<Root>();
  root->html = options.html;
  root->dir = ::open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root->dir < 0) {
    if (options.check_dir)
      throw std::invalid_argument("StaticFiles: directory '" + options.directory + "' cannot be opened: " +
                                  std::strerror(errno));
  } else {
    char real[PATH_MAX + 1];
    if (::realpath(options.directory.c_str(), real) != nullptr) root->real = real;
  }
  return [root](const http::Scope& scope, http::Receive&, http::Send& send) -> Task<void> {
    if (scope.method != "GET" && scope.method != "HEAD") {
      const http::Header allow[] = {{"allow", "GET, HEAD"}, {"content-type", "text/plain; charset=utf-8"},
                                    {"content-length", "19"}};
      co_await send.start({405, allow});
      co_await send.body({"Method Not Allowed\n", false});
      co_return;
    }
    std::optional<std::string> rel = files::safe_relative_path(scope.path, scope.raw_path);
    if (!rel || root->dir < 0) {
      co_await not_found(send);
      co_return;
    }
    // Hot files are found in the dentry cache without leaving the loop;
    // only a lookup that would touch the disk goes to the pool.
    bool retry = false;
    Opened f = open_static(*root, *rel, true, &retry);
    if (retry) f = co_await off_loop([&root, &rel] { return open_static(*root, *rel, false); });
    if (f.fd < 0) {
      co_await not_found(send);
      co_return;
    }
    // A directory's index.html is HTML whatever the request path says.
    FileOptions o;
    if (f.index) o.media_type = "text/html; charset=utf-8";
    co_await files::respond(scope, send, f.fd, f.size, f.mtime_ns, o);
  };
}

}  // namespace strata::app
