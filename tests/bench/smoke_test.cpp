// Black-box tests of `strata bench`: a short real run (raw and http, 1 s,
// one trial) must produce the table, the JSON and the chart; so must seed
// 004's concurrency scenario against the typed tier, with its closing
// table; bad input must end with one line and a non-zero exit; and no
// server may outlive the run.
// Nothing here asserts a timing or a rate beyond "some requests were served".
//
// The test process makes itself a child subreaper, so any server the
// harness leaves behind is re-parented to it and found in /proc.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness/check.hpp"
#include "harness/process.hpp"
#include "harness/scenario.hpp"
#include "kit/http.hpp"

namespace strata::bench {
namespace {

using namespace std::chrono_literals;

struct Ran {
  bool finished = false;
  int code = -1;
  std::string out, err;
};

Ran run(const std::string& bin, const std::vector<std::string>& args, Millis timeout = 90s) {
  SpawnSpec spec;
  spec.argv = {bin};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto ran = kit::run_to_end(spec, timeout);
  Ran r;
  if (!ran.error.empty()) {
    r.err = ran.error;
    return r;
  }
  r.finished = ran.status.has_value();
  r.code = r.finished && ran.status->exited ? ran.status->code : -1;
  r.out = std::move(ran.out);
  r.err = std::move(ran.err);
  return r;
}

// `strata bench`, measuring the strata binary it belongs to.
// The instruction pass (strata profile under callgrind) is asked for by
// the one test that checks it.
Ran run_bench(std::vector<std::string> args, Millis timeout = 90s) {
  args.insert(args.begin(), "bench");
  if (std::find(args.begin(), args.end(), "--instructions-wanted") == args.end()) args.push_back("--no-instructions");
  else args.erase(std::find(args.begin(), args.end(), "--instructions-wanted"));
  return run(STRATA_BIN, args, timeout);
}

size_t lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Processes re-parented to this (subreaper) test process and still alive:
// servers the harness left behind. Zombies are reaped on the way.
std::vector<std::string> survivors() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  std::vector<std::string> found;
  DIR* d = opendir("/proc");
  if (!d) return found;
  const std::string me = std::to_string(getpid());
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string stat = slurp(std::string("/proc/") + e->d_name + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me && state != "Z") found.push_back(std::string(e->d_name) + " " + stat.substr(0, close + 1));
  }
  closedir(d);
  return found;
}

class BenchSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    char tmpl[] = "/tmp/strata-bench-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    auto left = survivors();
    for (const auto& s : left) ::kill(std::atoi(s.c_str()), SIGKILL);
    EXPECT_TRUE(left.empty()) << "processes left behind: " << (left.empty() ? "" : left.front());
    for (const char* f : {"/out.json", "/out.svg", "/out.md"}) unlink((dir_ + f).c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(BenchSmoke, RawAndHttpProduceTheTableJsonAndChart) {
  const std::string json = dir_ + "/out.json", svg = dir_ + "/out.svg", md = dir_ + "/out.md";
  Ran r = run_bench({"--duration", "1", "--warmup", "0", "--trials", "1", "--tiers", "raw,http", "--json", json,
                     "--chart", svg, "--markdown", md});
  ASSERT_TRUE(r.finished) << r.err;
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;

  // The table, in the seed's format widened with CPU per request.
  EXPECT_NE(r.out.find("| row | req/s | decay % | CPU us/req | CPU decay % | user/sys us | syscalls/req | instr/req | p50 | p99 | server CPU | notes |"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("| strata raw"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| strata http"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(- 100%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| asyncio | 104,380 | (- 100%) |"), std::string::npos) << r.out;  // published, beside
  EXPECT_EQ(slurp(md), r.out);
  // A progress line per measured run went to stderr, not stdout.
  EXPECT_NE(r.err.find("measuring"), std::string::npos) << r.err;

  // The JSON: settings, machine, versions and every raw figure.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = slurp(json);
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  int64_t duration = 0, trials = 0, cores = 0;
  EXPECT_EQ(doc["settings"]["duration_s"].get(duration), simdjson::SUCCESS);
  EXPECT_EQ(duration, 1);
  EXPECT_EQ(doc["settings"]["trials"].get(trials), simdjson::SUCCESS);
  EXPECT_EQ(trials, 1);
  EXPECT_EQ(doc["machine"]["cores"].get(cores), simdjson::SUCCESS);
  EXPECT_GE(cores, 1);
  std::string_view strata_version, wrk_version, model;
  EXPECT_EQ(doc["versions"]["strata"].get(strata_version), simdjson::SUCCESS);
  EXPECT_EQ(strata_version.substr(0, 7), "strata ");
  EXPECT_EQ(doc["versions"]["wrk"].get(wrk_version), simdjson::SUCCESS);
  EXPECT_FALSE(wrk_version.empty());
  EXPECT_EQ(doc["machine"]["cpu_model"].get(model), simdjson::SUCCESS);
  simdjson::dom::array rows;
  ASSERT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  ASSERT_EQ(rows.size(), 2u);
  const char* ids[] = {"strata/raw", "strata/http"};
  size_t i = 0;
  for (simdjson::dom::element row : rows) {
    std::string_view id;
    bool available = false, valid = false;
    EXPECT_EQ(row["id"].get(id), simdjson::SUCCESS);
    EXPECT_EQ(id, ids[i++]);
    EXPECT_EQ(row["available"].get(available), simdjson::SUCCESS);
    EXPECT_TRUE(available);
    EXPECT_EQ(row["valid"].get(valid), simdjson::SUCCESS);
    EXPECT_TRUE(valid);
    simdjson::dom::element t = row["trials"].at(0);
    int64_t requests = 0, before = 0, after = 0;
    double rps = 0, cpu = -1;
    EXPECT_EQ(t["requests"].get(requests), simdjson::SUCCESS);
    EXPECT_GT(requests, 0);
    EXPECT_EQ(t["rps"].get(rps), simdjson::SUCCESS);
    EXPECT_GT(rps, 0);
    EXPECT_EQ(t["cpu_ticks_before"].get(before), simdjson::SUCCESS);
    EXPECT_EQ(t["cpu_ticks_after"].get(after), simdjson::SUCCESS);
    EXPECT_GE(after, before);
    EXPECT_EQ(t["cpu_us_per_request"].get(cpu), simdjson::SUCCESS);
    EXPECT_GE(cpu, 0);
    // The counting pass: counts, or the sentence saying why there are none
    // (no perf on this machine, or no permission to count).
    simdjson::dom::element counts;
    if (row["syscalls"].get(counts) == simdjson::SUCCESS && !counts.is_null()) {
      int64_t counted = 0, total = 0, reads = -1;
      EXPECT_EQ(counts["requests"].get(counted), simdjson::SUCCESS);
      EXPECT_GT(counted, 0);
      EXPECT_EQ(counts["total"].get(total), simdjson::SUCCESS);
      // Every request is read from its socket at least once.
      EXPECT_EQ(counts["by_name"]["read"].get(reads), simdjson::SUCCESS);
      EXPECT_GE(reads, counted) << id;
      EXPECT_GE(total, reads);
    } else {
      std::string_view why;
      EXPECT_EQ(row["syscalls_note"].get(why), simdjson::SUCCESS) << id;
      EXPECT_FALSE(why.empty());
    }
  }

  // The chart: a well-formed SVG with a req/s bar and a CPU bar per row.
  const std::string chart = slurp(svg);
  EXPECT_EQ(chart.rfind("<svg", 0), 0u) << chart.substr(0, 80);
  std::string trimmed = chart;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
  EXPECT_GE(trimmed.size(), 6u);
  EXPECT_EQ(trimmed.substr(trimmed.size() - 6), "</svg>");
  EXPECT_EQ(count(chart, "class=\"bar rps\""), 2u);
  EXPECT_EQ(count(chart, "class=\"bar cpu\""), 2u);
  EXPECT_EQ(count(chart, "<svg"), 1u);
}

// Seed 002's scenario: GET / unpipelined, wrk's threads and the workers
// from the command line, and the seed's columns after the main table.
TEST_F(BenchSmoke, RootScenarioPrintsSeed002sTable) {
  const std::string json = dir_ + "/out.json";
  Ran r = run_bench({"--scenario", "root", "--duration", "1", "--warmup", "0", "--trials", "1", "--tiers", "raw,http",
                     "--workers", "2", "--wrk-threads", "2", "--no-syscalls", "--json", json});
  ASSERT_TRUE(r.finished) << r.err;
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  EXPECT_NE(r.out.find("### Seed 002's table: 10 connections, 2 wrk threads, 2 workers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| strata http: llhttp, ASGI-like app | "), std::string::npos) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = slurp(json);
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  for (simdjson::dom::element row : doc["rows"].get_array()) {
    double bytes = 0, max = 0, avg = 0;
    EXPECT_EQ(row["trials"].at(0)["bytes_read"].get(bytes), simdjson::SUCCESS);
    EXPECT_GT(bytes, 0);
    EXPECT_EQ(row["trials"].at(0)["latency_max_us"].get(max), simdjson::SUCCESS);
    EXPECT_EQ(row["trials"].at(0)["latency_avg_us"].get(avg), simdjson::SUCCESS);
    EXPECT_GE(max, avg);
  }
  int64_t threads = 0;
  EXPECT_EQ(doc["settings"]["wrk_threads"].get(threads), simdjson::SUCCESS);
  EXPECT_EQ(threads, 2);
}

TEST_F(BenchSmoke, WorkersOutOfRangeIsOneSentenceAndExit2) {
  Ran r = run_bench({"--workers", "0", "--tiers", "raw", "--duration", "1", "--warmup", "0"}, 30s);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--workers must be from 1 to 64"), std::string::npos) << r.err;
}

// Beside the wire figures, each strata row's instructions per request as
// `strata profile --instructions` counts them; the floor has none.
TEST_F(BenchSmoke, StrataRowsCarryTheirInstructionsPerRequest) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "valgrind cannot run a sanitized binary";
#endif
  if (::access("/usr/bin/valgrind", X_OK) != 0) GTEST_SKIP() << "valgrind is not installed";
  const std::string json = dir_ + "/out.json";
  Ran r = run_bench({"--instructions-wanted", "--duration", "1", "--warmup", "0", "--trials", "1", "--tiers",
                     "floor,raw", "--no-syscalls", "--json", json},
                    180s);
  ASSERT_TRUE(r.finished) << r.err;
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = slurp(json);
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  EXPECT_TRUE(doc["rows"].at(0)["instructions_per_request"].is_null());
  double raw = 0;
  ASSERT_EQ(doc["rows"].at(1)["instructions_per_request"].get(raw), simdjson::SUCCESS) << text;
  // The raw tier's loop, framing and reply: thousands, not tens or millions.
  EXPECT_GT(raw, 1000);
  EXPECT_LT(raw, 100000);
}

TEST_F(BenchSmoke, ConcurrencyRunsSeed004sRoutesWithDelayAndWork) {
  const std::string json = dir_ + "/out.json", md = dir_ + "/out.md";
  // Short sleeps and loops: seven 1 s rows, and the blocked loop's backlog
  // (100 connections x 10 ms) drains in about a second.
  Ran r = run_bench({"--scenario", "concurrency", "--duration", "1", "--warmup", "0", "--trials", "1", "--delay",
                     "0.01", "--work", "1000", "--no-syscalls", "--json", json, "--markdown", md},
                    110s);
  ASSERT_TRUE(r.finished) << r.err;
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;

  EXPECT_NE(r.out.find("Sleeping handlers get ?delay=0.01 (seconds), counting handlers ?n=1000."), std::string::npos)
      << r.out;
  // The normal report first, then seed 004's table, one line per route in the seed's order.
  const size_t routes_table = r.out.find("### Routes");
  const size_t seed_table = r.out.find("### Seed 004's table");
  ASSERT_NE(routes_table, std::string::npos) << r.out;
  ASSERT_NE(seed_table, std::string::npos) << r.out;
  EXPECT_LT(routes_table, seed_table);
  EXPECT_NE(r.out.find("| route | what it does | wait runs on | strata req/s | p50 | p99 |\n", seed_table),
            std::string::npos)
      << r.out;
  const auto routes = concurrency_routes(Load{0.01, 1000});
  ASSERT_EQ(routes.size(), 11u);
  size_t last = seed_table;
  for (const auto& route : routes) {
    if (!route.framework.empty()) {
      // Flask's and Go's routes need --reference python and --peers go: no row, no line.
      EXPECT_EQ(r.out.find(route.target), std::string::npos) << route.target;
      continue;
    }
    const std::string line = "| " + route.target + " | " + route.what + " | " + route.waits_on + " | ";
    const size_t at = r.out.find(line, last);
    EXPECT_NE(at, std::string::npos) << line << "\n" << r.out;
    if (at != std::string::npos) last = at;
  }
  // No Python in this run, and not the seed's settings: neither set of FastAPI figures.
  EXPECT_EQ(r.out.find("FastAPI req/s"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(md), r.out);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = slurp(json);
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  std::string_view scenario;
  double delay = 0;
  int64_t work = 0, connections = 0;
  EXPECT_EQ(doc["settings"]["scenario"].get(scenario), simdjson::SUCCESS);
  EXPECT_EQ(scenario, "concurrency");
  EXPECT_EQ(doc["settings"]["delay_s"].get(delay), simdjson::SUCCESS) << text;
  EXPECT_DOUBLE_EQ(delay, 0.01);
  EXPECT_EQ(doc["settings"]["work"].get(work), simdjson::SUCCESS) << text;
  EXPECT_EQ(work, 1000);
  EXPECT_EQ(doc["settings"]["connections"].get(connections), simdjson::SUCCESS);
  EXPECT_EQ(connections, 100);
  simdjson::dom::array rows;
  ASSERT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  ASSERT_EQ(rows.size(), 7u);  // the typed tier's: FastAPI's seven routes, in the seed's order
  size_t i = 0;
  for (simdjson::dom::element row : rows) {
    std::string_view id, target;
    bool valid = false;
    int64_t requests = 0;
    EXPECT_EQ(row["id"].get(id), simdjson::SUCCESS);
    EXPECT_EQ(id, "strata/typed");
    EXPECT_EQ(row["target"].get(target), simdjson::SUCCESS);
    EXPECT_EQ(target, routes[i++].target);
    EXPECT_EQ(row["valid"].get(valid), simdjson::SUCCESS);
    EXPECT_TRUE(valid) << target;
    EXPECT_EQ(row["trials"].at(0)["requests"].get(requests), simdjson::SUCCESS);
    EXPECT_GT(requests, 0) << target;
  }
}

TEST_F(BenchSmoke, OutOfRangeDelayOrWorkIsOneSentenceAndExit2) {
  // Checked before any server starts: the same answer with or without the typed tier.
  for (const char* delay : {"61", "-0.5", "nan"}) {
    Ran r = run_bench({"--scenario", "concurrency", "--delay", delay, "--duration", "1", "--warmup", "0"}, 30s);
    ASSERT_TRUE(r.finished);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_NE(r.err.find(std::string("--delay ") + delay + " is out of range: the handlers sleep 0 to 60 seconds"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  Ran r = run_bench({"--scenario", "concurrency", "--work", "1000000001", "--duration", "1", "--warmup", "0"}, 30s);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("--work 1000000001 is out of range: the handlers count 0 to 1000000000"), std::string::npos)
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(BenchSmoke, UnknownScenarioIsOneLineAndExit2) {
  Ran r = run_bench({"--scenario", "nope", "--duration", "1", "--warmup", "0", "--trials", "1"}, 30s);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(BenchSmoke, UnknownTierIsOneLineAndExit2) {
  Ran r = run_bench({"--tiers", "raw,bogus", "--duration", "1", "--warmup", "0", "--trials", "1"}, 30s);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.err;
}

TEST_F(BenchSmoke, MissingWrkIsOneLine) {
  Ran r = run_bench({"--wrk", "/nonexistent/wrk", "--tiers", "raw", "--duration", "1", "--warmup", "0"}, 30s);
  ASSERT_TRUE(r.finished);
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("wrk"), std::string::npos) << r.err;
}

TEST_F(BenchSmoke, ConcurrencyWithoutTypedTierSaysSoAndExits2) {
  // A strata build without the typed tier (measured with --strata-binary):
  // its CLI rejects the tier with exit 2, as CLI11 does for an unknown choice.
  const std::string old_strata = dir_ + "/old-strata";
  {
    std::FILE* f = std::fopen(old_strata.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("#!/bin/sh\necho '--tier: typed not in {raw,http,app}' >&2\nexit 2\n", f);
    std::fclose(f);
    ASSERT_EQ(chmod(old_strata.c_str(), 0755), 0);
  }
  Ran r = run_bench({"--scenario", "concurrency", "--duration", "1", "--warmup", "0", "--trials", "1",
                     "--strata-binary", old_strata},
                    60s);
  unlink(old_strata.c_str());
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("typed"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(BenchSmoke, PortInUseIsOneLineAndNoServerLeft) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  Ran r = run_bench({"--port", port, "--tiers", "raw", "--duration", "1", "--warmup", "0", "--trials", "1"}, 60s);
  close(fd);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("did not start"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(BenchSmoke, WrongAnswerIsOneLineAndNoServerLeft) {
  Ran r = run_bench({"--floor-binary", WRONG_SERVER_BIN, "--tiers", "floor,raw", "--duration", "1", "--warmup", "0",
                     "--trials", "1"},
                    60s);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("answers wrongly"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrong"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// --io both: each strata row on libuv then on io_uring, the floor with its
// io_uring twin, the io_uring rows as a chain of their own.
TEST_F(BenchSmoke, IoBothRunsEachRowOnBothTransports) {
  const std::string json = dir_ + "/out.json";
  // --no-syscalls here and below: the counting pass, a run of its own per
  // row, is checked by RawAndHttpProduceTheTableJsonAndChart; here it would
  // double a test that runs one at a time (RUN_SERIAL).
  Ran r = run_bench({"--duration", "1", "--warmup", "0", "--trials", "1", "--tiers", "floor,raw", "--io", "both",
                     "--no-syscalls", "--json", json});
  ASSERT_TRUE(r.finished) << r.err;
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  EXPECT_NE(r.out.find("### strata over io_uring"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| floor: C io_uring loop, fixed reply"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| strata raw over io_uring"), std::string::npos) << r.out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = slurp(json);
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  simdjson::dom::array rows;
  ASSERT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  std::vector<std::string> ids, chains;
  for (simdjson::dom::element row : rows) {
    std::string_view id, chain;
    bool valid = false;
    EXPECT_EQ(row["id"].get(id), simdjson::SUCCESS);
    EXPECT_EQ(row["chain"].get(chain), simdjson::SUCCESS);
    EXPECT_EQ(row["valid"].get(valid), simdjson::SUCCESS);
    EXPECT_TRUE(valid) << id;
    ids.emplace_back(id);
    chains.emplace_back(chain);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"floor", "floor-uring", "strata/raw", "strata-uring/raw"}));
  EXPECT_EQ(chains, (std::vector<std::string>{"strata", "strata-uring", "strata", "strata-uring"}));
}

// Both floors answer with exactly the bytes of the strata raw tier.
TEST_F(BenchSmoke, FloorAnswersTheRawTiersBytes) {
  auto exchange = [](uint16_t port, const std::string& request) {
    kit::Client c(port);
    if (!c.ok() || !c.send(request)) return std::string();
    const auto r = c.read_response();
    return r ? r->raw : c.take_buffered();
  };
  SpawnSpec floor_spec, floor_uring_spec, raw_spec;
  floor_spec.argv = {STRATA_FLOOR_BIN, "--port", "0"};
  floor_uring_spec.argv = {STRATA_FLOOR_URING_BIN, "--port", "0"};
  raw_spec.argv = {STRATA_BIN, "serve", "--tier", "raw", "--host", "127.0.0.1", "--port", "0"};
  auto floor = start_server(floor_spec, 10s);
  auto raw = start_server(raw_spec, 10s);
  auto floor_uring = start_server(floor_uring_spec, 10s);
  ASSERT_TRUE(floor_uring.child) << floor_uring.error;
  EXPECT_EQ(floor_uring.banner.tier, "floor-uring");
  ASSERT_TRUE(floor.child) << floor.error;
  ASSERT_TRUE(raw.child) << raw.error;
  EXPECT_EQ(floor.banner.tier, "floor");
  for (const auto& name : scenario_names()) {
    const Scenario* s = find_scenario(name);
    if (s->typed_only) continue;
    const std::string request = request_bytes(s->routes[0], "127.0.0.1");
    const std::string want = exchange(raw.banner.port, request);
    EXPECT_NE(want.find(s->routes[0].expected_body), std::string::npos) << name << ": " << want;
    EXPECT_EQ(exchange(floor.banner.port, request), want) << name;
    EXPECT_EQ(exchange(floor_uring.banner.port, request), want) << name << " (io_uring floor)";
  }
  EXPECT_EQ(stop_server(*floor.child, 5s), "");
  EXPECT_EQ(stop_server(*floor_uring.child, 5s), "");
  EXPECT_EQ(stop_server(*raw.child, 5s), "");
}

// Seed 001: the harness starts its own PostgreSQL, loads it and a SQLite
// file, checks every stack's answer as JSON, and tears it all down. Python
// is kept out (its rows say why) so the test does not depend on the twins.
TEST_F(BenchSmoke, ContactsStartsItsOwnDatabaseAndTablesFrameworkAgainstDatabase) {
  const std::string json = dir_ + "/out.json";
  Ran r = run_bench({"--scenario", "contacts", "--contacts", "500", "--duration", "1", "--warmup", "0", "--trials",
                     "1", "--python", "/nonexistent/python3", "--no-syscalls", "--json", json},
                    110s);
  ASSERT_TRUE(r.finished) << r.err;
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  const size_t table = r.out.find("### Seed 001's table");
  ASSERT_NE(table, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("500 contacts loaded"), std::string::npos) << r.out;
  for (const char* row : {"| strata app + PostgreSQL (libpq pipeline, pool) | postgresql | ",
                          "| strata typed + PostgreSQL (libpq pipeline, pool) | postgresql | ",
                          "| strata typed + SQLite (thread pool) | sqlite | "}) {
    const size_t at = r.out.find(row, table);
    ASSERT_NE(at, std::string::npos) << row << "\n" << r.out;
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_EQ(line.find("invalid"), std::string::npos) << line;
    EXPECT_EQ(line.find("not measured"), std::string::npos) << line;
  }
  EXPECT_NE(r.out.find("| FastAPI + asyncpg | postgresql | not measured |", table), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Spring Boot is not packaged in Debian", table), std::string::npos) << r.out;

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string text = slurp(json);
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  EXPECT_EQ(int64_t(doc["settings"]["contacts"]), 500);
  int with_db_cpu = 0;
  for (auto row : doc["rows"].get_array()) {
    const std::string_view id = row["id"];
    const bool pg = id == "strata/app+postgresql" || id == "strata/typed+postgresql";
    if (pg) {
      EXPECT_TRUE(row["valid"].get_bool().value()) << id;
      EXPECT_GT(double(row["summary"]["db_cpu_us_per_request"]["median"]), 0.0) << id;
      ++with_db_cpu;
    }
    if (id == "strata/typed+sqlite") {
      EXPECT_TRUE(row["summary"]["db_cpu_us_per_request"].is_null());
    }
  }
  EXPECT_EQ(with_db_cpu, 2);
}

}  // namespace
}  // namespace strata::bench
