// Background tasks, exception handlers, TrustedHost, GZip and uploads as a
// client sees them: test_app_extras_server (extras_server.cpp) on --port 0,
// over raw TCP, with curl --compressed and curl -F.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

#ifndef EXTRAS_BIN
#error "EXTRAS_BIN must name the test_app_extras_server binary"
#endif

namespace strata::test {
namespace {

namespace fs = std::filesystem;

std::string get(std::string_view target, std::string_view host = "127.0.0.1", std::string_view extra = "") {
  std::string r = "GET ";
  r.append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n").append(extra).append("\r\n");
  return r;
}

std::string text_of(size_t n) {  // as extras_server.cpp writes it
  std::string s;
  while (s.size() < n) s += "line " + std::to_string(s.size()) + " of a compressible body\n";
  s.resize(n);
  return s;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/strata-extras-XXXXXX";
    if (mkdtemp(tmpl)) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
  bool has(std::string_view name) const { return fs::exists(path + "/" + std::string(name)); }
  void touch(std::string_view name) const { std::ofstream(path + "/" + std::string(name)) << "x"; }
};

class AppExtrasBlackbox : public ::testing::Test {
 protected:
  void SetUp() override {
    SpawnOptions o;
    o.capture_stderr = true;
    std::string error;
    server_ = ServerProcess::start_program(EXTRAS_BIN, {}, o, &error);
    ASSERT_TRUE(server_) << "cannot start " << EXTRAS_BIN << ": " << error;
  }
  // SIGTERM, then the exit status; the server's stderr in `err`.
  std::optional<ExitStatus> stop(std::string& err, std::function<void()> meanwhile = {}) {
    server_->send_signal(SIGTERM);
    if (meanwhile) meanwhile();
    std::string out;
    server_->process().read_outputs_until_eof(out, err, 8000ms);
    return server_->wait_exit(5000ms);
  }
  void TearDown() override {
    if (!server_ || stopped_) return;
    std::string err;
    auto st = stop(err);
    EXPECT_TRUE(st && st->exited && st->code == 0) << (st ? st->describe() : "no exit") << "\n" << printable(err, 4000);
  }
  uint16_t port() const { return server_->port(); }
  std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port()) + std::string(path); }

  std::unique_ptr<ServerProcess> server_;
  bool stopped_ = false;
};

std::optional<Response> ask(Client& c, const std::string& req, Millis timeout = kDefaultTimeout) {
  if (!c.send(req)) return std::nullopt;
  return c.read_response(false, timeout);
}

TEST_F(AppExtrasBlackbox, APoolTaskEndsAfterItsResponseAndSigtermWaitsForIt) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  Client c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = ask(c, get("/background/pool?dir=" + dir.path));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "accepted");
  // The task cannot end before the release: the response came first.
  EXPECT_FALSE(dir.has("done"));
  stopped_ = true;
  std::string err;
  auto st = stop(err, [&] {
    // The listener closes at once; the request stays in flight until its
    // tasks end, and the loop must still be there for the last one.
    EXPECT_TRUE(wait_until_refused(port()));
    dir.touch("release");
  });
  ASSERT_TRUE(st) << "no exit after SIGTERM\n" << printable(err, 4000);
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe() << "\n" << printable(err, 4000);
  EXPECT_TRUE(dir.has("done"));
  EXPECT_TRUE(dir.has("after")) << "the loop task after the pool task never ran: the stop did not wait";
}

TEST_F(AppExtrasBlackbox, AClientThatLeavesDoesNotStopItsTasks) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  {
    Client c(port());
    ASSERT_TRUE(c.ok()) << c.error();
    auto r = ask(c, get("/background/pool?dir=" + dir.path));
    ASSERT_TRUE(r) << c.last_error();
    EXPECT_EQ(r->body, "accepted");
  }  // closed here, before the task may end
  dir.touch("release");
  // The server goes on serving; the tasks end on their own.
  Client c2(port());
  ASSERT_TRUE(c2.ok()) << c2.error();
  auto r = ask(c2, get("/text/4"));
  ASSERT_TRUE(r) << c2.last_error();
  EXPECT_EQ(r->body, "line");
  for (int i = 0; i < 1000 && !dir.has("after"); ++i) usleep(10000);  // bounded: 10 s
  EXPECT_TRUE(dir.has("done"));
  EXPECT_TRUE(dir.has("after"));
}

