// Tier 3 as a client sees it: the real binaries on --port 0, over raw TCP.
//   AppBlackbox       `strata serve --tier app` (the seed workloads through
//                     the router and the default middleware stack)
//   AppNotesBlackbox  strata-example-notes (routes with parameters, JSON,
//                     streamed request and response bodies, a sync handler
//                     on the thread pool, a handler that throws)
// Every server is stopped with SIGTERM at the end of its test and must exit 0.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"
#include "header_formats.hpp"

#ifndef STRATA_BIN
#error "STRATA_BIN must name the strata binary under test"
#endif
#ifndef NOTES_BIN
#error "NOTES_BIN must name the strata-example-notes binary under test"
#endif

namespace strata::test {

using app::test::is_app_timing;
using app::test::is_hex16;
namespace {

const std::string kStrataBin = STRATA_BIN;
const std::string kNotesBin = NOTES_BIN;

constexpr std::string_view kUserBody = R"({"id": 1, "name": "user", "email": "user@email.com"})";
constexpr std::string_view kUserReply = R"({"id":1,"name":"user","email":"user@email.com"})";
constexpr std::string_view kHello = "Hello ASGI World!";

// ------------------------------------------------------------ requests

std::string request(std::string_view method, std::string_view target, std::string_view extra_headers = "") {
  std::string r(method);
  r.append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n").append(extra_headers).append("\r\n");
  return r;
}

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return request("GET", target, extra_headers);
}

std::string head(std::string_view target) { return request("HEAD", target); }

std::string post(std::string_view target, std::string_view body, std::string_view content_type = "application/json") {
  std::string r = "POST ";
  r.append(target).append(" HTTP/1.1\r\nHost: localhost\r\nContent-Type: ").append(content_type);
  r.append("\r\nContent-Length: ").append(std::to_string(body.size())).append("\r\n\r\n").append(body);
  return r;
}

std::string describe(const std::optional<Response>& r) {
  return r ? "response: " + printable(r->raw, 800) : std::string("no response");
}

::testing::AssertionResult Is(const std::optional<Response>& r, int status, std::string_view body,
                              std::string_view type_prefix = "") {
  if (!r) return ::testing::AssertionFailure() << "no response";
  const std::string type = r->header("content-type").value_or("");
  if (r->status != status || r->body != body || type.rfind(type_prefix, 0) != 0)
    return ::testing::AssertionFailure() << "expected " << status << " " << type_prefix << " '" << printable(body)
                                         << "'; got " << describe(r);
  return ::testing::AssertionSuccess();
}

// One request and its response on an open connection.
std::optional<Response> ask(Client& c, std::string_view req, bool head_request = false,
                                 Millis timeout = kDefaultTimeout) {
  if (!c.send(req)) return std::nullopt;
  return c.read_response(head_request, timeout);
}

// The number after "key": in a flat JSON object, or -1.
long long json_number(std::string_view json, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const size_t at = json.find(needle);
  if (at == std::string_view::npos) return -1;
  size_t i = at + needle.size();
  while (i < json.size() && json[i] == ' ') ++i;
  long long v = 0;
  bool any = false;
  for (; i < json.size() && json[i] >= '0' && json[i] <= '9'; ++i, any = true) v = v * 10 + (json[i] - '0');
  return any ? v : -1;
}

// ------------------------------------------------------------ fixture

class AppServerTest : public ::testing::Test {
 protected:
  struct Running {
    std::unique_ptr<ServerProcess> strata;  // strata serve
    std::unique_ptr<Subprocess> notes;      // strata-example-notes
    uint16_t port = 0;
    Subprocess& proc() { return strata ? strata->process() : *notes; }
  };

  // `strata serve --tier app` on 127.0.0.1, a free port; 0 on failure.
  uint16_t start_app(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--tier", "app"});
    SpawnOptions o;
    o.capture_stderr = true;
    std::string error;
    auto s = ServerProcess::start(kStrataBin, std::move(extra), o, &error);
    if (!s) {
      ADD_FAILURE() << "cannot start strata serve --tier app: " << error;
      return 0;
    }
    banner_ = s->banner();
    Running r;
    r.port = s->port();
    r.strata = std::move(s);
    servers_.push_back(std::move(r));
    return servers_.back().port;
  }

