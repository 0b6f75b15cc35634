// The GZip middleware (app/gzip.hpp) through TestClient, every compressed
// body checked by inflating it with zlib.
#include <gtest/gtest.h>

#include <zlib.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "app/application.hpp"
#include "app/gzip.hpp"
#include "app/testclient.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

// The gzip member's content, or nullopt when `gz` is not exactly one whole
// gzip member.
std::optional<std::string> gunzip(const std::string& gz) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return std::nullopt;
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  char buf[16384];
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR) break;
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  return whole ? std::optional<std::string>(out) : std::nullopt;
}

std::string text_of(size_t n) {
  std::string s;
  while (s.size() < n) s += "The quick brown fox " + std::to_string(s.size()) + " jumps. ";
  s.resize(n);
  return s;
}

const std::pair<std::string, std::string> kAcceptGzip = {"Accept-Encoding", "gzip, deflate"};

class AppGZip : public ::testing::Test {
 protected:
  AppGZip() : app_(log_.config()) {
    app_.get("/big", [](Request&) -> Task<Response> { co_return Response::text(text_of(5000)); });
    app_.get("/small", [](Request&) -> Task<Response> { co_return Response::text(text_of(499)); });
    app_.get("/edge", [](Request&) -> Task<Response> { co_return Response::text(text_of(500)); });
    app_.get("/vary", [](Request&) -> Task<Response> {
      Response r = Response::text(text_of(1000));
      r.header("Vary", "Origin");
      co_return r;
    });
    app_.get("/stream", [](Request&) -> Task<Response> {
      co_return Response::stream([](BodyWriter& w) -> Task<void> {
        for (int i = 0; i < 50; ++i) co_await w.write(text_of(i + 1));
      });
    });
    app_.get("/encoded", [](Request&) -> Task<Response> {
      Response r = Response::bytes(text_of(2000), "application/octet-stream");
      r.header("Content-Encoding", "br");
      co_return r;
    });
    app_.get("/partial", [](Request&) -> Task<Response> {
      Response r = Response::text(text_of(2000), 206);
      r.header("Content-Range", "bytes 0-1999/9000");
      co_return r;
    });
    app_.get("/events", [](Request&) -> Task<Response> {
      co_return Response::stream([](BodyWriter& w) -> Task<void> { co_await w.write("data: " + text_of(1000) + "\n\n"); },
                                 "text/event-stream");
    });
    app_.get("/nocontent", [](Request&) -> Task<Response> { co_return Response::empty(204); });
  }
  void use(GZipOptions o = {}) { app_.add_middleware(gzip(o)); }

  Captured log_;
  Application app_;
};

TEST_F(AppGZip, ABigBodyIsCompressedWithItsLengthAndVary) {
  use();
  TestClient client(app_);
  TestResponse r = client.get("/big", {kAcceptGzip});
  ASSERT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_EQ(r.header("vary"), "Accept-Encoding");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(r.header_all("content-length").size(), 1u);
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_LT(r.body.size(), 2500u);
  EXPECT_EQ(gunzip(r.body), text_of(5000));
}

TEST_F(AppGZip, WithoutAcceptEncodingOrBelowTheMinimumNothingChanges) {
  use();
  TestClient client(app_);
  for (auto [target, headers] : {std::pair{"/big", std::vector<std::pair<std::string, std::string>>{}},
                                 std::pair{"/big", std::vector<std::pair<std::string, std::string>>{
                                                       {"Accept-Encoding", "gzip;q=0, identity"}}},
                                 std::pair{"/big", std::vector<std::pair<std::string, std::string>>{
                                                       {"Accept-Encoding", "br, deflate"}}},
                                 std::pair{"/small", std::vector<std::pair<std::string, std::string>>{kAcceptGzip}}}) {
    TestResponse r = client.get(target, headers);
    EXPECT_EQ(r.status, 200) << dump(r);
    EXPECT_FALSE(r.header("content-encoding")) << target << "\n" << dump(r);
    EXPECT_FALSE(r.header("vary")) << dump(r);
    EXPECT_EQ(r.body, text_of(std::string_view(target) == "/big" ? 5000 : 499));
    EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  }
  TestResponse r = client.get("/edge", {kAcceptGzip});
  EXPECT_EQ(r.header("content-encoding"), "gzip") << dump(r);
  EXPECT_EQ(gunzip(r.body), text_of(500));
}

TEST_F(AppGZip, AStreamIsCompressedPieceByPieceAndEachPieceIsFlushed) {
  use({.minimum_size = 100000});  // the minimum is for one-piece bodies only
  TestClient client(app_);
  TestResponse r = client.get("/stream", {kAcceptGzip});
  ASSERT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.header("content-encoding"), "gzip");
  EXPECT_FALSE(r.header("content-length"));
  std::string whole;
  for (int i = 0; i < 50; ++i) whole += text_of(i + 1);
  EXPECT_EQ(gunzip(r.body), whole);
  // 50 pieces and the end: a flush per piece, nothing held back to the end.
  EXPECT_EQ(r.body_events, 51);
}

