// The kit's child processes and servers: how a start fails is said in one
// line, nothing is left running, and a real `strata serve` is started,
// spoken to and stopped with the kit alone.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "kit/http.hpp"
#include "kit/process.hpp"
#include "kit/server.hpp"

namespace strata::kit {
namespace {

using namespace std::chrono_literals;

SpawnSpec shell(const std::string& script, Output out = Output::file) {
  SpawnSpec s;
  s.argv = {"/bin/sh", "-c", script};
  s.out = out;
  return s;
}

// Running, not merely not yet reaped: a killed grandchild stays a zombie
// until whoever inherited it reaps it.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

TEST(KitBanner, ParsesAndFormats) {
  auto b = parse_banner("listening on http://127.0.0.1:40123 tier=raw\n");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 40123);
  EXPECT_EQ(b->tier, "raw");
  EXPECT_EQ(format_banner(*b), "listening on http://127.0.0.1:40123 tier=raw");
  auto v6 = parse_banner("listening on http://[::1]:8000 tier=http");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8000);
  EXPECT_EQ(format_banner(*v6), "listening on http://[::1]:8000 tier=http");
  for (const char* bad : {"listening on http://127.0.0.1:0 tier=raw", "listening on http://127.0.0.1:80",
                          "listening on http://127.0.0.1:80 tier=", "listening on http://:80 tier=raw",
                          "listening on http://[::1:80 tier=raw", "listening on http://::1:80 tier=raw",
                          "listening on http://h:65536 tier=raw", "listening on http://h:8x tier=raw",
                          "Server running on http://0.0.0.0:8000", ""})
    EXPECT_FALSE(parse_banner(bad)) << bad;
}

TEST(KitChild, RunsToTheEndWithItsOutputs) {
  auto r = run_to_end(shell("echo out; echo err >&2; exit 3"), 5s);
  ASSERT_TRUE(r.status) << r.error;
  EXPECT_TRUE(r.status->exited);
  EXPECT_EQ(r.status->code, 3);
  EXPECT_EQ(r.status->describe(), "exit 3");
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(KitChild, AMissingProgramIsASpawnError) {
  std::string error;
  SpawnSpec s;
  s.argv = {"/nonexistent/strata-kit-test"};
  EXPECT_FALSE(Child::spawn(s, error));
  EXPECT_NE(error.find("cannot run /nonexistent/strata-kit-test"), std::string::npos) << error;
}

TEST(KitChild, EnvironmentAndWorkingDirectory) {
  SpawnSpec s = shell("echo \"$KIT_TEST_VALUE $(pwd)\"");
  s.env = {"KIT_TEST_VALUE=seen"};
  s.cwd = "/";
  auto r = run_to_end(s, 5s);
  EXPECT_EQ(r.out, "seen /\n");
}

TEST(KitChild, TimeoutKillsTheWholeGroup) {
  // The grandchild must die too: it is in the child's process group.
  auto r = run_to_end(shell("sleep 30 & echo $!; wait"), 300ms);
  EXPECT_FALSE(r.status);
  const pid_t grandchild = static_cast<pid_t>(std::stol(r.out));
  for (int i = 0; i < 100 && alive(grandchild); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(alive(grandchild));
}

TEST(KitChild, WaitWakesWhenTheChildEnds) {
  std::string error;
  auto c = Child::spawn(shell("sleep 0.05"), error);
  ASSERT_TRUE(c) << error;
  const auto t0 = std::chrono::steady_clock::now();
  auto st = c->wait_exit(5s);
  ASSERT_TRUE(st);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_FALSE(c->running());
  EXPECT_EQ(c->describe_exit(), "exit 0");
}

TEST(KitChild, GiveUpEndsAWait) {
  std::string error;
  auto c = Child::spawn(shell("sleep 30"), error);
  ASSERT_TRUE(c) << error;
  int asked = 0;
  EXPECT_FALSE(c->wait_exit(10s, [&] { return ++asked > 1; }));
  EXPECT_TRUE(c->running());
  c->kill_and_reap();
  ASSERT_TRUE(c->status());
  EXPECT_EQ(c->status()->signal, SIGKILL);
}

TEST(KitChild, LinesFromAPipeAndAFile) {
  for (Output mode : {Output::pipe, Output::file}) {
    std::string error;
    auto c = Child::spawn(shell("echo one; sleep 0.05; printf 'two\\nthree'", mode), error);
    ASSERT_TRUE(c) << error;
    EXPECT_EQ(c->read_stdout_line(5s), "one");
    EXPECT_EQ(c->read_stdout_line(5s), "two");
    EXPECT_FALSE(c->read_stdout_line(5s));  // "three" has no end of line
    std::string out, err;
    c->read_outputs_until_eof(out, err, 5s);
    EXPECT_EQ(out, "three");
    EXPECT_EQ(c->stdout_text(), "one\ntwo\nthree");
  }
}

// A pipe nobody reads would block this child; a file never does.
TEST(KitChild, AFileNeverBlocksAChattyChild) {
  auto r = run_to_end(shell("head -c 1000000 /dev/zero"), 10s);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.out.size(), 1000000u);
}

// ------------------------------------------------------------------ start_server

TEST(KitStart, SomethingElseFirstIsNamed) {
  auto r = start_server(shell("echo 'Server running on port 8000'; sleep 30"), 5s);
  EXPECT_FALSE(r.child);
  EXPECT_EQ(r.error, "printed 'Server running on port 8000' instead of 'listening on http://HOST:PORT tier=T'");
}

TEST(KitStart, AnEarlyExitGivesItsStatusAndLastStderrLine) {
  auto r = start_server(shell("echo first >&2; echo 'bad flag' >&2; exit 2"), 5s);
  EXPECT_FALSE(r.child);
  EXPECT_TRUE(r.exited_early);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.error, "exited (exit 2) before listening: bad flag");
}

