// Forms and uploads (app/forms.hpp): the parsers as pure functions, the
// multipart parser fed at every split point, hostile bodies, and
// request.form() through TestClient.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "app/application.hpp"
#include "app/forms.hpp"
#include "app/testclient.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

const std::string kBoundary = "----strataBoundary7MA4YWxk";

// A browser-like body: two text fields (one repeated), a small file, an
// empty file, and a file whose bytes hold CRLFs and near-delimiters.
std::string sample_body() {
  const std::string d = "--" + kBoundary;
  std::string b;
  b += "preamble, ignored\r\n";
  b += d + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello, world\r\n";
  b += d + "\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\na\r\n";
  b += d + "\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\nb;c=\"d\"\r\n";
  b += d + "\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a \\\"q\\\".txt\"\r\n"
           "Content-Type: text/plain\r\nX-Extra: 1\r\n\r\nline1\r\n--" + kBoundary.substr(0, 10) + "\r\n\r\n-\r\n";
  b += d + "\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n\r\n\r\n";
  b += d + "--\r\nepilogue, ignored";
  return b;
}

void expect_sample(const FormData& f) {
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f.get("title"), "Hello, world");
  EXPECT_EQ(f.get_all("tag"), (std::vector<std::string_view>{"a", "b;c=\"d\""}));
  EXPECT_FALSE(f.get("doc"));  // a file is not a text value
  UploadFile* doc = f.file("doc");
  ASSERT_NE(doc, nullptr);
  EXPECT_EQ(doc->filename(), "a \"q\".txt");
  EXPECT_EQ(doc->content_type(), "text/plain");
  ASSERT_EQ(doc->headers().size(), 3u);
  EXPECT_EQ(doc->headers()[2], (std::pair<std::string, std::string>{"x-extra", "1"}));
  EXPECT_EQ(doc->read(), "line1\r\n--" + kBoundary.substr(0, 10) + "\r\n\r\n-");
  UploadFile* empty = f.file("empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->filename(), "");
  EXPECT_EQ(empty->size(), 0u);
}

FormError parse_pieces(std::string_view body, std::vector<size_t> cuts, const FormLimits& limits, FormData& out,
                       std::string boundary = kBoundary) {
  MultipartParser p(std::move(boundary), limits, out);
  size_t at = 0;
  cuts.push_back(body.size());
  for (size_t cut : cuts) {
    if (FormError e = p.feed(body.substr(at, cut - at))) return e;
    at = cut;
  }
  return p.finish();
}

std::string file_part_for_read() {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\nabcdef\r\n--" +
         kBoundary + "--";
}

FormError parse_whole(std::string_view body, const FormLimits& limits, FormData& out) {
  return parse_pieces(body, {}, limits, out);
}

TEST(Multipart, WholeBody) {
  FormData f;
  FormLimits limits;
  ASSERT_FALSE(parse_whole(sample_body(), limits, f));
  expect_sample(f);
}

TEST(Multipart, EverySplitPoint) {
  const std::string body = sample_body();
  FormLimits limits;
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    FormData f;
    FormError e = parse_pieces(body, {cut}, limits, f);
    ASSERT_FALSE(e) << "cut " << cut << ": " << e.message;
    expect_sample(f);
  }
}

TEST(Multipart, OneByteAtATime) {
  const std::string body = sample_body();
  std::vector<size_t> cuts;
  for (size_t k = 1; k < body.size(); ++k) cuts.push_back(k);
  FormData f;
  FormLimits limits;
  ASSERT_FALSE(parse_pieces(body, cuts, limits, f));
  expect_sample(f);
}

// Pieces of every size from 1 byte to twice a delimiter: each piece meets
// the tail the last one left at a different offset.
TEST(Multipart, EveryPieceSize) {
  const std::string body = sample_body();
  FormLimits limits;
  for (size_t size = 1; size <= 2 * (kBoundary.size() + 4); ++size) {
    std::vector<size_t> cuts;
    for (size_t k = size; k < body.size(); k += size) cuts.push_back(k);
    FormData f;
    const FormError e = parse_pieces(body, cuts, limits, f);
    ASSERT_FALSE(e) << "pieces of " << size << ": " << e.message;
    expect_sample(f);
  }
}

// What a parse produced, as text, to compare two parses: the error, or the
// form (after an error the form is partial, and form() drops it).
std::string describe(const FormError& e, const FormData& f) {
  if (e) return std::to_string(e.status) + " " + e.message;
  std::string out;
  for (const FormField& x : f.items()) {
    out += x.name + "=" + x.value;
    if (x.is_file()) out += " file " + x.file->filename() + " " + x.file->content_type() + " " + x.file->read();
    out += "\n";
  }
  return out;
}