  // strata-example-notes on 127.0.0.1, a free port; 0 on failure.
  uint16_t start_notes(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--host", "127.0.0.1", "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    SpawnOptions o;
    o.capture_stderr = true;  // the app's log: checked by the tests, shown on failure
    std::string error;
    auto p = spawn_process(kNotesBin, args, o, &error);
    if (!p) {
      ADD_FAILURE() << "cannot start " << kNotesBin << ": " << error;
      return 0;
    }
    auto line = p->read_stdout_line(10000ms);
    const auto banner = line ? parse_banner(*line) : std::nullopt;
    if (!banner) {
      ADD_FAILURE() << "strata-example-notes: " << (line ? "unexpected first line '" + *line + "'" : "no banner in 10 s");
      return 0;
    }
    banner_ = *line;
    Running r;
    r.port = banner->port;
    r.notes = std::move(p);
    servers_.push_back(std::move(r));
    return servers_.back().port;
  }

  Subprocess& last() { return servers_.back().proc(); }

  // SIGTERM, then the exit status (stderr drained meanwhile into `err`).
  std::optional<ExitStatus> terminate(Running& s, std::string& err) {
    std::string out;
    s.proc().send_signal(SIGTERM);
    s.proc().read_outputs_until_eof(out, err, 8000ms);
    return s.proc().wait_exit(5000ms);
  }

  void TearDown() override {
    for (auto& s : servers_) {
      if (!s.proc().running()) {
        auto st = s.proc().wait_exit(0ms);
        if (!stopped_by_test_) ADD_FAILURE() << "the server died during the test: " << (st ? st->describe() : "?");
        continue;
      }
      std::string err;
      auto st = terminate(s, err);
      if (!st) {
        ADD_FAILURE() << "the server did not exit within 5 s of SIGTERM at the end of the test";
        continue;
      }
      EXPECT_TRUE(st->exited && st->code == 0)
          << "after SIGTERM at the end of the test: " << st->describe() << "\nstderr:\n" << printable(err, 4000);
    }
    servers_.clear();
  }

  std::vector<Running> servers_;
  std::string banner_;
  bool stopped_by_test_ = false;
};

class AppBlackbox : public AppServerTest {};
class AppNotesBlackbox : public AppServerTest {};

// ============================================================ strata serve --tier app

TEST_F(AppBlackbox, BannerNamesTheAppTier) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  EXPECT_EQ(banner_, "listening on http://127.0.0.1:" + std::to_string(port) + " tier=app");
}

TEST_F(AppBlackbox, Workload) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  EXPECT_TRUE(Is(round_trip(port, post("/user", kUserBody)), 200, kUserReply, "application/json"));
  auto hello = round_trip(port, get("/"));
  EXPECT_TRUE(Is(hello, 200, kHello, "text/plain"));
  EXPECT_TRUE(Is(round_trip(port, get("/index?name=J%C3%BCrgen")), 200, "Hello J\xC3\xBCrgen", "text/plain"));
  EXPECT_TRUE(Is(round_trip(port, get("/index?name=Ada+Lovelace")), 200, "Hello Ada Lovelace", "text/plain"));
  EXPECT_TRUE(Is(round_trip(port, get("/index")), 200, kHello, "text/plain"));
}

TEST_F(AppBlackbox, WorkloadRejectsABadBodyWithAOneLineReason) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  for (std::string_view bad : {std::string_view("[1, 2, 3]"), std::string_view(R"({"id": 1, "name": "user")"),
                               std::string_view(R"({"name": "u", "email": "e"})"), std::string_view("")}) {
    auto r = round_trip(port, post("/user", bad));
    ASSERT_TRUE(r) << "body '" << bad << "'";
    std::string_view reason = r->body;
    if (!reason.empty() && reason.back() == '\n') reason.remove_suffix(1);
    EXPECT_EQ(r->status, 400) << describe(r);
    EXPECT_EQ(r->header("content-type").value_or("").rfind("text/plain", 0), 0u) << describe(r);
    EXPECT_FALSE(reason.empty()) << describe(r);
    EXPECT_EQ(reason.find('\n'), std::string_view::npos) << describe(r);
  }
}

