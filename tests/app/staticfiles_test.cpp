// FileResponse and StaticFiles: the pure pieces (ranges, types, paths,
// conditions) with hostile inputs, then the whole answer through TestClient.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "app/application.hpp"
#include "app/staticfiles.hpp"
#include "app/testclient.hpp"
#include "parser/http1.hpp"

namespace {

using namespace strata;
using app::files::ByteRange;
using app::files::parse_range;
namespace fs = std::filesystem;

TEST(StaticRange, SingleRangesInEveryForm) {
  auto r = parse_range("bytes=0-9", 100);
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 9u);
  r = parse_range("bytes=90-", 100);
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  r = parse_range("bytes=-10", 100);
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  r = parse_range("bytes=-1000", 100);  // a suffix longer than the file: all of it
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 99u);
  r = parse_range("bytes=50-5000", 100);  // the last byte is clamped
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.last, 99u);
  r = parse_range("  BYTES=1-1 ", 100);
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.first, 1u);
  EXPECT_EQ(r.last, 1u);
}

TEST(StaticRange, UnsatisfiableAndMalformed) {
  EXPECT_EQ(parse_range("bytes=100-", 100).kind, ByteRange::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 100).kind, ByteRange::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, ByteRange::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-5", 0).kind, ByteRange::unsatisfiable);
  // Numbers past 64 bits saturate: a huge first byte is past the end, a
  // huge last byte is the end; neither wraps to a small number.
  EXPECT_EQ(parse_range("bytes=18446744073709551616-", 100).kind, ByteRange::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=99999999999999999999999999999-1", 100).kind, ByteRange::none);
  auto r = parse_range("bytes=10-99999999999999999999999999999", 100);
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.last, 99u);
  r = parse_range("bytes=-99999999999999999999999999999", 100);
  EXPECT_EQ(r.kind, ByteRange::single);
  EXPECT_EQ(r.first, 0u);
  for (const char* bad : {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-1", "bytes=1-2-3", "items=0-1",
                          "bytes=0x10-20", "bytes= 1 - 2", "bytes=+1-2", "bytes=1--2", "bytes=,", "bytes=,,"})
    EXPECT_EQ(parse_range(bad, 100).kind, ByteRange::none) << bad;
  // Several ranges: the whole file (200), as the header comment says.
  EXPECT_EQ(parse_range("bytes=0-1,5-6", 100).kind, ByteRange::whole);
  EXPECT_EQ(parse_range("bytes=0-1, ", 100).kind, ByteRange::whole);
}