// Damaged bodies (bytes overwritten, inserted or cut off, at positions
// from a fixed seed): whatever the damage, a parse in pieces gives exactly
// what the whole-body parse gives, the same error or the same form.
TEST(Multipart, DamagedBodiesParseTheSameInPieces) {
  const std::string sample = sample_body();
  FormLimits limits;
  limits.max_part_size = 40;
  limits.max_part_header_bytes = 120;
  uint32_t x = 2024;
  auto next = [&x](uint32_t n) {
    x = x * 1664525u + 1013904223u;
    return (x >> 8) % n;
  };
  const std::string alphabet = "-\r\n\"; =a" + kBoundary.substr(0, 4);
  for (int round = 0; round < 400; ++round) {
    std::string body = sample;
    for (uint32_t k = 0, n = 1 + next(4); k < n; ++k) {
      const size_t at = next(static_cast<uint32_t>(body.size()));
      const char c = alphabet[next(static_cast<uint32_t>(alphabet.size()))];
      switch (next(3)) {
        case 0: body[at] = c; break;
        case 1: body.insert(at, 1, c); break;
        default: body.resize(at); break;
      }
    }
    FormData whole;
    const std::string expected = describe(parse_whole(body, limits, whole), whole);
    for (int cuts = 0; cuts < 4; ++cuts) {
      std::vector<size_t> at;
      for (size_t k = 0, pos = 0; k < 6 && pos < body.size(); ++k) at.push_back(pos = pos + 1 + next(60));
      while (!at.empty() && at.back() > body.size()) at.pop_back();
      FormData pieces;
      ASSERT_EQ(describe(parse_pieces(body, at, limits, pieces), pieces), expected) << "round " << round;
    }
  }
}

TEST(Multipart, SpoolsAFileAboveTheThresholdAtEverySplit) {
  std::string content;
  for (int k = 0; content.size() < 300; ++k) content += "row " + std::to_string(k) + "\r\n";
  const std::string body = "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n" +
                           content + "\r\n--" + kBoundary + "--\r\n";
  FormLimits limits;
  limits.spool_threshold = 100;
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    FormData f;
    ASSERT_FALSE(parse_pieces(body, {cut}, limits, f)) << cut;
    UploadFile* up = f.file("f");
    ASSERT_NE(up, nullptr);
    EXPECT_FALSE(up->in_memory());
    EXPECT_GE(up->fd(), 0);
    EXPECT_EQ(up->size(), content.size());
    EXPECT_EQ(up->read(), content);
    up->seek(4);
    EXPECT_EQ(up->read(3), "0\r\n");
    EXPECT_EQ(up->tell(), 7u);
  }
}

TEST(Multipart, ReadAndSeekInMemory) {
  FormData f;
  FormLimits limits;
  ASSERT_FALSE(parse_whole(file_part_for_read(), limits, f));
  UploadFile* up = f.file("f");
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(up->in_memory());
  EXPECT_EQ(up->fd(), -1);
  EXPECT_EQ(up->read(2), "ab");
  EXPECT_EQ(up->read(), "cdef");
  EXPECT_EQ(up->read(), "");
  up->seek(100);  // past the end: reads nothing, as a file does
  EXPECT_EQ(up->read(), "");
  up->seek(1);
  EXPECT_EQ(up->read(1), "b");
}

TEST(Multipart, TemporaryFileIsUnnamedAndClosedWithTheForm) {
  const std::string body = "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n" +
                           std::string(64, 'z') + "\r\n--" + kBoundary + "--";
  FormLimits limits;
  limits.spool_threshold = 8;
  int fd = -1;
  {
    FormData f;
    ASSERT_FALSE(parse_whole(body, limits, f));
    fd = f.file("f")->fd();
    ASSERT_GE(fd, 0);
    char link[256] = {};
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    ASSERT_GT(readlink(proc.c_str(), link, sizeof link - 1), 0);
    EXPECT_NE(std::string(link).find("(deleted)"), std::string::npos) << link;
  }
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);  // closed with the FormData
}

TEST(Multipart, PartWithoutHeadersIsRefusedAsHavingNoName) {
  FormData f;
  FormLimits limits;
  const FormError e = parse_whole("--" + kBoundary + "\r\n\r\nx\r\n--" + kBoundary + "--", limits, f);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "A multipart part has no Content-Disposition header.");
}

struct Hostile {
  const char* what;
  std::string body;
  int status;
  const char* message_has;
};

std::string part(std::string_view name, std::string_view value) {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n" +
         std::string(value) + "\r\n";
}
std::string file_part(std::string_view name, std::string_view value) {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"; filename=\"f.bin\"\r\n\r\n" + std::string(value) + "\r\n";
}
std::string close_delim() { return "--" + kBoundary + "--\r\n"; }

