// The command line: bad flags, help, a port already in use, --io when the
// kernel refuses io_uring.
#include <algorithm>

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "blackbox.hpp"

namespace strata::test {
namespace {

size_t count_lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

::testing::AssertionResult IsUsageError(const RunResult& r) {
  if (!r.status) return ::testing::AssertionFailure() << "did not exit within the timeout";
  if (!r.status->exited || r.status->code != 2)
    return ::testing::AssertionFailure() << "expected exit code 2, got " << r.status->describe()
                                         << "; stderr: " << printable(r.err);
  if (count_lines(r.err) != 1 || r.err.size() < 2)
    return ::testing::AssertionFailure() << "expected one line on stderr, got: " << printable(r.err);
  if (!r.out.empty()) return ::testing::AssertionFailure() << "expected nothing on stdout, got: " << printable(r.out);
  return ::testing::AssertionSuccess();
}

TEST(BlackboxCli, UnknownTierIsAUsageError) {
  RunResult r = run_command(kStrataBin, {"serve", "--tier", "nope", "--port", "0"});
  EXPECT_TRUE(IsUsageError(r));
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
}

TEST(BlackboxCli, NonNumericPortIsAUsageError) {
  EXPECT_TRUE(IsUsageError(run_command(kStrataBin, {"serve", "--port", "abc"})));
}

TEST(BlackboxCli, UnknownFlagIsAUsageError) {
  EXPECT_TRUE(IsUsageError(run_command(kStrataBin, {"serve", "--port", "0", "--no-such-flag"})));
}

TEST(BlackboxCli, OutOfRangeValuesAreUsageErrors) {
  EXPECT_TRUE(IsUsageError(run_command(kStrataBin, {"serve", "--port", "0", "--workers", "0"})));
  EXPECT_TRUE(IsUsageError(run_command(kStrataBin, {"serve", "--port", "0", "--head-timeout", "-1"})));
  EXPECT_TRUE(IsUsageError(run_command(kStrataBin, {"serve", "--port", "70000"})));
}

TEST(BlackboxCli, MissingSubcommandIsAUsageError) {
  EXPECT_TRUE(IsUsageError(run_command(kStrataBin, {})));
}

TEST(BlackboxCli, HelpExitsZeroAndMentionsServe) {
  RunResult r = run_command(kStrataBin, {"--help"});
  ASSERT_TRUE(r.status) << "did not exit";
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "; stderr: " << r.err;
  EXPECT_NE(r.out.find("serve"), std::string::npos) << r.out;
}

TEST(BlackboxCli, ServeHelpListsTheFlags) {
  RunResult r = run_command(kStrataBin, {"serve", "--help"});
  ASSERT_TRUE(r.status) << "did not exit";
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe();
  for (const char* flag : {"--tier", "--port", "--workers", "--max-head-bytes", "--max-headers", "--max-body-bytes",
                           "--head-timeout", "--idle-timeout", "--graceful-timeout"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from: " << r.out;
}

TEST(BlackboxCli, PortInUseFailsWithAMessageNamingThePort) {
  Listener busy;
  ASSERT_TRUE(busy.ok());
  const std::string port = std::to_string(busy.port());
  RunResult r = run_command(kStrataBin, {"serve", "--tier", "http", "--host", "127.0.0.1", "--port", port});
  ASSERT_TRUE(r.status) << "strata kept running on a port already in use; stdout: " << r.out;
  EXPECT_FALSE(r.status->exited && r.status->code == 0) << r.status->describe();
  EXPECT_NE(r.err.find(port), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(r.out.find("listening"), std::string::npos) << r.out;
}

RunResult run_env(std::vector<std::string> env, std::vector<std::string> args) {
  kit::SpawnSpec spec;
  spec.argv = {kStrataBin};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.env = std::move(env);
  return kit::run_to_end(spec, kDefaultTimeout);
}

TEST(BlackboxCli, IoUringRefusedFailsAtStartWithOneSentence) {
  // STRATA_IO_URING_FAIL is the ring probe's test hook: it fails as
  // io_uring_queue_init would under kernel.io_uring_disabled.
  RunResult r = run_env({"STRATA_IO_URING_FAIL=1"}, {"serve", "--io", "uring", "--host", "127.0.0.1", "--port", "0"});
  ASSERT_TRUE(r.status) << "kept running without io_uring; stdout: " << r.out;
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->describe();
  EXPECT_EQ(count_lines(r.err), 1u) << printable(r.err);
  EXPECT_NE(r.err.find("io_uring is unavailable"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// The real refusal, not the hook: io_uring_setup fails with EPERM under a
// seccomp filter, as in a container whose profile blocks io_uring.
TEST(BlackboxCli, IoUringBlockedBySeccompFailsAtStartWithOneSentence) {
  int err_pipe[2];
  ASSERT_EQ(::pipe2(err_pipe, O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(err_pipe[1], 2);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
      ::_exit(99);
    ::execl(kStrataBin.c_str(), kStrataBin.c_str(), "serve", "--io", "uring", "--host", "127.0.0.1", "--port", "0", nullptr);
    ::_exit(98);
  }
  ::close(err_pipe[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = ::read(err_pipe[0], buf, sizeof buf)) > 0;) err.append(buf, static_cast<size_t>(n));
  ::close(err_pipe[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << printable(err);
  EXPECT_EQ(count_lines(err), 1u) << printable(err);
  EXPECT_NE(err.find("io_uring is unavailable"), std::string::npos) << err;
  EXPECT_NE(err.find("EPERM"), std::string::npos) << err;
}

TEST(BlackboxCli, IoAutoFallsBackToLibuvWithANotice) {
  kit::SpawnSpec spec;
  spec.argv = {kStrataBin, "serve", "--io", "auto", "--tier", "http", "--host", "127.0.0.1", "--port", "0"};
  spec.env = {"STRATA_IO_URING_FAIL=1"};
  spec.out = kit::Output::pipe;
  spec.err = kit::Output::pipe;
  auto started = kit::start_server(spec, 10000ms);
  ASSERT_TRUE(started.child) << started.error;
  auto resp = round_trip(started.banner.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(kit::stop_server(*started.child, 5000ms), "");
  const std::string err = started.child->stderr_text();
  EXPECT_EQ(count_lines(err), 1u) << printable(err);
  EXPECT_NE(err.find("using libuv"), std::string::npos) << err;
}

}  // namespace
}  // namespace strata::test
