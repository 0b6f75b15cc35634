// The probes as a client sees them: the Server-Timing header of
// `strata serve --server-timing`, the /metrics exposition on the admin
// port, the table printed at stop, and `strata profile`.
#include <unistd.h>

#include <csignal>
#include <map>
#include <set>

#include "blackbox.hpp"
#include "probe/formats.hpp"

namespace strata::test {
namespace {

using BlackboxServerTiming = BlackboxServerTest;
using BlackboxMetrics = BlackboxServerTest;

// The phases each tier marks for POST /user, as docs/where-the-time-goes.md lists them.
const std::map<std::string, std::vector<std::string>> kTierPhases = {
    {"raw", {"parse", "app", "send"}},
    {"http", {"parse", "dispatch", "app", "send"}},
    {"app", {"parse", "dispatch", "app", "middleware", "route", "handler", "send"}},
    {"typed", {"parse", "dispatch", "app", "middleware", "route", "handler", "send"}},
};

::testing::AssertionResult HasServerTiming(const std::optional<Response>& r, const std::vector<std::string>& phases) {
  if (!r) return ::testing::AssertionFailure() << "no response";
  if (r->header_count("server-timing") != 1)
    return ::testing::AssertionFailure() << "expected exactly one Server-Timing field; " << describe(r);
  std::vector<TimingMetric> metrics;
  std::string why;
  if (!parse_server_timing(*r->header("server-timing"), metrics, why))
    return ::testing::AssertionFailure() << "malformed Server-Timing (" << why << "): " << describe(r);
  std::set<std::string> names;
  for (const auto& m : metrics) {
    if (m.dur < 0) return ::testing::AssertionFailure() << m.name << " has no dur; " << describe(r);
    if (!names.insert(m.name).second) return ::testing::AssertionFailure() << m.name << " twice; " << describe(r);
  }
  for (const auto& p : phases)
    if (!names.count(p)) return ::testing::AssertionFailure() << "no " << p << " entry; " << describe(r);
  return ::testing::AssertionSuccess();
}

class ServerTimingPerTier : public BlackboxServerTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(ServerTimingPerTier, EveryResponseNamesTheTiersPhases) {
  const std::string tier = GetParam();
  ServerProcess* s = start({"--tier", tier, "--server-timing"});
  ASSERT_TRUE(s);
  Client c(s->port());
  ASSERT_TRUE(c.ok()) << c.error();
  // Several on one connection: the phases are per request, not per connection.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(post_user()));
    auto r = c.read_response();
    ASSERT_TRUE(r) << c.last_error();
    EXPECT_EQ(r->status, 200) << describe(r);
    EXPECT_NE(r->body.find("user@email.com"), std::string::npos) << describe(r);
    EXPECT_TRUE(HasServerTiming(r, kTierPhases.at(tier))) << "request " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, ServerTimingPerTier, ::testing::Values("raw", "http", "app", "typed"));

TEST_F(BlackboxServerTiming, AbsentUnlessAskedFor) {
  for (const char* tier : {"raw", "http", "app"}) {
    ServerProcess* s = start({"--tier", tier});
    ASSERT_TRUE(s);
    auto r = round_trip(s->port(), post_user());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header_count("server-timing"), 0u) << tier << ": " << describe(r);
  }
}

TEST_F(BlackboxServerTiming, ErrorsAnsweredByTheAppCarryItToo) {
  ServerProcess* s = start({"--tier", "app", "--server-timing"});
  ASSERT_TRUE(s);
  auto r = round_trip(s->port(), get("/no/such/route"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(HasServerTiming(r, {"parse", "dispatch", "middleware", "route", "send"}));
}

// Reads the "admin on http://HOST:PORT/metrics" line that follows the banner.
uint16_t admin_port(ServerProcess& s) {
  auto line = s.process().read_stdout_line();
  if (!line) return 0;
  const std::string prefix = "admin on http://127.0.0.1:";
  if (line->rfind(prefix, 0) != 0 || line->size() < prefix.size() + 9 ||
      line->compare(line->size() - 8, 8, "/metrics") != 0) {
    ADD_FAILURE() << "unexpected admin line: " << *line;
    return 0;
  }
  return static_cast<uint16_t>(std::stoul(line->substr(prefix.size())));
}

::testing::AssertionResult Scrape(uint16_t port, std::map<std::string, double>& samples) {
  auto r = round_trip(port, get("/metrics"));
  if (!r || r->status != 200) return ::testing::AssertionFailure() << "GET /metrics: " << describe(r);
  if (r->header("content-type").value_or("").rfind("text/plain; version=0.0.4", 0) != 0)
    return ::testing::AssertionFailure() << "not the text exposition format: " << describe(r);
  std::string why;
  samples.clear();
  if (!parse_prometheus(r->body, samples, why)) return ::testing::AssertionFailure() << why << "\n" << r->body;
  return ::testing::AssertionSuccess();
}

TEST_F(BlackboxMetrics, CountsTheRequestsSentAndParses) {
  for (const char* tier : {"raw", "http", "app", "typed"}) {
    ServerProcess* s = start({"--tier", tier, "--admin-port", "0"});
    ASSERT_TRUE(s);
    const uint16_t admin = admin_port(*s);
    ASSERT_NE(admin, 0);
    ASSERT_NE(admin, s->port());
    std::map<std::string, double> samples;
    ASSERT_TRUE(Scrape(admin, samples)) << tier;
    EXPECT_EQ(samples["strata_requests_total"], 0) << tier;
    Client c(s->port());
    ASSERT_TRUE(c.ok());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(c.send(post_user()));
      ASSERT_TRUE(c.read_response()) << c.last_error();
    }
    // Scrapes do not count themselves.
    ASSERT_TRUE(Scrape(admin, samples)) << tier;
    ASSERT_TRUE(Scrape(admin, samples)) << tier;
    EXPECT_EQ(samples["strata_requests_total"], 5) << tier;
    for (const auto& p : kTierPhases.at(tier)) {
      EXPECT_EQ(samples["strata_phase_seconds_count{phase=\"" + p + "\"}"], 5) << tier << " " << p;
      EXPECT_TRUE(samples.count("strata_phase_seconds{phase=\"" + p + "\",quantile=\"0.99\"}")) << tier << " " << p;
    }
    // At least one write carried the five responses.
    EXPECT_GE(samples["strata_phase_seconds_count{phase=\"write\"}"], 1) << tier;
  }
}

TEST_F(BlackboxMetrics, OnlyOnTheAdminPort) {
  ServerProcess* s = start({"--tier", "app", "--admin-port", "0"});
  ASSERT_TRUE(s);
  const uint16_t admin = admin_port(*s);
  ASSERT_NE(admin, 0);
  auto app_side = round_trip(s->port(), get("/metrics"));
  ASSERT_TRUE(app_side);
  EXPECT_EQ(app_side->status, 404) << describe(app_side);
  auto elsewhere = round_trip(admin, get("/user"));
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->status, 404) << describe(elsewhere);
}

TEST_F(BlackboxMetrics, TheStopTablePrintsEachPhase) {
  SpawnOptions o;
  o.capture_stderr = true;
  ServerProcess* s = start({"--tier", "app", "--probes"}, o);
  ASSERT_TRUE(s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
  stopped_by_test_ = true;
  ASSERT_TRUE(s->send_signal(SIGTERM));
  std::string out, err;
  s->process().read_outputs_until_eof(out, err);
  auto st = s->wait_exit();
  ASSERT_TRUE(st && st->exited && st->code == 0) << (st ? st->describe() : "still running");
  EXPECT_NE(err.find("requests: 3"), std::string::npos) << err;
  for (const auto& p : kTierPhases.at("app")) EXPECT_NE(err.find("\n" + p + " "), std::string::npos) << p << "\n" << err;
}

TEST_F(BlackboxMetrics, NoTableWithoutProbes) {
  SpawnOptions o;
  o.capture_stderr = true;
  ServerProcess* s = start({"--tier", "http"}, o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(IsUserOk(round_trip(s->port(), post_user())));
  stopped_by_test_ = true;
  ASSERT_TRUE(s->send_signal(SIGTERM));
  std::string out, err;
  s->process().read_outputs_until_eof(out, err);
  ASSERT_TRUE(s->wait_exit());
  EXPECT_EQ(err.find("phase"), std::string::npos) << err;
}

// ------------------------------------------------------------ strata profile

TEST(BlackboxProfile, EveryTierPrintsARowPerPhase) {
  RunResult r = run_command(kStrataBin, {"profile", "--tier", "all", "--requests", "1000"}, 50000ms);
  ASSERT_TRUE(r.status) << "did not finish";
  ASSERT_TRUE(r.status->exited && r.status->code == 0) << r.status->describe() << "\n" << r.err;
  for (const auto& [tier, phases] : kTierPhases) {
    const size_t at = r.out.find("tier " + tier + ":");
    ASSERT_NE(at, std::string::npos) << tier << "\n" << r.out;
    const size_t end = r.out.find("\n\n", at);
    const std::string section = r.out.substr(at, end - at);
    for (const auto& p : phases) EXPECT_NE(section.find("\n  " + p + " "), std::string::npos) << tier << " " << p << "\n" << section;
  }
}

TEST(BlackboxProfile, OneTierAndTheHelloScenario) {
  RunResult r = run_command(kStrataBin, {"profile", "--tier", "raw", "--scenario", "hello", "--requests", "1000"}, 30000ms);
  ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << r.err;
  EXPECT_NE(r.out.find("tier raw:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("tier http:"), std::string::npos) << r.out;
}

TEST(BlackboxProfile, BadArgumentsAreUsageErrors) {
  RunResult r = run_command(kStrataBin, {"profile", "--tier", "nope"});
  ASSERT_TRUE(r.status);
  EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->describe();
  RunResult both = run_command(kStrataBin, {"profile", "--instructions", "--instructions-total"});
  ASSERT_TRUE(both.status);
  EXPECT_TRUE(both.status->exited && both.status->code == 2) << both.status->describe();
  EXPECT_NE(both.err.find("--instructions excludes --instructions-total"), std::string::npos) << both.err;
}

// The instruction section of `strata profile --instructions` output.
std::string instruction_section(const std::string& out) {
  const size_t at = out.find("instructions per request");
  return at == std::string::npos ? "" : out.substr(at);
}

TEST(BlackboxProfile, InstructionCountsRepeatExactly) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "valgrind cannot run a sanitized binary";
#endif
  if (::access("/usr/bin/valgrind", X_OK) != 0) GTEST_SKIP() << "valgrind is not installed";
  const std::vector<std::string> args = {"profile", "--tier", "http", "--requests", "1000", "--instructions",
                                         "--instruction-requests", "200"};
  RunResult a = run_command(kStrataBin, args, 55000ms);
  ASSERT_TRUE(a.status && a.status->exited && a.status->code == 0) << a.err;
  RunResult b = run_command(kStrataBin, args, 55000ms);
  ASSERT_TRUE(b.status && b.status->exited && b.status->code == 0) << b.err;
  const std::string sa = instruction_section(a.out), sb = instruction_section(b.out);
  ASSERT_NE(sa.find("tier http:"), std::string::npos) << a.out;
  for (const char* p : {"parse", "dispatch", "app", "send"}) EXPECT_NE(sa.find(std::string("\n  ") + p + " "), std::string::npos) << p << "\n" << sa;
  EXPECT_EQ(sa, sb);

  // --instructions-total: the same total from its one callgrind run per
  // tier, and no phase table.
  std::vector<std::string> total_args = args;
  total_args[5] = "--instructions-total";
  RunResult t = run_command(kStrataBin, total_args, 55000ms);
  ASSERT_TRUE(t.status && t.status->exited && t.status->code == 0) << t.err;
  const std::string st = instruction_section(t.out);
  auto tier_line = [](const std::string& s) {
    const size_t at = s.find("tier http: ");
    return at == std::string::npos ? std::string() : s.substr(at, s.find('\n', at) - at);
  };
  ASSERT_NE(tier_line(st), "") << t.out;
  EXPECT_EQ(tier_line(st), tier_line(sa));
  EXPECT_EQ(st.find("\n  parse "), std::string::npos) << st;
  EXPECT_EQ(st.find("each phase"), std::string::npos) << st;
}

}  // namespace
}  // namespace strata::test