TEST(Multipart, HostileBodiesGetAStatusAndASentence) {
  FormLimits limits;
  limits.max_fields = 3;
  limits.max_files = 2;
  limits.max_part_size = 10;
  limits.max_part_header_bytes = 200;
  const std::string d = "--" + kBoundary;
  const std::vector<Hostile> cases = {
      {"too many fields", part("a", "1") + part("b", "2") + part("c", "3") + part("d", "4") + close_delim(), 413,
       "Too many form fields"},
      {"too many files", file_part("a", "1") + file_part("b", "2") + file_part("c", "3") + close_delim(), 413,
       "Too many files"},
      {"field too big", part("a", std::string(11, 'x')) + close_delim(), 413, "too large"},
      {"headers too big",
       d + "\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " + std::string(300, 'p') + "\r\n\r\nv\r\n" +
           close_delim(),
       413, "headers are too large"},
      {"endless header line", d + "\r\nX-Pad: " + std::string(1000, 'p'), 413, "headers are too large"},
      {"header ends with a bare LF", d + "\r\nContent-Disposition: form-data; name=\"a\"\n\r\nv\r\n" + close_delim(),
       400, "CRLF"},
      {"delimiter line ends with a bare LF", d + "\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n", 400,
       "not followed by CRLF"},
      {"header without a colon", d + "\r\nContent-Disposition form-data\r\n\r\nv\r\n" + close_delim(), 400,
       "Name: value"},
      {"no name", d + "\r\nContent-Disposition: form-data; filename=\"x\"\r\n\r\nv\r\n" + close_delim(), 400,
       "no name"},
      {"not form-data", d + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n" + close_delim(), 400,
       "not form-data"},
      {"two dispositions",
       d + "\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nv\r\n" +
           close_delim(),
       400, "more than one Content-Disposition"},
      {"overlong boundary in the body", d + "XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n", 400,
       "not followed by CRLF"},
      {"ends inside the preamble", "nothing here", 400, "ended before its closing delimiter"},
      {"empty body", "", 400, "ended before its closing delimiter"},
      {"ends inside headers", d + "\r\nContent-Disposition: form-da", 400, "ended before its closing delimiter"},
      {"ends inside a part", part("a", "1") + d + "\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nhal", 400,
       "ended before its closing delimiter"},
      {"ends after a delimiter", part("a", "1") + d, 400, "ended before its closing delimiter"},
  };
  for (const Hostile& c : cases) {
    // Whole, and at every split point: the same answer however it arrives.
    for (size_t cut = 0; cut <= c.body.size(); ++cut) {
      FormData f;
      const FormError e = parse_pieces(c.body, {cut}, limits, f);
      ASSERT_EQ(e.status, c.status) << c.what << " cut " << cut << ": " << e.message;
      ASSERT_NE(e.message.find(c.message_has), std::string::npos) << c.what << ": " << e.message;
    }
  }
}

TEST(Multipart, ErrorIsSticky) {
  FormLimits limits;
  limits.max_part_size = 1;
  FormData f;
  MultipartParser p(kBoundary, limits, f);
  // Longer than a delimiter, so the parser hands the value on before the end.
  EXPECT_EQ(p.feed(part("a", std::string(100, 'v'))).status, 413);
  EXPECT_EQ(p.feed(close_delim()).status, 413);
  EXPECT_EQ(p.finish().status, 413);
}

TEST(Multipart, BoundaryFromContentType) {
  std::string b;
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=abc", b));
  EXPECT_EQ(b, "abc");
  EXPECT_FALSE(multipart_boundary("multipart/form-data; charset=utf-8; Boundary=\"a b:c\"", b));
  EXPECT_EQ(b, "a b:c");
  EXPECT_EQ(multipart_boundary("multipart/form-data", b).status, 400);
  EXPECT_NE(multipart_boundary("multipart/form-data", b).message.find("no boundary"), std::string::npos);
  EXPECT_NE(multipart_boundary("multipart/form-data; boundary=a; boundary=b", b).message.find("more than one"),
            std::string::npos);
  EXPECT_NE(multipart_boundary("multipart/form-data; boundary=\"\"", b).message.find("empty"), std::string::npos);
  EXPECT_NE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a'), b).message.find("70"),
            std::string::npos);
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'a'), b));
  EXPECT_NE(multipart_boundary("multipart/form-data; boundary=a\x01", b).message.find("does not allow"),
            std::string::npos);
}