TEST_F(AppGZip, AFlushedPrefixInflatesToEveryPieceSentSoFar) {
  // What a client holds after each piece must already decode to it.
  app_.get("/two", [](Request&) -> Task<Response> {
    co_return Response::stream([](BodyWriter& w) -> Task<void> {
      co_await w.write("first piece ");
      co_await w.write("second piece");
    });
  });
  use();
  TestClient client(app_);
  TestResponse r = client.get("/two", {kAcceptGzip});
  ASSERT_EQ(gunzip(r.body), "first piece second piece");
  // Inflate only up to the end of the first flush (the sync marker 00 00 ff ff).
  const size_t marker = r.body.find(std::string("\0\0\xff\xff", 4));
  ASSERT_NE(marker, std::string::npos);
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string prefix = r.body.substr(0, marker + 4);
  char out[256];
  z.next_in = reinterpret_cast<Bytef*>(prefix.data());
  z.avail_in = static_cast<uInt>(prefix.size());
  z.next_out = reinterpret_cast<Bytef*>(out);
  z.avail_out = sizeof out;
  inflate(&z, Z_SYNC_FLUSH);
  EXPECT_EQ(std::string(out, sizeof out - z.avail_out), "first piece ");
  inflateEnd(&z);
}

TEST_F(AppGZip, NeverCompressesEncodedRangesEventStreamsOrEmptyStatuses) {
  use({.minimum_size = 0});
  TestClient client(app_);
  TestResponse r = client.get("/encoded", {kAcceptGzip});
  EXPECT_EQ(r.header("content-encoding"), "br") << dump(r);
  EXPECT_EQ(r.header_all("content-encoding").size(), 1u);
  EXPECT_EQ(r.body, text_of(2000));
  r = client.get("/partial", {kAcceptGzip});
  EXPECT_EQ(r.status, 206);
  EXPECT_FALSE(r.header("content-encoding")) << dump(r);
  EXPECT_EQ(r.body, text_of(2000));
  r = client.get("/events", {kAcceptGzip});
  EXPECT_FALSE(r.header("content-encoding")) << dump(r);
  EXPECT_EQ(r.body, "data: " + text_of(1000) + "\n\n");
  r = client.get("/nocontent", {kAcceptGzip});
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(r.header("content-encoding")) << dump(r);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(AppGZip, AnExistingVaryIsExtendedAndLevelsAllRoundTrip) {
  use({.compresslevel = 1});
  TestClient client(app_);
  TestResponse r = client.get("/vary", {{"accept-encoding", "*"}});
  EXPECT_EQ(r.header("vary"), "Origin, Accept-Encoding") << dump(r);
  EXPECT_EQ(r.header_all("vary").size(), 1u);
  EXPECT_EQ(gunzip(r.body), text_of(1000));
  for (int level = 1; level <= 9; ++level) {
    Application a(log_.config());
    a.get("/", [](Request&) -> Task<Response> { co_return Response::text(text_of(70000)); });
    a.add_middleware(gzip({.compresslevel = level}));
    TestClient c(a);
    EXPECT_EQ(gunzip(c.get("/", {kAcceptGzip}).body), text_of(70000)) << level;
  }
  EXPECT_THROW(gzip({.compresslevel = 0}), std::invalid_argument);
  EXPECT_THROW(gzip({.compresslevel = 10}), std::invalid_argument);
}

TEST_F(AppGZip, IncompressibleAndLargeBodiesRoundTrip) {
  std::string noise(3 << 20, '\0');
  uint32_t x = 2463534242u;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x);
  }
  app_.get("/noise", [noise](Request&) -> Task<Response> {
    co_return Response::bytes(noise, "application/octet-stream");
  });
  use();
  TestClient client(app_);
  TestResponse r = client.get("/noise", {kAcceptGzip});
  ASSERT_EQ(r.header("content-encoding"), "gzip") << dump(r);
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));
  EXPECT_EQ(gunzip(r.body), noise);
}

TEST(AppGZipAcceptEncoding, ParsesCodingsAndQValues) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("GZIP"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip;q=1.0, br"));
  EXPECT_TRUE(accepts_gzip("x-gzip"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_TRUE(accepts_gzip("gzip;q=0.001"));
  EXPECT_TRUE(accepts_gzip(" gzip ; q=0.5 "));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; Q=0.000"));
  EXPECT_FALSE(accepts_gzip("*;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0, *"));  // the explicit gzip;q=0 wins over *
  EXPECT_FALSE(accepts_gzip("gzipx, xgzip"));
  EXPECT_FALSE(accepts_gzip(std::string(100000, ',')));
}

}  // namespace