TEST(StaticContentType, FromTheExtension) {
  using app::files::content_type;
  EXPECT_EQ(content_type("/a/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type("STYLE.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type("x.json"), "application/json");
  EXPECT_EQ(content_type("logo.svg"), "image/svg+xml");
  EXPECT_EQ(content_type("p.PNG"), "image/png");
  EXPECT_EQ(content_type("f.woff2"), "font/woff2");
  EXPECT_EQ(content_type("noext"), "application/octet-stream");
  EXPECT_EQ(content_type("dir.html/file"), "application/octet-stream");
  EXPECT_EQ(content_type("trailing."), "application/octet-stream");
  EXPECT_EQ(content_type(".html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type("a." + std::string(5000, 'x')), "application/octet-stream");
}

TEST(StaticPath, SafePathsPassAndNormalise) {
  using app::files::safe_relative_path;
  EXPECT_EQ(safe_relative_path("/a.txt", "/a.txt"), "a.txt");
  EXPECT_EQ(safe_relative_path("/sub/./b.txt", "/sub/./b.txt"), "sub/b.txt");
  EXPECT_EQ(safe_relative_path("/sub//b.txt", "/sub//b.txt"), "sub/b.txt");
  EXPECT_EQ(safe_relative_path("/", "/"), "");
  EXPECT_EQ(safe_relative_path("", ""), "");
  EXPECT_EQ(safe_relative_path("/..a/b..", "/..a/b.."), "..a/b..");  // dots inside names are names
  EXPECT_EQ(safe_relative_path("/%2e%2e", "/%252e%252e"), "%2e%2e");  // double encoding is a literal name
}

TEST(StaticPath, HostilePathsAreRefused) {
  using app::files::safe_relative_path;
  EXPECT_FALSE(safe_relative_path("/../etc/passwd", "/../etc/passwd"));
  EXPECT_FALSE(safe_relative_path("/a/../../etc/passwd", "/a/../../etc/passwd"));
  EXPECT_FALSE(safe_relative_path("/..", "/%2e%2e"));
  EXPECT_FALSE(safe_relative_path("/../x", "/%2E%2E/x"));
  EXPECT_FALSE(safe_relative_path("/a/b", "/a%2fb"));
  EXPECT_FALSE(safe_relative_path("/a/b", "/a%2Fb"));
  EXPECT_FALSE(safe_relative_path("/a\\b", "/a%5cb"));
  EXPECT_FALSE(safe_relative_path("/..\\x", "/..\\x"));
  EXPECT_FALSE(safe_relative_path(std::string_view("/a\0b", 4), "/a%00b"));
  EXPECT_FALSE(safe_relative_path(std::string_view("/a\0b", 4), "/a\0b"));
  EXPECT_FALSE(safe_relative_path("//etc/passwd", "//etc/passwd"));
  EXPECT_FALSE(safe_relative_path("/" + std::string(5000, 'a'), "/" + std::string(5000, 'a')));
}

TEST(StaticDates, ImfFixdateOnly) {
  using app::files::parse_http_date;
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"), 951825600);
  char buf[29];
  http::format_http_date(1764489600, buf);
  EXPECT_EQ(parse_http_date(std::string_view(buf, 29)), 1764489600);
  for (const char* bad : {"", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 99 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                          "Sun, 06 Nov 19x4 08:49:37 GMT", "Sun, 06 ovN 1994 08:49:37 GMT"})
    EXPECT_FALSE(parse_http_date(bad)) << bad;
}

TEST(StaticConditions, NotModifiedAndIfRange) {
  using app::files::if_range_matches;
  using app::files::not_modified;
  const std::string etag = app::files::make_etag(1'000'000'000'000'000'000, 12);
  EXPECT_EQ(etag, "\"de0b6b3a7640000-c\"");
  const std::time_t mtime = 1'000'000'000;
  const std::string at = "Sun, 09 Sep 2001 01:46:40 GMT";  // == mtime
  EXPECT_TRUE(not_modified(etag, "", etag, mtime));
  EXPECT_TRUE(not_modified("\"x\", W/" + etag, "", etag, mtime));  // weak comparison
  EXPECT_TRUE(not_modified("*", "", etag, mtime));
  EXPECT_FALSE(not_modified("\"other\"", at, etag, mtime));  // If-None-Match wins over the date
  EXPECT_TRUE(not_modified("", at, etag, mtime));
  EXPECT_FALSE(not_modified("", "Sun, 09 Sep 2001 01:46:39 GMT", etag, mtime));
  EXPECT_FALSE(not_modified("", "garbage", etag, mtime));
  EXPECT_FALSE(not_modified("", "", etag, mtime));
  EXPECT_FALSE(not_modified(",,,", "", etag, mtime));
  EXPECT_TRUE(if_range_matches("", etag, mtime));
  EXPECT_TRUE(if_range_matches(etag, etag, mtime));
  EXPECT_FALSE(if_range_matches("W/" + etag, etag, mtime));  // strong comparison only
  EXPECT_TRUE(if_range_matches(at, etag, mtime));
  EXPECT_FALSE(if_range_matches("Sun, 09 Sep 2001 01:46:41 GMT", etag, mtime));
  EXPECT_FALSE(if_range_matches("junk", etag, mtime));
}

// ------------------------------------------------------------------ through TestClient

class StaticFilesApp : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-static-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    char out[] = "/tmp/strata-outside-XXXXXX";
    ASSERT_NE(mkdtemp(out), nullptr);
    outside_ = out;
    write(root_ + "/hello.txt", "hello, world\n");
    fs::create_directories(root_ + "/docs");
    write(root_ + "/docs/index.html", "<h1>docs</h1>\n");
    fs::create_directories(root_ + "/empty");
    write(outside_ + "/secret.txt", "secret\n");
    fs::create_symlink(outside_ + "/secret.txt", root_ + "/escape.txt");
    fs::create_symlink(outside_, root_ + "/escape_dir");
    fs::create_symlink("hello.txt", root_ + "/inside.txt");
    ASSERT_EQ(mkfifo((root_ + "/pipe").c_str(), 0600), 0);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
    fs::remove_all(outside_, ec);
  }
  static void write(const std::string& path, const std::string& body) { std::ofstream(path, std::ios::binary) << body; }
  void make(app::Application& a, bool html) {
    app::StaticFilesOptions o;
    o.directory = root_;
    o.html = html;
    a.mount("/static", app::StaticFiles(o));
    a.get("/download", [this](app::Request&) -> Task<app::Response> {
      app::FileOptions fo;
      fo.filename = "greeting \"1\".txt";
      co_return app::FileResponse(root_ + "/hello.txt", fo);
    });
    a.get("/missing", [this](app::Request&) -> Task<app::Response> { co_return app::FileResponse(root_ + "/nope"); });
  }
  static int open_fds() {
    int n = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
    return n;
  }
  std::string root_, outside_;
};

TEST_F(StaticFilesApp, ServesAFileWithItsValidators) {
  app::Application a;
  make(a, false);
  app::TestClient c(a);
  auto r = c.get("/static/hello.txt");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello, world\n");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("content-length"), "13");
  EXPECT_EQ(r.header("accept-ranges"), "bytes");
  ASSERT_TRUE(r.header("etag"));
  ASSERT_TRUE(r.header("last-modified"));
  const std::string etag = *r.header("etag");

  auto nm = c.get("/static/hello.txt", {{"If-None-Match", etag}});
  EXPECT_EQ(nm.status, 304);
  EXPECT_EQ(nm.body, "");
  EXPECT_EQ(nm.header("etag"), etag);
  EXPECT_FALSE(nm.header("content-length"));
  auto ims = c.get("/static/hello.txt", {{"If-Modified-Since", *r.header("last-modified")}});
  EXPECT_EQ(ims.status, 304);
  auto changed = c.get("/static/hello.txt", {{"If-None-Match", "\"nope\""}});
  EXPECT_EQ(changed.status, 200);

  auto part = c.get("/static/hello.txt", {{"Range", "bytes=7-11"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "world");
  EXPECT_EQ(part.header("content-range"), "bytes 7-11/13");
  EXPECT_EQ(part.header("content-length"), "5");
  auto bad = c.get("/static/hello.txt", {{"Range", "bytes=13-"}});
  EXPECT_EQ(bad.status, 416);
  EXPECT_EQ(bad.header("content-range"), "bytes */13");
  EXPECT_EQ(bad.body, "");
  auto multi = c.get("/static/hello.txt", {{"Range", "bytes=0-1,3-4"}});
  EXPECT_EQ(multi.status, 200);
  EXPECT_EQ(multi.body, "hello, world\n");
  auto stale = c.get("/static/hello.txt", {{"Range", "bytes=0-1"}, {"If-Range", "\"old\""}});
  EXPECT_EQ(stale.status, 200);
  auto fresh = c.get("/static/hello.txt", {{"Range", "bytes=0-1"}, {"If-Range", etag}});
  EXPECT_EQ(fresh.status, 206);
  EXPECT_EQ(fresh.body, "he");

  auto head = c.request({.method = "HEAD", .target = "/static/hello.txt"});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("content-length"), "13");
  auto post = c.request({.method = "POST", .target = "/static/hello.txt"});
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
}

TEST_F(StaticFilesApp, TraversalSymlinksOutAndOddFilesAre404) {
  app::Application a;
  make(a, false);
  app::TestClient c(a);
  const int fds = open_fds();
  for (const char* target : {"/static/../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2fetc%2fpasswd",
                             "/static/docs%2findex.html", "/static//etc/passwd", "/static/hello.txt%00.png",
                             "/static/escape.txt", "/static/escape_dir/secret.txt", "/static/pipe", "/static/docs",
                             "/static/docs/", "/static/", "/static/nope.txt", "/static/hello.txt/x",
                             "/static/..\\..\\etc\\passwd", "/static/%5c..%5cetc"}) {
    auto r = c.get(target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << target;
  }
  // A symlink that stays inside the root is followed.
  auto in = c.get("/static/inside.txt");
  EXPECT_EQ(in.status, 200);
  EXPECT_EQ(in.body, "hello, world\n");
  EXPECT_EQ(open_fds(), fds) << "a descriptor was left open";
}

TEST_F(StaticFilesApp, HtmlModeServesADirectorysIndex) {
  app::Application a;
  make(a, true);
  app::TestClient c(a);
  for (const char* target : {"/static/docs/", "/static/docs"}) {
    auto r = c.get(target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, "<h1>docs</h1>\n");
    EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  }
  EXPECT_EQ(c.get("/static/empty/").status, 404);
}

TEST_F(StaticFilesApp, FileResponseFromAnEndpoint) {
  app::Application a;
  make(a, false);
  app::TestClient c(a);
  auto r = c.get("/download");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello, world\n");
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("content-disposition"), "attachment; filename=\"greeting 1.txt\"");
  auto part = c.get("/download", {{"Range", "bytes=-6"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "world\n");
  EXPECT_EQ(c.get("/missing").status, 404);
}

TEST(StaticFilesSetup, AMissingDirectoryIsAStartUpError) {
  app::StaticFilesOptions o;
  o.directory = "/nonexistent/strata-static";
  EXPECT_THROW(app::StaticFiles(o), std::invalid_argument);
  o.check_dir = false;
  EXPECT_NO_THROW(app::StaticFiles(o));
}

}  // namespace