TEST(KitStart, SilenceTimesOut) {
  auto r = start_server(shell("echo waiting >&2; exec sleep 30"), 1s);
  EXPECT_FALSE(r.child);
  EXPECT_FALSE(r.exited_early);
  EXPECT_EQ(r.error, "printed no 'listening on' line within 1 s (stderr: waiting)");
}

TEST(KitStart, GiveUpSaysInterrupted) {
  auto r = start_server(shell("exec sleep 30", Output::pipe), 10s, [] { return true; });
  EXPECT_FALSE(r.child);
  EXPECT_EQ(r.error, "interrupted");
}

TEST(KitStart, StopNotesAServerThatIgnoresTheSignal) {
  auto r = start_server(shell("trap '' INT; echo 'listening on http://127.0.0.1:1 tier=t'; exec sleep 30"), 5s);
  ASSERT_TRUE(r.child) << r.error;
  EXPECT_EQ(r.banner.tier, "t");
  const pid_t pid = r.child->pid();
  EXPECT_EQ(stop_server(*r.child, 300ms), "did not exit within 0 s of SIGINT; killed");
  EXPECT_FALSE(alive(pid));
}

// ------------------------------------------------------------------ a real server

class KitAgainstStrata : public ::testing::TestWithParam<Output> {};

TEST_P(KitAgainstStrata, StartsAsksAndStops) {
  SpawnSpec spec;
  spec.argv = {STRATA_BIN, "serve", "--tier", "http", "--host", "127.0.0.1", "--port", "0"};
  spec.out = GetParam();
  // A sanitizer build starts slowly.
  auto s = start_server(spec, 20s);
  ASSERT_TRUE(s.child) << s.error;
  EXPECT_EQ(s.banner.host, "127.0.0.1");
  EXPECT_EQ(s.banner.tier, "http");
  EXPECT_EQ(format_banner(s.banner), s.banner_line);

  Client c(s.banner.port);
  ASSERT_TRUE(c.ok()) << c.error();
  // Two pipelined requests, the second a HEAD: its Content-Length has no body.
  ASSERT_TRUE(c.send("GET /index?name=kit HTTP/1.1\r\nHost: x\r\n\r\nHEAD /index?name=kit HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto get = c.read_response();
  ASSERT_TRUE(get) << c.last_error();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "Hello kit");
  auto head = c.read_response(true);
  ASSERT_TRUE(head) << c.last_error();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), std::to_string(get->body.size()));
  EXPECT_TRUE(head->body.empty());
  EXPECT_TRUE(c.buffered().empty());

  auto one = round_trip(s.banner.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->body, "Hello ASGI World!");

  EXPECT_EQ(stop_server(*s.child, 5s), "");
  EXPECT_EQ(s.child->describe_exit(), "exit 0");
}

INSTANTIATE_TEST_SUITE_P(OutputIn, KitAgainstStrata, ::testing::Values(Output::pipe, Output::file),
                         [](const auto& param_info) { return param_info.param == Output::pipe ? "Pipe" : "File"; });

TEST(KitStrataStart, RefusedArgumentsExitEarlyWithStatus2) {
  SpawnSpec spec;
  spec.argv = {STRATA_BIN, "serve", "--tier", "no-such-tier", "--port", "0"};
  auto s = start_server(spec, 20s);
  EXPECT_FALSE(s.child);
  EXPECT_TRUE(s.exited_early);
  EXPECT_EQ(s.exit_code, 2) << s.error;
  EXPECT_NE(s.error.find("before listening"), std::string::npos) << s.error;
}

}  // namespace
}  // namespace strata::kit