TEST_F(AppBlackbox, NotFound) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  EXPECT_TRUE(Is(round_trip(port, get("/nope")), 404, "Not Found", "text/plain"));
  EXPECT_TRUE(Is(round_trip(port, post("/user/1", kUserBody)), 404, "Not Found", "text/plain"));
  // Starlette's redirect_slashes: /index/ is not found, but /index is.
  auto slash = round_trip(port, get("/index/?name=x"));
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->status, 307) << describe(slash);
  EXPECT_TRUE(slash->header("location").value_or("").ends_with("/index?name=x")) << describe(slash);
}

TEST_F(AppBlackbox, MethodNotAllowedWithAllow) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  auto r = round_trip(port, get("/user"));
  EXPECT_TRUE(Is(r, 405, "Method Not Allowed", "text/plain"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("allow"), "POST") << describe(r);
  EXPECT_EQ(r->header_count("allow"), 1u) << describe(r);
  auto d = round_trip(port, request("DELETE", "/"));
  EXPECT_TRUE(Is(d, 405, "Method Not Allowed", "text/plain"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->header("allow"), "GET, HEAD") << describe(d);
  auto p = round_trip(port, post("/index", "x", "text/plain"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 405) << describe(p);
  EXPECT_EQ(p->header("allow"), "GET, HEAD") << describe(p);
}

TEST_F(AppBlackbox, HeadHasHeadersAndNoBodyThenTheConnectionGoesOn) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  auto h = ask(c, head("/"), true);
  ASSERT_TRUE(h) << c.last_error();
  EXPECT_EQ(h->status, 200) << describe(h);
  EXPECT_EQ(h->header("content-length"), std::to_string(kHello.size())) << describe(h);
  EXPECT_EQ(h->header("content-type").value_or("").rfind("text/plain", 0), 0u) << describe(h);
  EXPECT_EQ(h->body, "");
  EXPECT_TRUE(c.buffered().empty()) << "bytes after the HEAD response: " << printable(c.buffered());
  // A stray body would be read as the start of this response.
  EXPECT_TRUE(Is(ask(c, get("/")), 200, kHello, "text/plain")) << c.last_error();
  auto hi = ask(c, head("/index?name=x"), true);
  ASSERT_TRUE(hi) << c.last_error();
  EXPECT_EQ(hi->status, 200);
  EXPECT_EQ(hi->header("content-length"), "7") << describe(hi);
  EXPECT_TRUE(Is(ask(c, post("/user", kUserBody)), 200, kUserReply, "application/json")) << c.last_error();
  EXPECT_TRUE(c.buffered().empty()) << printable(c.buffered());
}

TEST_F(AppBlackbox, KeepAliveOverManyRequests) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  constexpr int kRequests = 150;
  int answered = 0;
  for (int i = 0; i < kRequests; ++i) {
    std::optional<Response> r;
    bool good = false;
    switch (i % 3) {
      case 0:
        r = ask(c, get("/"));
        good = Is(r, 200, kHello, "text/plain");
        break;
      case 1:
        r = ask(c, post("/user", kUserBody));
        good = Is(r, 200, kUserReply, "application/json");
        break;
      case 2: {
        const std::string name = "n" + std::to_string(i);
        r = ask(c, get("/index?name=" + name));
        good = Is(r, 200, "Hello " + name, "text/plain");
        break;
      }
    }
    if (!good) {
      ADD_FAILURE() << "request " << i << ": " << describe(r) << " " << c.last_error();
      break;
    }
    EXPECT_FALSE(r->header_has_token("connection", "close")) << describe(r);
    ++answered;
  }
  EXPECT_EQ(answered, kRequests);
}

