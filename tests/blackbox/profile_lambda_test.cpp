// `strata profile --functions N` and `--cold-split` (seed 000 on the Lambda
// path), and the Python twins they run, read as a user reads the output.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "blackbox.hpp"

#ifndef REFERENCE_DIR
#error "REFERENCE_DIR must name bench/reference"
#endif

namespace strata::test {
namespace {

bool valgrind_usable() {
#if defined(__SANITIZE_ADDRESS__)
  return false;  // valgrind cannot run a sanitized binary
#else
  return ::access("/usr/bin/valgrind", X_OK) == 0;
#endif
}

// Why the Python twins cannot run here, or "" when they can.
std::string python_missing() {
  if (::access("/usr/bin/python3", X_OK) != 0) return "/usr/bin/python3 is not installed";
  RunResult r = run_command("/usr/bin/python3", {"-E", "-s", "-c", "import fastapi, pydantic, starlette"});
  if (!r.status || !r.status->exited || r.status->code != 0)
    return "Python's FastAPI is not installed (scripts/install-deps.sh --python)";
  return "";
}

// "12,345" -> 12345; -1 when it is not a grouped number.
long long number(const std::string& s) {
  std::string digits;
  for (char c : s) {
    if (c == ',') continue;
    if (c < '0' || c > '9') return -1;
    digits.push_back(c);
  }
  return digits.empty() ? -1 : std::atoll(digits.c_str());
}

struct FunctionRow {
  long long calls = -1, self = -1, inclusive = -1;
  std::string name;
};

// The rows of the table under the title line that contains `title`.
std::vector<FunctionRow> function_table(const std::string& out, const std::string& title) {
  std::vector<FunctionRow> rows;
  const size_t at = out.find(title);
  if (at == std::string::npos) return rows;
  const size_t head = out.find("    ncalls ", at);
  if (head == std::string::npos) return rows;
  std::istringstream in(out.substr(out.find('\n', head) + 1));
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    std::istringstream cols(line);
    std::string calls, self, self_per, inclusive, inclusive_per, name;
    cols >> calls >> self >> self_per >> inclusive >> inclusive_per;
    std::getline(cols >> std::ws, name);
    rows.push_back({number(calls), number(self), number(inclusive), name});
  }
  return rows;
}

TEST(BlackboxProfileFunctions, EachTableHasNRowsNamedWithPositiveCounts) {
  if (!valgrind_usable()) GTEST_SKIP() << "valgrind is not installed (or this is a sanitized build)";
  RunResult r = run_command(kStrataBin, {"profile", "--functions", "7", "--tier", "all"}, 55000ms);
  ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << r.err << r.out;
  for (const char* tier : {"strata raw + the in-memory HTTP engine", "strata http + the in-memory HTTP engine",
                           "strata app (Application) + lambda::Invoker", "strata typed (API) + lambda::Invoker"}) {
    for (const char* when : {"cold: process start through the first answer", "warm: one invocation alone"}) {
      const std::string title = std::string(tier) + (std::string(tier).find("engine") != std::string::npos
                                                         ? " (GET /index: no Lambda path below tier 3), "
                                                         : ", ") +
                                when;
      SCOPED_TRACE(title);
      const std::vector<FunctionRow> table = function_table(r.out, title);
      ASSERT_EQ(table.size(), 7u) << r.out;
      for (size_t i = 0; i < table.size(); ++i) {
        const FunctionRow& f = table[i];
        EXPECT_GT(f.calls, 0) << f.name;
        EXPECT_GT(f.self, 0) << f.name;
        EXPECT_GE(f.inclusive, f.self) << f.name;
        EXPECT_FALSE(f.name.empty());
        EXPECT_NE(f.name.back(), ':') << "a function without a name: " << f.name;
        if (i) {
          EXPECT_LE(f.self, table[i - 1].self) << "not ordered by self instructions";
        }
      }
    }
  }
  // Cold is the whole process: the dynamic loader is in it, and it costs
  // far more than one warm invocation.
  EXPECT_NE(r.out.find("ld-linux"), std::string::npos) << r.out;
}

TEST(BlackboxProfileFunctions, BadNIsAUsageErrorInOneSentence) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"profile", "--functions", "0"},
        std::vector<std::string>{"profile", "--functions", "ten"},
        std::vector<std::string>{"profile", "--functions", "100000", "--tier", "raw"}}) {
    RunResult r = run_command(kStrataBin, args);
    ASSERT_TRUE(r.status) << args[2];
    EXPECT_TRUE(r.status->exited && r.status->code == 2) << args[2] << ": " << r.status->describe();
    EXPECT_EQ(r.out, "") << args[2];
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("--functions"), std::string::npos) << r.err;
  }
}