TEST_F(AppExtrasBlackbox, ALoopTaskThatNeverSuspendsStillLetsTheResponseOutFirst) {
  TempDir dir;
  ASSERT_FALSE(dir.path.empty());
  Client c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  // The task blocks the (only) loop until the release, for up to 30 s.
  auto r = ask(c, get("/background/loop?dir=" + dir.path));
  ASSERT_TRUE(r) << "the response waited for its background task: " << c.last_error();
  EXPECT_EQ(r->body, "accepted");
  EXPECT_FALSE(dir.has("done"));
  dir.touch("release");
  Client c2(port());
  ASSERT_TRUE(c2.ok()) << c2.error();
  r = ask(c2, get("/text/10"));
  ASSERT_TRUE(r) << c2.last_error();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(dir.has("done"));
}

TEST_F(AppExtrasBlackbox, ABackgroundErrorIsLoggedAndNeverSent) {
  Client c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = ask(c, get("/background/fail"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "accepted");
  EXPECT_EQ(r->raw.find("secret"), std::string::npos);
  r = ask(c, get("/text/3"));  // the same connection goes on
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->body, "lin");
  stopped_ = true;
  std::string err;
  auto st = stop(err);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->exited && st->code == 0) << st->describe();
  EXPECT_NE(err.find("exception in background task 1: background secret"), std::string::npos) << err;
}

