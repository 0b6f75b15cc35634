// Black-box tests of `strata bench --ablations`, kept short with
// --ablations-only: every line of the table has a baseline figure, an
// ablated one and the difference, in the markdown and in the JSON; with
// --reference python, Starlette's middleware rows are measured beside
// strata's, or say why not. No assertion on any speed.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "harness/process.hpp"
#include "kit/http.hpp"

// A namespace of its own: the test sources may be compiled as one unit.
namespace strata::bench::ablations_smoke {
namespace {

using namespace std::chrono_literals;

struct Ran {
  int code = -1;
  std::string out, err;
};

Ran run_bench(const std::vector<std::string>& args) {
  SpawnSpec spec;
  spec.argv = {STRATA_BIN, "bench", "--duration", "1", "--warmup", "0", "--trials", "1", "--no-syscalls",
               "--no-instructions", "--tiers", "raw"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto ran = kit::run_to_end(spec, 120s);
  Ran r;
  if (ran.status && ran.status->exited) r.code = ran.status->code;
  r.out = std::move(ran.out);
  r.err = ran.error + ran.err;
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The line of the ablations table that starts with "| first |".
std::string table_line(const std::string& md, const std::string& first) {
  const size_t table = md.find("### What each design choice is worth");
  if (table == std::string::npos) return "";
  const size_t at = md.find("\n| " + first + " |", table);
  if (at == std::string::npos) return "";
  return md.substr(at + 1, md.find('\n', at + 1) - at - 1);
}

// A measured line: req/s and CPU per request for both rows, then the
// signed difference and percentage; then the counting passes' figures,
// "-" here since the runs skip them.
const std::regex kMeasured(
    R"(\| [^|]+ \| [a-z ]+ \| \d+ \| \d+ \| \d+ \| \d+\.\d\d \| \d+\.\d\d \| [+-]\d+\.\d\d \| [+-]\d+\.\d% \|)"
    R"( - \| - \| - \| - \|)");

// The JSON's "ablations" entries, by name.
std::vector<std::string> measured_in_json(const std::string& text, std::string& why) {
  std::vector<std::string> names;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array pairs;
  if (parser.parse(text).get(doc) || doc["ablations"].get(pairs)) {
    why = "no \"ablations\" array in: " + text.substr(0, 200);
    return names;
  }
  for (simdjson::dom::element p : pairs) {
    std::string_view name;
    double base = 0, ablated = 0, delta = 0, percent = 0;
    if (p["ablation"].get(name) || p["cpu_us_per_request_baseline"].get(base) ||
        p["cpu_us_per_request_ablated"].get(ablated) || p["delta_cpu_us_per_request"].get(delta) ||
        p["delta_percent"].get(percent) || p["rps_baseline"].get(base) || p["rps_ablated"].get(ablated)) {
      why += " incomplete: " + simdjson::to_string(p);
      continue;
    }
    names.emplace_back(name);
  }
  return names;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class AblationsSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-ablations-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    json_ = dir_ + "/out.json";
  }
  void TearDown() override {
    unlink(json_.c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_, json_;
};

TEST_F(AblationsSmoke, EachLineHasBaselineAblatedAndDelta) {
  Ran r = run_bench({"--ablations", "--ablations-only", "date,json", "--json", json_});
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  for (const char* name : {"date=per-response | http", "json=dom | http", "json=dom | app", "json=dom | typed"}) {
    const std::string line = table_line(r.out, name);
    EXPECT_TRUE(std::regex_match(line, kMeasured)) << name << ": " << line << "\n" << r.out;
  }
  // Filtered out: no other ablation, no --routes sweep.
  EXPECT_EQ(table_line(r.out, "headers=copy"), "") << r.out;
  EXPECT_EQ(r.out.find("router=linear against the segment tree"), std::string::npos) << r.out;
  std::string why;
  const auto names = measured_in_json(slurp(json_), why);
  EXPECT_EQ(names, (std::vector<std::string>{"date=per-response", "json=dom", "json=dom", "json=dom"})) << why;
}

TEST_F(AblationsSmoke, StarletteRowsSayWhyWithoutPython) {
  // --ablations-only middleware with no Python: strata's six rows run,
  // Starlette's are skipped with the reason under the table.
  Ran r = run_bench({"--ablations", "--ablations-only", "middleware", "--reference", "python", "--python",
                     "/nonexistent/python3"});
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  EXPECT_TRUE(std::regex_match(table_line(r.out, "middleware=5 middleware-style=wrapped"), kMeasured)) << r.out;
  EXPECT_NE(table_line(r.out, "Starlette, 5 BaseHTTPMiddleware").find("| python app | 0 | - | - |"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Not measured (/nonexistent/python3 is not there (install with: make bench-python)): "
                       "Starlette, 1 pure-ASGI middleware; Starlette, 5 pure-ASGI middlewares;"),
            std::string::npos)
      << r.out;
}

TEST_F(AblationsSmoke, StarletteMiddlewareRowsAreMeasuredBesideStratas) {
  const int missing = std::system(
      "/usr/bin/python3 -E -s -c 'import uvloop, httptools, uvicorn, starlette' >/dev/null 2>&1");
  if (missing != 0) GTEST_SKIP() << "/usr/bin/python3 lacks uvloop, httptools, uvicorn or starlette (make bench-python)";
  Ran r = run_bench({"--ablations", "--ablations-only", "middleware", "--reference", "python", "--json", json_});
  ASSERT_EQ(r.code, 0) << "stderr: " << r.err << "\nstdout: " << r.out;
  std::string why;
  const auto names = measured_in_json(slurp(json_), why);
  for (const std::string n : {"1", "5", "10"}) {
    for (const std::string& name : {"middleware=" + n, "middleware=" + n + " middleware-style=wrapped",
                                   "Starlette, " + n + " BaseHTTPMiddleware",
                                   "Starlette, " + n + (n == "1" ? " pure-ASGI middleware" : " pure-ASGI middlewares")}) {
      EXPECT_TRUE(std::regex_match(table_line(r.out, name), kMeasured)) << name << "\n" << r.out;
      EXPECT_TRUE(contains(names, name)) << name << why;
    }
  }
  // Each Starlette line right after its strata twin.
  const std::string table = r.out.substr(r.out.find("### What each design choice is worth"));
  EXPECT_LT(table.find("| middleware=5 middleware-style=wrapped |"), table.find("| Starlette, 5 BaseHTTPMiddleware |"));
}

// router=linear's Starlette twin (harness/ablations.hpp) is the app twin
// with STRATA_ROUTES=N: its extra routes answer, ahead of the workload's,
// which still answers. Planning and rendering are tested in test_bench;
// here, that the twin does what the row's label says.
TEST(StarletteTwin, ExtraRoutesFromTheEnvironmentAnswerBeforeTheWorkload) {
  const int missing = std::system(
      "/usr/bin/python3 -E -s -c 'import uvloop, httptools, uvicorn, starlette' >/dev/null 2>&1");
  if (missing != 0) GTEST_SKIP() << "/usr/bin/python3 lacks uvloop, httptools, uvicorn or starlette (make bench-python)";
  SpawnSpec spec;
  spec.argv = {"/usr/bin/python3", "-E", "-s", "-B", std::string(REFERENCE_DIR) + "/python/serve.py", "--tier", "app",
               "--host", "127.0.0.1", "--port", "0"};
  spec.env = {"STRATA_ROUTES=3"};
  kit::StartResult started = kit::start_server(spec, 30s);
  ASSERT_TRUE(started.child) << started.error;
  kit::Client client(started.banner.port);
  ASSERT_TRUE(client.ok()) << client.error();
  auto ask = [&](const std::string& request) {
    EXPECT_TRUE(client.send(request));
    auto r = client.read_response();
    return r ? std::to_string(r->status) + " " + r->body : "no answer";
  };
  EXPECT_EQ(ask("GET /api/resource2/42 HTTP/1.1\r\nHost: t\r\n\r\n"), "200 resource 2 item 42");
  EXPECT_EQ(ask("GET /api/resource3/42 HTTP/1.1\r\nHost: t\r\n\r\n").substr(0, 3), "404");
  EXPECT_EQ(ask("GET /api/resource0/x HTTP/1.1\r\nHost: t\r\n\r\n").substr(0, 3), "404");
  const std::string body = R"({"id": 1, "name": "user", "email": "user@email.com"})";
  EXPECT_EQ(ask("POST /user HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body)
                .substr(0, 3),
            "200");
  EXPECT_EQ(kit::stop_server(*started.child, 5000ms), "");
}

TEST_F(AblationsSmoke, UnknownAblationIsOneLineAndExit2) {
  Ran r = run_bench({"--ablations", "--ablations-only", "nonsense"});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.err.find("unknown ablation 'nonsense' in --ablations-only (known: date,"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = run_bench({"--ablations-only", "date"});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.err.find("--ablations-only needs --ablations"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace strata::bench::ablations_smoke
