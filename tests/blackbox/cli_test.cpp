// The command line: bad flags, help, a port already in use.
#include <algorithm>

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

}  // namespace
}  // namespace strata::test