// The cold-split table's rows: stack and tier, then one figure or "-" per part.
struct SplitRow {
  std::string stack, tier;
  std::vector<double> parts;  // -1 for "-"
};
const std::vector<std::string> kSplitParts = {"start",     "static init", "main->cmd", "imports",
                                              "build app", "1st call",    "2nd call",  "to 1st answer"};

std::vector<SplitRow> split_table(const std::string& out) {
  std::vector<SplitRow> rows;
  const size_t head = out.find("\nstack ");
  if (head == std::string::npos) return rows;
  std::istringstream in(out.substr(out.find('\n', head + 1) + 1));
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    std::istringstream cols(line);
    SplitRow row;
    cols >> row.stack >> row.tier;
    std::string v;
    while (cols >> v) row.parts.push_back(v == "-" ? -1 : std::strtod(v.c_str(), nullptr));
    rows.push_back(row);
  }
  return rows;
}

// Every run's total is at least each of its parts, so the medians are too.
void expect_sane(const SplitRow& row, const std::vector<std::string>& present) {
  SCOPED_TRACE(row.stack + " " + row.tier);
  ASSERT_EQ(row.parts.size(), kSplitParts.size());
  for (size_t i = 0; i < kSplitParts.size(); ++i) {
    const bool expected = std::find(present.begin(), present.end(), kSplitParts[i]) != present.end();
    if (!expected) {
      EXPECT_EQ(row.parts[i], -1) << kSplitParts[i];
      continue;
    }
    EXPECT_GE(row.parts[i], 0) << kSplitParts[i];
    if (kSplitParts[i] != "2nd call") {
      EXPECT_LE(row.parts[i], row.parts.back()) << kSplitParts[i];
    }
  }
  EXPECT_GT(row.parts.back(), 0);
}

TEST(BlackboxProfileColdSplit, EveryTierHasEveryPhaseAndNoneIsNegative) {
  RunResult r = run_command(kStrataBin, {"profile", "--cold-split", "--starts", "3", "--tier", "all"}, 55000ms);
  ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << r.err << r.out;
  const std::vector<SplitRow> rows = split_table(r.out);
  ASSERT_EQ(rows.size(), 4u) << r.out;
  const char* tiers[] = {"raw", "http", "app", "typed"};
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].stack, "strata");
    EXPECT_EQ(rows[i].tier, tiers[i]);
    expect_sane(rows[i], {"start", "static init", "main->cmd", "build app", "1st call", "2nd call", "to 1st answer"});
  }
  EXPECT_NE(r.out.find("dynamic loader"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("python"), std::string::npos) << "twins without --reference python\n" << r.out;
}