TEST_F(AppBlackbox, PipelinedRequestsInOneWrite) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send(get("/") + post("/user", kUserBody) + get("/index?name=Ada")));
  EXPECT_TRUE(Is(c.read_response(), 200, kHello, "text/plain")) << c.last_error();
  EXPECT_TRUE(Is(c.read_response(), 200, kUserReply, "application/json")) << c.last_error();
  EXPECT_TRUE(Is(c.read_response(), 200, "Hello Ada", "text/plain")) << c.last_error();
  // With a HEAD and a 404 in the middle.
  ASSERT_TRUE(c.send(get("/index?name=A") + head("/") + get("/missing") + get("/index?name=B")));
  EXPECT_TRUE(Is(c.read_response(), 200, "Hello A", "text/plain")) << c.last_error();
  auto h = c.read_response(true);
  ASSERT_TRUE(h) << c.last_error();
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->body, "");
  EXPECT_TRUE(Is(c.read_response(), 404, "Not Found", "text/plain")) << c.last_error();
  EXPECT_TRUE(Is(c.read_response(), 200, "Hello B", "text/plain")) << c.last_error();
  EXPECT_TRUE(c.buffered().empty()) << printable(c.buffered());
}

TEST_F(AppBlackbox, SigtermExitsZeroWithAnIdleConnectionOpen) {
  const uint16_t port = start_app();
  ASSERT_NE(port, 0);
  Client idle(port);
  ASSERT_TRUE(idle.ok()) << idle.error();
  ASSERT_TRUE(Is(ask(idle, get("/")), 200, kHello, "text/plain"));
  stopped_by_test_ = true;
  std::string err;
  auto st = terminate(servers_.back(), err);
  ASSERT_TRUE(st) << "no exit within 5 s of SIGTERM";
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe() << "\nstderr:\n" << printable(err, 4000);
  EXPECT_TRUE(idle.wait_for_eof(2000ms)) << "the idle connection was not closed: " << idle.last_error();
}

// ============================================================ strata-example-notes

TEST_F(AppNotesBlackbox, CreateListGetDelete) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  auto a = ask(c, post("/notes", R"({"title": "milk", "tags": ["shop"]})"));
  ASSERT_TRUE(a) << c.last_error();
  ASSERT_EQ(a->status, 201) << describe(a);
  EXPECT_EQ(a->header("content-type"), "application/json");
  const long long id_a = json_number(a->body, "id");
  ASSERT_GT(id_a, 0) << describe(a);
  EXPECT_EQ(a->body, R"({"id":)" + std::to_string(id_a) + R"(,"title":"milk","tags":["shop"]})");
  auto b = ask(c, post("/notes", R"({"title": "call \"Bob\""})"));
  ASSERT_TRUE(b) << c.last_error();
  ASSERT_EQ(b->status, 201) << describe(b);
  const long long id_b = json_number(b->body, "id");
  ASSERT_GT(id_b, id_a) << describe(b);
  EXPECT_EQ(b->body, R"({"id":)" + std::to_string(id_b) + R"(,"title":"call \"Bob\"","tags":[]})");

  EXPECT_TRUE(Is(ask(c, get("/notes")), 200, "[" + a->body + "," + b->body + "]", "application/json"));
  EXPECT_TRUE(Is(ask(c, get("/notes?tag=shop")), 200, "[" + a->body + "]", "application/json"));
  EXPECT_TRUE(Is(ask(c, get("/notes?limit=1")), 200, "[" + a->body + "]", "application/json"));
  EXPECT_TRUE(Is(ask(c, get("/notes/" + std::to_string(id_b))), 200, b->body, "application/json"));

  auto del = ask(c, request("DELETE", "/notes/" + std::to_string(id_a)));
  ASSERT_TRUE(del) << c.last_error();
  EXPECT_EQ(del->status, 204) << describe(del);
  EXPECT_EQ(del->body, "");
  EXPECT_TRUE(Is(ask(c, get("/notes/" + std::to_string(id_a))), 404, "no such note", "text/plain"));
  EXPECT_TRUE(Is(ask(c, get("/notes")), 200, "[" + b->body + "]", "application/json"));
}