TEST(Urlencoded, ParsesLikeAQueryString) {
  FormData f;
  FormLimits limits;
  ASSERT_FALSE(parse_urlencoded("a=1&b=hello+world&&a=%C3%A9&flag&c=", limits, f));
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f.get_all("a"), (std::vector<std::string_view>{"1", "\xC3\xA9"}));
  EXPECT_EQ(f.get("b"), "hello world");
  EXPECT_EQ(f.get("flag"), "");
  EXPECT_EQ(f.get("c"), "");
  EXPECT_FALSE(f.get("d"));
  EXPECT_EQ(f.items()[1].name, "b");  // in order
}

TEST(Urlencoded, Limits) {
  FormLimits limits;
  limits.max_fields = 2;
  limits.max_part_size = 5;
  FormData f;
  EXPECT_FALSE(parse_urlencoded("a=1&&b=2&", limits, f));
  FormData g;
  const FormError many = parse_urlencoded("a=1&b=2&c=3", limits, g);
  EXPECT_EQ(many.status, 413);
  EXPECT_EQ(many.message, "Too many form fields: the limit is 2.");
  FormData h;
  const FormError big = parse_urlencoded("a=12345", limits, h);
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.message.find("too large"), std::string::npos);
  EXPECT_TRUE(h.empty());  // nothing decoded once a limit is passed
}

// ---- request.form() through TestClient

void add_form_route(Application& app) {
  app.post("/form", [](Request& req) -> Task<Response> {
    FormLimits limits;
    limits.max_fields = 4;
    limits.spool_threshold = 64;
    const FormData& form = co_await req.form(limits);
    const FormData& again = co_await req.form();  // cached: the same object
    std::string out = &form == &again ? "" : "not cached\n";
    for (const FormField& f : form.items()) {
      if (f.is_file())
        out += f.name + "=file:" + f.file->filename() + ":" + std::to_string(f.file->size()) + ":" +
               (f.file->in_memory() ? "memory" : "disk") + ":" + f.file->read() + "\n";
      else
        out += f.name + "=" + f.value + "\n";
    }
    co_return Response::text(out);
  });
}

TEST(RequestForm, Urlencoded) {
  Application app;
  add_form_route(app);
  TestClient client(app);
  const TestResponse r = client.post("/form", "a=1&b=x+y&a=2", "application/x-www-form-urlencoded; charset=utf-8");
  ASSERT_EQ(r.status, 200) << dump(r);
  EXPECT_EQ(r.body, "a=1\nb=x y\na=2\n");
}

TEST(RequestForm, MultipartInPiecesWithASpooledFile) {
  Application app;
  add_form_route(app);
  TestClient client(app);
  const std::string content(200, 'q');
  const std::string body = part("title", "hi") + file_part("up", content) + close_delim();
  for (size_t piece : {size_t{0}, size_t{1}, size_t{7}, size_t{64}}) {
    TestRequest req;
    req.method = "POST";
    req.target = "/form";
    req.headers = {{"content-type", "multipart/form-data; boundary=" + kBoundary}};
    req.body = body;
    req.body_piece = piece;
    const TestResponse r = client.request(req);
    ASSERT_EQ(r.status, 200) << dump(r);
    EXPECT_EQ(r.body, "title=hi\nup=file:f.bin:200:disk:" + content + "\n") << piece;
  }
}

TEST(RequestForm, StatusesAndSentences) {
  Application app;
  add_form_route(app);
  TestClient client(app, 10000, 4096);
  struct Case {
    std::string content_type, body;
    int status;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"text/plain", "a=1", 415,
       "A form must be sent as application/x-www-form-urlencoded or multipart/form-data."},
      {"", "a=1", 415, "A form must be sent as application/x-www-form-urlencoded or multipart/form-data."},
      {"multipart/form-data", close_delim(), 400, "The multipart/form-data Content-Type has no boundary parameter."},
      {"multipart/form-data; boundary=" + kBoundary, part("a", "1"), 400,
       "The multipart body ended before its closing delimiter."},
      {"application/x-www-form-urlencoded", "a&b&c&d&e", 413, "Too many form fields: the limit is 4."},
      {"multipart/form-data; boundary=" + kBoundary, file_part("f", std::string(5000, 'x')) + close_delim(), 413,
       "Request body is too large"},
  };
  for (const Case& c : cases) {
    TestRequest req;
    req.method = "POST";
    req.target = "/form";
    if (!c.content_type.empty()) req.headers = {{"content-type", c.content_type}};
    req.body = c.body;
    req.body_piece = 100;
    const TestResponse r = client.request(req);
    EXPECT_EQ(r.status, c.status) << c.content_type << "\n" << dump(r);
    EXPECT_EQ(r.body, c.detail) << c.content_type;
  }
}

}  // namespace