TEST_F(AppExtrasBlackbox, ExceptionHandlersAnswerRouterAndAppErrors) {
  Client c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = ask(c, get("/nowhere"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, R"({"missing":"/nowhere"})");
  EXPECT_EQ(r->header("content-type"), "application/json");
  r = ask(c, get("/quota"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->body, "quota exceeded");
}

TEST_F(AppExtrasBlackbox, TrustedHostRefusesRedirectsAndAdmits) {
  Client c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = ask(c, get("/text/2", "evil.test"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, "Invalid host header");
  r = ask(c, get("/text/2?a=b", "example.test:8443"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 307);
  EXPECT_EQ(r->header("location"), "http://www.example.test:8443/text/2?a=b");
  r = ask(c, get("/text/2", "localhost:" + std::to_string(port())));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200);
  // No Host at all (HTTP/1.0) is refused too.
  Client c10(port());
  ASSERT_TRUE(c10.ok()) << c10.error();
  r = ask(c10, "GET /text/2 HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r) << c10.last_error();
  EXPECT_EQ(r->status, 400);
}

TEST_F(AppExtrasBlackbox, GzipOnTheWireOnlyWhenAsked) {
  Client c(port());
  ASSERT_TRUE(c.ok()) << c.error();
  auto r = ask(c, get("/text/5000", "127.0.0.1", "Accept-Encoding: gzip\r\n"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-encoding"), "gzip");
  EXPECT_EQ(r->header("vary"), "Accept-Encoding");
  EXPECT_EQ(r->header("content-length"), std::to_string(r->body.size()));
  EXPECT_LT(r->body.size(), 5000u / 3);
  EXPECT_EQ(r->body.substr(0, 2), "\x1f\x8b");
  r = ask(c, get("/text/5000"));
  ASSERT_TRUE(r) << c.last_error();
  EXPECT_FALSE(r->header("content-encoding"));
  EXPECT_EQ(r->body, text_of(5000));
}

TEST_F(AppExtrasBlackbox, CurlCompressedInflatesWholeAndStreamedBodies) {
  for (auto [path, expect] : {std::pair{"/text/100000", text_of(100000)}, std::pair{"/stream/200", [] {
                                std::string s;
                                for (int i = 0; i < 200; ++i) s += text_of(100);
                                return s;
                              }()}}) {
    auto run = run_command("/usr/bin/curl", {"-sS", "--compressed", "-D", "/dev/stderr", url(path)});
    ASSERT_TRUE(run.status && run.status->exited && run.status->code == 0) << path << ": " << run.err;
    EXPECT_EQ(run.out.size(), expect.size()) << path;
    EXPECT_TRUE(run.out == expect) << path;
    std::string head = run.err;
    for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(head.find("content-encoding: gzip"), std::string::npos) << run.err;
    auto raw = run_command("/usr/bin/curl", {"-sS", "-H", "Accept-Encoding: gzip", "-o", "/dev/null", "-w",
                                             "%{size_download}", url(path)});
    ASSERT_TRUE(raw.status && raw.status->exited && raw.status->code == 0) << raw.err;
    EXPECT_LT(std::stoul(raw.out), expect.size() / 3) << path << " sent " << raw.out << " bytes";
  }
}

// A process's peak resident set (VmHWM) in KiB, 0 when unknown.
size_t peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

// A 64 MiB upload with curl -F: the server streams it into a temporary file
// and its peak RSS grows by far less than the upload (the whole file held
// in memory once would add 64 MiB).
TEST(AppUploadBlackbox, CurlUploadOf64MiBKeepsMemoryBounded) {
  SpawnOptions o;
  o.capture_stderr = true;
  std::string error;
#if defined(__SANITIZE_ADDRESS__)
  // ASan's quarantine keeps freed blocks (256 MiB by default), so every
  // piece read and freed would count as resident; a small one leaves what
  // is live. The server inherits the variable; it is put back after.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asan_before = asan ? asan : "";
  setenv("ASAN_OPTIONS", (asan_before + ":quarantine_size_mb=1").c_str(), 1);
#endif
  auto server = ServerProcess::start_program(EXTRAS_BIN, {"--workers", "1", "--max-body-bytes", "100000000"}, o, &error);
#if defined(__SANITIZE_ADDRESS__)
  if (asan) setenv("ASAN_OPTIONS", asan_before.c_str(), 1);
  else unsetenv("ASAN_OPTIONS");
#endif
  ASSERT_TRUE(server) << error;
  const std::string base = "http://127.0.0.1:" + std::to_string(server->port());
  // Warm the server up with a small upload first, so the peak measured
  // before the big one includes what any form request costs.
  TempDir dir;
  const std::string small = dir.path + "/small.txt";
  std::ofstream(small) << "hello";
  auto warm = run_command("/usr/bin/curl", {"-sS", "-F", "title=hi", "-F", "doc=@" + small, base + "/upload"});
  ASSERT_TRUE(warm.status && warm.status->exited && warm.status->code == 0) << warm.err;
  EXPECT_EQ(warm.out, "title=hi\ndoc=file small.txt 5 memory 25347132070217633\n");
  const size_t before = peak_rss_kib(server->process().pid());
  ASSERT_GT(before, 0u);

  const std::string big = dir.path + "/big.bin";
  constexpr size_t kSize = 64u << 20;
  uint64_t hash = 1469598103934665603ull;
  {
    std::ofstream out(big, std::ios::binary);
    std::string block(1 << 16, '\0');
    uint32_t x = 12345;
    for (size_t written = 0; written < kSize; written += block.size()) {
      for (char& c : block) {
        x = x * 1103515245u + 12345u;  // varied bytes, CRLFs and dashes included
        c = static_cast<char>(x >> 24);
        hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      }
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }
  auto run = run_command("/usr/bin/curl", {"-sS", "-F", "title=big", "-F", "doc=@" + big + ";type=application/octet-stream",
                                           base + "/upload"},
                         60000ms);
  ASSERT_TRUE(run.status && run.status->exited && run.status->code == 0) << run.err;
  EXPECT_EQ(run.out, "title=big\ndoc=file big.bin " + std::to_string(kSize) + " disk " + std::to_string(hash) + "\n");
  const size_t after = peak_rss_kib(server->process().pid());
  std::cout << "server peak RSS (VmHWM): " << before << " KiB before the upload, " << after << " KiB after\n";
  EXPECT_LT(after - before, 16u * 1024) << "the upload raised the peak RSS by " << (after - before) << " KiB";

  server->send_signal(SIGTERM);
  std::string out, err;
  server->process().read_outputs_until_eof(out, err, 8000ms);
  auto st = server->wait_exit(5000ms);
  EXPECT_TRUE(st && st->exited && st->code == 0) << (st ? st->describe() : "no exit") << "\n" << printable(err, 4000);
}

std::string upload(std::string_view content_type, std::string_view body, size_t content_length = SIZE_MAX) {
  std::string r = "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!content_type.empty()) r.append("Content-Type: ").append(content_type).append("\r\n");
  r += "Content-Length: " + std::to_string(content_length == SIZE_MAX ? body.size() : content_length) + "\r\n\r\n";
  r.append(body);
  return r;
}

// Hostile forms over TCP: each a status and a sentence on a connection that
// stays usable, and a body cut short does not take the server down.
TEST_F(AppExtrasBlackbox, HostileFormsGetAStatusAndASentence) {
  const std::string mp = "multipart/form-data; boundary=XyZ";
  const std::string part = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
  struct Case {
    std::string content_type, body;
    int status;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"text/plain", "a=1", 415, "A form must be sent as application/x-www-form-urlencoded or multipart/form-data."},
      {"multipart/form-data", part + "--XyZ--", 400, "The multipart/form-data Content-Type has no boundary parameter."},
      {mp, part, 400, "The multipart body ended before its closing delimiter."},
      {mp, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\n\r\n1\r\n--XyZ--", 400,
       "A multipart header line does not end with CRLF."},
      {mp, "--XyZW\r\n" + part + "--XyZ--", 400,
       "A multipart delimiter is not followed by CRLF or \"--\" (is the boundary right?)."},
      {mp, "--XyZ\r\nX-Pad: " + std::string(20000, 'p') + "\r\n\r\n", 413,
       "A multipart part's headers are too large: the limit is 16384 bytes."},
      {mp, part + "--XyZ--", 200, "a=1\n"},
  };
  auto c = std::make_unique<Client>(port());
  for (const Case& k : cases) {
    auto r = ask(*c, upload(k.content_type, k.body));
    ASSERT_TRUE(r) << k.body.substr(0, 80) << ": " << c->last_error();
    EXPECT_EQ(r->status, k.status) << k.body.substr(0, 80);
    EXPECT_EQ(r->body, k.detail);
    // A body the app did not read to its end may close the connection.
    if (r->header("connection") == "close") c = std::make_unique<Client>(port());
  }
  // A body that ends early: the client announces more than it sends and leaves.
  {
    Client cut(port());
    ASSERT_TRUE(cut.send(upload(mp, part, 100000)));
  }
  Client after(port());
  auto r = ask(after, upload(mp, part + "--XyZ--"));
  ASSERT_TRUE(r) << after.last_error();
  EXPECT_EQ(r->status, 200);
}

// A slow client: half a multipart body, then nothing. The form's reader
// waits under tier 2's --body-timeout, which answers 408 and closes; the
// server then serves the next upload.
TEST(AppUploadBlackbox, AClientThatStallsMidFormGetsA408) {
  SpawnOptions o;
  o.capture_stderr = true;
  std::string error;
  auto server = ServerProcess::start_program(EXTRAS_BIN, {"--workers", "1", "--body-timeout", "1"}, o, &error);
  ASSERT_TRUE(server) << error;
  const std::string mp = "multipart/form-data; boundary=XyZ";
  const std::string part = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
  Client slow(server->port());
  auto r = ask(slow, upload(mp, part, part.size() + 100), 10000ms);
  ASSERT_TRUE(r) << slow.last_error();
  EXPECT_EQ(r->status, 408);
  Client next(server->port());
  r = ask(next, upload(mp, part + "--XyZ--"));
  ASSERT_TRUE(r) << next.last_error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "a=1\n");
  server->send_signal(SIGTERM);
  std::string out, err;
  server->process().read_outputs_until_eof(out, err, 8000ms);
  auto st = server->wait_exit(5000ms);
  EXPECT_TRUE(st && st->exited && st->code == 0) << (st ? st->describe() : "no exit") << "\n" << printable(err, 4000);
}

}  // namespace
}  // namespace strata::test