// RFC 9110 8.6: a 204 carries no Content-Length (Starlette sends none).
TEST_F(AppNotesBlackbox, DeleteAnswers204WithoutContentLength) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  auto a = ask(c, post("/notes", R"({"title": "x"})"));
  ASSERT_TRUE(a && a->status == 201) << describe(a);
  auto del = ask(c, request("DELETE", "/notes/" + std::to_string(json_number(a->body, "id"))));
  ASSERT_TRUE(del) << c.last_error();
  EXPECT_EQ(del->status, 204) << describe(del);
  EXPECT_EQ(del->header("content-length"), std::nullopt) << describe(del);
  EXPECT_EQ(del->header("transfer-encoding"), std::nullopt) << describe(del);
}

TEST_F(AppNotesBlackbox, MissingNotesAndBadInput) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(Is(ask(c, get("/notes/999")), 404, "no such note", "text/plain"));
  EXPECT_TRUE(Is(ask(c, request("DELETE", "/notes/999")), 404, "no such note", "text/plain"));
  EXPECT_TRUE(Is(ask(c, get("/notes/abc")), 404, "Not Found", "text/plain"));
  EXPECT_TRUE(Is(ask(c, get("/notes/-1")), 404, "Not Found", "text/plain"));
  auto bad_json = ask(c, post("/notes", "{nope"));
  ASSERT_TRUE(bad_json) << c.last_error();
  EXPECT_EQ(bad_json->status, 400) << describe(bad_json);
  auto no_title = ask(c, post("/notes", R"({"tags": ["x"]})"));
  ASSERT_TRUE(no_title) << c.last_error();
  EXPECT_EQ(no_title->status, 422) << describe(no_title);
  auto bad_tags = ask(c, post("/notes", R"({"title": "t", "tags": [1]})"));
  ASSERT_TRUE(bad_tags) << c.last_error();
  EXPECT_EQ(bad_tags->status, 422) << describe(bad_tags);
  auto bad_limit = ask(c, get("/notes?limit=lots"));
  ASSERT_TRUE(bad_limit) << c.last_error();
  EXPECT_EQ(bad_limit->status, 400) << describe(bad_limit);
  auto put = ask(c, request("PUT", "/notes/1", "Content-Length: 0\r\n"));
  ASSERT_TRUE(put) << c.last_error();
  EXPECT_EQ(put->status, 405) << describe(put);
  EXPECT_EQ(put->header("allow"), "DELETE, GET, HEAD") << describe(put);
  // Nothing was created by the rejected requests.
  EXPECT_TRUE(Is(ask(c, get("/notes")), 200, "[]", "application/json"));
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 1000) % 26);
  return s;
}

TEST_F(AppNotesBlackbox, UploadWithContentLengthInSeveralWrites) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  constexpr size_t kSize = 3 * 1024 * 1024 + 17;
  const std::string body = pattern(kSize);
  std::vector<std::string> pieces = {"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                                     "application/octet-stream\r\nContent-Length: " +
                                     std::to_string(kSize) + "\r\n\r\n"};
  constexpr size_t kPiece = 512 * 1024;
  for (size_t at = 0; at < kSize; at += kPiece) pieces.push_back(body.substr(at, kPiece));
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send_pieces(pieces, 20ms, 10000ms)) << c.last_error();
  auto r = c.read_response(false, 10000ms);
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200) << describe(r);
  EXPECT_EQ(json_number(r->body, "bytes"), static_cast<long long>(kSize)) << describe(r);
  EXPECT_GE(json_number(r->body, "pieces"), 2) << "a 3 MB body sent in several writes arrived whole: " << describe(r);
  // The connection goes on.
  EXPECT_TRUE(Is(ask(c, get("/notes")), 200, "[]", "application/json")) << c.last_error();
}

