// `strata profile --syscalls`: each tier started as a real server, loaded by
// wrk and counted by perf stat, read as a user reads the output.
#include <unistd.h>

#include <regex>
#include <sstream>

#include "blackbox.hpp"

namespace strata::test {
namespace {

// The output line of `tier` over `io`, or "".
std::string line_of(const std::string& out, const std::string& tier, const std::string& io) {
  std::istringstream in(out);
  static const std::regex row(R"(^(\S+)\s+(\S+)\s+(\S+)\s+(.*)$)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row) && m[1] == tier && m[2] == io) return line;
  }
  return "";
}

// What the test needs that a machine may lack, or "".
std::string missing_tools() {
  for (const char* tool : {"wrk", "perf"})
    if (kit::find_executable(tool).empty()) return std::string(tool) + " is not installed";
  return "";
}

TEST(BlackboxProfileSyscalls, EachTierAndTransportGetsItsCount) {
  if (const std::string why = missing_tools(); !why.empty()) GTEST_SKIP() << why;
  RunResult r = run_command(kStrataBin, {"profile", "--tier", "http", "--requests", "200", "--syscalls", "--io", "both",
                                         "--syscall-seconds", "1"},
                            60000ms);
  ASSERT_TRUE(r.status && r.status->exited) << r.err;
  if (r.status->code != 0 && r.err.find("perf") != std::string::npos)
    GTEST_SKIP() << "perf cannot count here: " << r.err;
  ASSERT_EQ(r.status->code, 0) << r.err << "\n" << r.out;
  // Over libuv: one read and one write per request, plus a share of
  // epoll_wait that depends on how many connections each wait finds ready.
  const std::string libuv = line_of(r.out, "http", "libuv");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(libuv, m, std::regex(R"(http\s+libuv\s+(\d+\.\d\d)\s+(.*))"))) << r.out;
  const double per_request = std::stod(m[1]);
  EXPECT_GE(per_request, 2.0) << libuv;
  EXPECT_LT(per_request, 4.0) << libuv;
  EXPECT_NE(libuv.find("read 1.0"), std::string::npos) << libuv;
  EXPECT_NE(libuv.find("write 1.0"), std::string::npos) << libuv;
  // Over io_uring, where the kernel allows it: every request's receive and
  // send goes through the ring, so io_uring_enter is the only call named.
  // How many enters a request costs depends on how fast the server is (a
  // slow build hands its sends over early more often): a benchmark's
  // figure, not this test's.
  const std::string uring = line_of(r.out, "http", "uring");
  ASSERT_FALSE(uring.empty()) << r.out;
  if (uring.find("not counted") != std::string::npos) GTEST_SKIP() << "io_uring refused here: " << uring;
  ASSERT_TRUE(std::regex_match(uring, m, std::regex(R"(http\s+uring\s+(\d+\.\d\d)\s+io_uring_enter [0-9.]+)")))
      << uring;
  EXPECT_GT(std::stod(m[1]), 0.0) << uring;
}

TEST(BlackboxProfileSyscalls, WithoutWrkItSaysSoInOneLine) {
  kit::SpawnSpec spec;
  spec.argv = {kStrataBin, "profile", "--tier", "raw", "--requests", "200", "--syscalls"};
  spec.env = {"PATH=/nonexistent"};
  const kit::RunResult r = kit::run_to_end(spec, std::chrono::seconds(60));
  ASSERT_TRUE(r.status && r.status->exited) << r.error;
  EXPECT_EQ(r.status->code, 1) << r.err;
  EXPECT_EQ(r.err, "strata profile: --syscalls needs wrk to load the server (apt-get install wrk, or make deps)\n");
}

}  // namespace
}  // namespace strata::test