TEST(BlackboxProfileColdSplit, BadStartsIsAUsageError) {
  RunResult r = run_command(kStrataBin, {"profile", "--cold-split", "--starts", "0"});
  ASSERT_TRUE(r.status);
  EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->describe();
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// ------------------------------------------------------------ the Python twins

TEST(BlackboxPythonTwins, TheScriptsAnswerTheEventInEveryMode) {
  if (const std::string why = python_missing(); !why.empty()) GTEST_SKIP() << why;
  const std::string script = std::string(REFERENCE_DIR) + "/python/lambda_profile.py";
  const std::string event =
      R"({"httpMethod":"GET","path":"/index","multiValueHeaders":{"Host":["x"]},)"
      R"("queryStringParameters":{"name":"twin"},"multiValueQueryStringParameters":{"name":["twin"]},)"
      R"("body":null,"isBase64Encoded":false})";
  for (const char* twin : {"fastapi", "proxy"}) {
    for (const std::vector<std::string>& mode :
         {std::vector<std::string>{"--profile", "cold"}, std::vector<std::string>{"--profile", "warm"},
          std::vector<std::string>{"--split"}}) {
      SCOPED_TRACE(std::string(twin) + " " + mode[0]);
      std::vector<std::string> args = {"-E", "-s", script, "--twin", twin, "--event", event};
      args.insert(args.end(), mode.begin(), mode.end());
      RunResult r = run_command("/usr/bin/python3", args, 30000ms);
      ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << r.err << r.out;
      EXPECT_NE(r.out.find(R"(answer {"statusCode": 200)"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find(R"("body": "Hello twin")"), std::string::npos) << r.out;
      if (mode[0] == "--profile") {
        EXPECT_NE(r.out.find("Ordered by: internal time"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("function calls"), std::string::npos) << r.out;
      } else {
        EXPECT_NE(r.out.find("cold-split "), std::string::npos) << r.out;
      }
    }
  }
}

TEST(BlackboxPythonTwins, AnEventThatIsNotAnHttpEventFails) {
  if (const std::string why = python_missing(); !why.empty()) GTEST_SKIP() << why;
  const std::string script = std::string(REFERENCE_DIR) + "/python/lambda_profile.py";
  RunResult r =
      run_command("/usr/bin/python3",
                  {"-E", "-s", script, "--twin", "fastapi", "--event", R"({"Records":[]})", "--split"}, 30000ms);
  ASSERT_TRUE(r.status);
  EXPECT_FALSE(r.status->exited && r.status->code == 0) << r.out;
}

TEST(BlackboxPythonTwins, BesideStrataInTheProfile) {
  if (const std::string why = python_missing(); !why.empty()) GTEST_SKIP() << why;
  RunResult r = run_command(
      kStrataBin, {"profile", "--cold-split", "--starts", "2", "--tier", "typed", "--reference", "python"}, 55000ms);
  ASSERT_TRUE(r.status && r.status->exited && r.status->code == 0) << r.err << r.out;
  EXPECT_EQ(r.out.find("skipped"), std::string::npos) << r.out;
  const std::vector<SplitRow> rows = split_table(r.out);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  expect_sane(rows[1], {"start", "main->cmd", "imports", "build app", "1st call", "2nd call", "to 1st answer"});
  expect_sane(rows[2], {"start", "main->cmd", "imports", "build app", "1st call", "2nd call", "to 1st answer"});
  EXPECT_EQ(rows[1].tier, "FastAPI");
  EXPECT_EQ(rows[2].tier, "proxy");
  EXPECT_NE(r.out.find("typed tier vs the FastAPI twin"), std::string::npos) << r.out;
  if (!valgrind_usable()) return;
  RunResult f =
      run_command(kStrataBin, {"profile", "--functions", "3", "--tier", "typed", "--reference", "python"}, 55000ms);
  ASSERT_TRUE(f.status && f.status->exited && f.status->code == 0) << f.err << f.out;
  EXPECT_EQ(f.out.find("skipped"), std::string::npos) << f.out;
  for (const char* title : {"Python FastAPI + Mangum's twin (bench/reference/python/lambda_asgi.py), cold",
                            "Python FastAPI + Mangum's twin (bench/reference/python/lambda_asgi.py), warm",
                            "Python lambda-proxy's twin (a dict-dispatch handler), cold",
                            "Python lambda-proxy's twin (a dict-dispatch handler), warm"}) {
    const size_t at = f.out.find(title);
    ASSERT_NE(at, std::string::npos) << title << "\n" << f.out;
    EXPECT_NE(f.out.find("Ordered by: internal time", at), std::string::npos) << title;
  }
}

}  // namespace
}  // namespace strata::test