TEST_F(AppNotesBlackbox, UploadChunkedInSeveralWrites) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  const std::string body = pattern(3 * 1024 * 1024);
  std::vector<std::string> pieces = {
      "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
      "Transfer-Encoding: chunked\r\n\r\n"};
  size_t total = 0;
  // Chunks of uneven sizes, each write carrying one or two chunks.
  const size_t sizes[] = {1, 300000, 65536, 700001, 1000, 524288, 999999};
  size_t at = 0;
  for (size_t k = 0; at < body.size(); ++k) {
    const size_t n = std::min(sizes[k % std::size(sizes)], body.size() - at);
    char hex[32];
    std::snprintf(hex, sizeof hex, "%zx", n);
    std::string chunk = std::string(hex) + "\r\n" + body.substr(at, n) + "\r\n";
    at += n;
    total += n;
    if (k % 2 == 1) pieces.back() += chunk;
    else pieces.push_back(std::move(chunk));
  }
  pieces.push_back("0\r\n\r\n");
  ASSERT_EQ(total, body.size());
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c.send_pieces(pieces, 20ms, 10000ms)) << c.last_error();
  auto r = c.read_response(false, 10000ms);
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200) << describe(r);
  EXPECT_EQ(json_number(r->body, "bytes"), static_cast<long long>(body.size())) << describe(r);
  EXPECT_GE(json_number(r->body, "pieces"), 2) << describe(r);
  EXPECT_TRUE(Is(ask(c, get("/notes")), 200, "[]", "application/json")) << c.last_error();
}

TEST_F(AppNotesBlackbox, ExportIsAChunkedStream) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  std::string want;
  for (const char* title : {"one", "two", "three"}) {
    auto r = ask(c, post("/notes", std::string(R"({"title": ")") + title + R"(", "tags": ["t"]})"));
    ASSERT_TRUE(r && r->status == 201) << describe(r);
    want += r->body + "\n";
  }
  auto r = ask(c, get("/notes/export"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200) << describe(r);
  EXPECT_TRUE(r->chunked) << describe(r);
  EXPECT_TRUE(r->header_has_token("transfer-encoding", "chunked")) << describe(r);
  EXPECT_EQ(r->header("content-length"), std::nullopt) << describe(r);
  EXPECT_EQ(r->header("content-type"), "application/x-ndjson") << describe(r);
  EXPECT_EQ(r->body, want) << describe(r);
  // The stream ended properly: the connection goes on.
  EXPECT_TRUE(Is(ask(c, get("/notes?limit=1")), 200, "[" + want.substr(0, want.find('\n')) + "]",
                 "application/json"))
      << c.last_error();
}

TEST_F(AppNotesBlackbox, HeadOnAPlainAndAStreamedRoute) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(Is(ask(c, post("/notes", R"({"title": "h"})")), 201, R"({"id":1,"title":"h","tags":[]})",
                 "application/json"));
  auto g = ask(c, get("/notes"));
  ASSERT_TRUE(g && g->status == 200) << describe(g);
  auto h = ask(c, head("/notes"), true);
  ASSERT_TRUE(h) << c.last_error();
  EXPECT_EQ(h->status, 200) << describe(h);
  EXPECT_EQ(h->header("content-length"), std::to_string(g->body.size())) << describe(h);
  EXPECT_EQ(h->header("content-type"), "application/json") << describe(h);
  EXPECT_EQ(h->body, "");
  EXPECT_TRUE(Is(ask(c, get("/notes/1")), 200, R"({"id":1,"title":"h","tags":[]})", "application/json"))
      << c.last_error();
  auto hs = ask(c, head("/notes/export"), true);
  ASSERT_TRUE(hs) << c.last_error();
  EXPECT_EQ(hs->status, 200) << describe(hs);
  EXPECT_EQ(hs->body, "");
  EXPECT_TRUE(Is(ask(c, get("/notes/1")), 200, R"({"id":1,"title":"h","tags":[]})", "application/json"))
      << "after HEAD /notes/export: " << c.last_error();
  EXPECT_TRUE(c.buffered().empty()) << printable(c.buffered());
}

