// strata::serve as an application's main() uses it: the examples are
// nothing but routes and one serve() call, so their command lines, their
// banner and their limits are serve()'s. Black-box, over TCP on --port 0;
// the listening line's format is checked directly as well.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>

#include "serve/serve_internal.hpp"
#include "support/process.hpp"

#if !defined(BOOKSHELF_BIN) || !defined(NOTES_BIN)
#error "BOOKSHELF_BIN and NOTES_BIN must name the example binaries under test"
#endif

namespace strata::test {
namespace {

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

// A started example, its banner read; stopped with SIGTERM, it must exit 0.
class Served {
 public:
  Served(const char* binary, std::vector<std::string> args) {
    std::string error;
    proc_ = spawn_process(binary, args, {}, &error);
    if (!proc_) {
      error_ = error;
      return;
    }
    auto line = proc_->read_stdout_line();
    if (!line) {
      error_ = "no banner; stderr: " + proc_->stderr_text();
      return;
    }
    line_ = *line;
    if (auto b = parse_banner(*line)) port_ = b->port;
    else error_ = "not a banner: " + *line;
  }
  ~Served() {
    if (!proc_) return;
    proc_->send_signal(SIGTERM);
    auto st = proc_->wait_exit();
    EXPECT_TRUE(st && st->exited && st->code == 0) << (st ? st->describe() : "did not stop on SIGTERM");
  }
  uint16_t port() const { return port_; }
  const std::string& line() const { return line_; }
  const std::string& error() const { return error_; }
  Subprocess& process() { return *proc_; }

 private:
  std::unique_ptr<Subprocess> proc_;
  std::string line_, error_;
  uint16_t port_ = 0;
};

std::string upload(size_t n, bool chunked) {
  std::string r = "POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n";
  const std::string body(n, 'x');
  if (!chunked) return r + "Content-Length: " + std::to_string(n) + "\r\n\r\n" + body;
  r += "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t at = 0; at < n; at += 100) {
    const size_t k = std::min<size_t>(100, n - at);
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx", k);
    r += std::string(hex) + "\r\n" + body.substr(at, k) + "\r\n";
  }
  return r + "0\r\n\r\n";
}

TEST(ServeLine, IsTheSameForEveryServerWithIPv6InBrackets) {
  EXPECT_EQ(serving::listening_line("127.0.0.1", 8000, "typed"), "listening on http://127.0.0.1:8000 tier=typed");
  EXPECT_EQ(serving::listening_line("::1", 80, "app"), "listening on http://[::1]:80 tier=app");
  EXPECT_EQ(serving::http_url("0.0.0.0", 1), "http://0.0.0.0:1");
  EXPECT_EQ(serving::http_url("fe80::1", 65535), "http://[fe80::1]:65535");
  // What the kit reads back is what serve prints.
  auto b = parse_banner(serving::listening_line("::1", 8123, "typed"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 8123);
}

TEST(Serve, HelpListsTheStandardFlagsAndTheProgramsOwn) {
  RunResult r = run_command(BOOKSHELF_BIN, {"--help"});
  ASSERT_TRUE(r.ok()) << r.error << r.err;
  for (const char* flag : {"--host", "--port", "--workers", "--threads", "--max-body-bytes", "--max-head-bytes",
                           "--head-timeout", "--graceful-timeout", "--limit-concurrency", "--access-log",
                           "--server-timing", "--admin-port", "--api-key"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from:\n" << r.out;
  EXPECT_EQ(r.out.rfind("strata example: a book catalogue", 0), 0u) << r.out;
}

TEST(Serve, ABadFlagIsOneSentenceNamingTheProgramAndExit2) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--port", "abc"}, {"--no-such-flag"},
                                        {"--workers", "0"}, {"--head-timeout", "-1"}}) {
    RunResult r = run_command(BOOKSHELF_BIN, args);
    ASSERT_TRUE(r.status) << "did not exit";
    EXPECT_TRUE(r.status->exited && r.status->code == 2) << args[0] << ": " << r.status->describe();
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("strata-example-bookshelf: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(Serve, APortInUseIsOneSentenceAndExit1) {
  Listener taken;
  ASSERT_TRUE(taken.ok());
  RunResult r = run_command(NOTES_BIN, {"--port", std::to_string(taken.port())});
  ASSERT_TRUE(r.status) << "did not exit";
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->describe();
  EXPECT_NE(r.err.find("strata-example-notes: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(std::to_string(taken.port())), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("listening"), std::string::npos) << r.out;
}

TEST(Serve, PrintsBracketsForAnIPv6HostAndServesOnIt) {
  Served s(BOOKSHELF_BIN, {"--host", "::1", "--port", "0"});
  ASSERT_TRUE(s.error().empty()) << s.error();
  EXPECT_EQ(s.line(), "listening on http://[::1]:" + std::to_string(s.port()) + " tier=typed");
}

TEST(Serve, TheBodyLimitIsOneFlagForTheServerAndTheApp) {
  // The engine refuses a declared length over the limit; the app, reading a
  // chunked body piece by piece, stops at the same limit, and the example's
  // own default (64 MiB instead of 1 MiB) is what the flag starts from.
  {
    Served s(NOTES_BIN, {"--port", "0", "--max-body-bytes", "1000"});
    ASSERT_TRUE(s.error().empty()) << s.error();
    auto at = round_trip(s.port(), upload(1000, true));
    ASSERT_TRUE(at);
    EXPECT_EQ(at->status, 200) << at->body;
    EXPECT_NE(at->body.find("\"bytes\":1000"), std::string::npos) << at->body;
    for (bool chunked : {false, true}) {
      auto over = round_trip(s.port(), upload(3000, chunked));
      ASSERT_TRUE(over) << "chunked " << chunked;
      EXPECT_EQ(over->status, 413) << "chunked " << chunked << ": " << over->body;
    }
  }
  Served s(NOTES_BIN, {"--port", "0"});
  ASSERT_TRUE(s.error().empty()) << s.error();
  auto big = round_trip(s.port(), upload(2 << 20, true), false, 10000ms);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 200) << big->body;
}

TEST(Serve, TheAdminPortServesMetricsBesideTheApp) {
  Served s(BOOKSHELF_BIN, {"--port", "0", "--admin-port", "0"});
  ASSERT_TRUE(s.error().empty()) << s.error();
  auto line = s.process().read_stdout_line();
  ASSERT_TRUE(line);
  const std::string prefix = "admin on http://127.0.0.1:";
  ASSERT_EQ(line->rfind(prefix, 0), 0u) << *line;
  const int admin = std::atoi(line->c_str() + prefix.size());
  ASSERT_GT(admin, 0) << *line;
  EXPECT_EQ(line->substr(line->size() - 8), "/metrics") << *line;
  auto books = round_trip(s.port(), "GET /books HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(books);
  EXPECT_EQ(books->status, 200);
  auto metrics = round_trip(static_cast<uint16_t>(admin), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("strata_requests_total"), std::string::npos) << metrics->body.substr(0, 400);
}

}  // namespace
}  // namespace strata::test