TEST_F(AppNotesBlackbox, AnExceptionIsA500WithoutInternalsAndTheConnectionGoesOn) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Subprocess& proc = last();
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = ask(c, get("/boom"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 500) << describe(r);
  EXPECT_EQ(r->body, "Internal Server Error") << describe(r);
  for (std::string_view secret : {"database", "fire", "runtime_error", "what()"})
    EXPECT_EQ(r->raw.find(secret), std::string::npos) << "'" << secret << "' leaked: " << describe(r);
  EXPECT_FALSE(r->header_has_token("connection", "close")) << describe(r);
  EXPECT_TRUE(Is(ask(c, get("/notes")), 200, "[]", "application/json")) << c.last_error();
  EXPECT_TRUE(Is(ask(c, post("/notes", R"({"title": "after"})")), 201, R"({"id":1,"title":"after","tags":[]})",
                 "application/json"))
      << c.last_error();
  // The details went to the log.
  const std::string err = proc.read_available_stderr();
  EXPECT_NE(err.find("the database is on fire"), std::string::npos) << "stderr: " << printable(err);
}

TEST_F(AppNotesBlackbox, ASleepingSyncHandlerDoesNotStopOtherRequests) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client slow(port);
  ASSERT_TRUE(slow.ok()) << slow.error();
  ASSERT_TRUE(slow.send(get("/slow?ms=1500")));
  ASSERT_TRUE(wait_until_server_read_all(port, slow.local_port())) << "the server did not read GET /slow";
  constexpr int kOthers = 20;
  int answered = 0;
  for (int i = 0; i < kOthers; ++i) {
    Client other(port);
    ASSERT_TRUE(other.ok()) << other.error();
    auto r = ask(other, get("/notes"));
    if (!Is(r, 200, "[]", "application/json")) {
      ADD_FAILURE() << "request " << i << ": " << describe(r) << " " << other.last_error();
      break;
    }
    ++answered;
  }
  EXPECT_EQ(answered, kOthers);
  // Order of arrival: nothing of the slow response may be here yet.
  slow.read_available();
  EXPECT_TRUE(slow.buffered().empty()) << "the slow response arrived before the " << kOthers
                                       << " others were answered: " << printable(slow.buffered());
  auto r = slow.read_response(false, 10000ms);
  EXPECT_TRUE(Is(r, 200, "slept 1500 ms", "text/plain")) << slow.last_error();
}

TEST_F(AppNotesBlackbox, CorsAndRequestIdMiddleware) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  auto pre = ask(c, request("OPTIONS", "/notes",
                                 "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n"));
  ASSERT_TRUE(pre) << c.last_error();
  EXPECT_EQ(pre->status, 200) << describe(pre);
  EXPECT_EQ(pre->header("access-control-allow-origin"), "*") << describe(pre);
  EXPECT_TRUE(pre->header_has_token("access-control-allow-methods", "POST")) << describe(pre);
  auto simple = ask(c, get("/notes", "Origin: https://app.example\r\nX-Request-ID: trace-7\r\n"));
  ASSERT_TRUE(simple) << c.last_error();
  EXPECT_EQ(simple->status, 200) << describe(simple);
  EXPECT_EQ(simple->header("access-control-allow-origin"), "*") << describe(simple);
  EXPECT_EQ(simple->header("x-request-id"), "trace-7") << describe(simple);
  auto fresh = ask(c, get("/notes"));
  ASSERT_TRUE(fresh) << c.last_error();
  EXPECT_TRUE(is_hex16(fresh->header("x-request-id").value_or("")))
      << describe(fresh);
  EXPECT_TRUE(is_app_timing(fresh->header("server-timing").value_or("")))
      << describe(fresh);
}

TEST_F(AppNotesBlackbox, SigtermExitsZero) {
  const uint16_t port = start_notes();
  ASSERT_NE(port, 0);
  Client idle(port);
  ASSERT_TRUE(idle.ok()) << idle.error();
  ASSERT_TRUE(Is(ask(idle, get("/notes")), 200, "[]", "application/json"));
  stopped_by_test_ = true;
  std::string err;
  auto st = terminate(servers_.back(), err);
  ASSERT_TRUE(st) << "no exit within 5 s of SIGTERM";
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe() << "\nstderr:\n" << printable(err, 4000);
  EXPECT_TRUE(idle.wait_for_eof(2000ms)) << "the idle connection was not closed: " << idle.last_error();
}

}  // namespace
}  // namespace strata::test
