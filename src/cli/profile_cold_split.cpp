// `strata profile --cold-split`: one cold start in its parts, per tier, and
// the Python twins' in the same run.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include "cli/profile.hpp"
#include "cli/profile_internal.hpp"
#include "kit/process.hpp"

namespace strata::cli::profiling {

namespace {

// CLOCK_MONOTONIC is one clock for every process on the machine, so the
// parent's "spawned" and the child's marks subtract.
uint64_t monotonic_ns() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t g_static_init_ns = 0;
uint64_t g_main_ns = 0;

// Priority 101 runs first among this executable's static initialisers
// (strata's libraries are linked in statically, so theirs are among them),
// and after every shared library's: what comes before is the kernel's exec
// and the dynamic loader's work.
__attribute__((constructor(101))) void mark_static_init() { g_static_init_ns = monotonic_ns(); }

}  // namespace

int cold_split_child(const std::string& tier) {
  const uint64_t command = monotonic_ns();
  SeedTarget target(tier);
  const uint64_t built = monotonic_ns();
  target.answer();
  const uint64_t first = monotonic_ns();
  target.answer();
  const uint64_t second = monotonic_ns();
  std::printf("cold-split %llu %llu %llu %llu %llu %llu\n", static_cast<unsigned long long>(g_static_init_ns),
              static_cast<unsigned long long>(g_main_ns), static_cast<unsigned long long>(command),
              static_cast<unsigned long long>(built), static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(second));
  return 0;
}

namespace {

// The columns of the table; a stack leaves out what it does not have.
enum Part { kStart, kStaticInit, kToCommand, kImports, kBuild, kFirst, kSecond, kToFirstAnswer, kParts };
const char* const kPartNames[kParts] = {"start",     "static init", "main->cmd", "imports",
                                        "build app", "1st call",    "2nd call",  "to 1st answer"};

using Marks = std::vector<uint64_t>;
using ToParts = std::map<Part, double> (*)(uint64_t spawned, const Marks& marks);

// One row of the table: a program that prints "cold-split" and its marks.
struct Split {
  std::string stack, tier;
  std::vector<std::string> argv;
  size_t marks;
  ToParts parts;  // the child's marks (and the spawn time) as milliseconds per part
  std::vector<double> ms[kParts] = {};
  bool has[kParts] = {};
  std::string error = {};
};

// One start of `s`; false (and s.error) when it did not answer.
bool start_once(Split& s, bool counted) {
  kit::SpawnSpec spec;
  spec.argv = s.argv;
  const uint64_t spawned = monotonic_ns();
  const kit::RunResult ran = kit::run_to_end(spec, std::chrono::minutes(2));
  const size_t at = ran.out.find("cold-split ");
  if (!ran.ok() || at == std::string::npos) {
    s.error = kit::last_line(!ran.error.empty() ? ran.error : !ran.err.empty() ? ran.err : ran.out);
    return false;
  }
  std::istringstream in(ran.out.substr(at + 11));
  Marks t(s.marks);
  for (uint64_t& v : t) in >> v;
  if (!in) {
    s.error = "unreadable marks: " + kit::last_line(ran.out);
    return false;
  }
  if (!counted) return true;
  for (const auto& [p, v] : s.parts(spawned, t)) {
    s.ms[p].push_back(v);
    s.has[p] = true;
  }
  return true;
}

// The rows take turns, start by start, so that what else the machine is
// doing meanwhile falls on every row alike. One start more than counted:
// the first pages each program and its libraries in from disk, which says
// more about the disk than the program.
void run_interleaved(std::vector<Split>& rows, int starts) {
  for (int i = -1; i < starts; ++i)
    for (Split& s : rows)
      if (s.error.empty()) start_once(s, i >= 0);
}

double ms(uint64_t from, uint64_t to) { return to >= from ? static_cast<double>(to - from) / 1e6 : 0; }

void print_row(const std::string& stack, const std::string& tier, const Split& s) {
  std::printf("%-8s %-7s", stack.c_str(), tier.c_str());
  for (int p = 0; p < kParts; ++p) {
    if (s.has[p])
      std::printf(" %*.3f", p == kToFirstAnswer ? 13 : 11, median(s.ms[p]));
    else
      std::printf(" %*s", p == kToFirstAnswer ? 13 : 11, "-");
  }
  std::printf("\n");
}

// The dynamic loader's own account of its work (glibc's LD_DEBUG=statistics).
void print_loader_statistics() {
  kit::SpawnSpec spec;
  spec.argv = {kit::self_exe(), "--version"};
  spec.env = {"LD_DEBUG=statistics"};
  const kit::RunResult ran = kit::run_to_end(spec, std::chrono::minutes(1));
  auto figure = [&](const char* label) -> double {
    const size_t at = ran.err.find(label);
    return at == std::string::npos ? -1 : std::strtod(ran.err.c_str() + at + std::strlen(label), nullptr);
  };
  const double total = figure("total startup time in dynamic loader:");
  const double relocation = figure("time needed for relocation:");
  const double loading = figure("time needed to load objects:");
  const double relocations = figure("number of relocations:");
  if (total < 0) {
    std::printf("\ndynamic loader: LD_DEBUG=statistics printed nothing (not glibc's loader?)\n");
    return;
  }
  // glibc counts in TSC cycles; the probe clock knows their rate.
  probe::set_enabled(true);
  probe::set_enabled(false);
  const bool tsc = probe::clock_name() == "tsc";
  auto as_ms = [&](double cycles) {
    return tsc ? fmt(" (%.3f ms)", static_cast<double>(probe::to_ns(static_cast<uint64_t>(cycles))) / 1e6)
               : std::string();
  };
  std::printf(
      "\ndynamic loader, LD_DEBUG=statistics on `strata --version` (one run, TSC cycles%s):\n"
      "  total %s cycles%s: loading objects %s%s, relocation %s%s (%s symbol relocations)\n",
      tsc ? ", in ms at the TSC's rate" : "", group(total).c_str(), as_ms(total).c_str(), group(loading).c_str(),
      as_ms(loading).c_str(), group(relocation).c_str(), as_ms(relocation).c_str(), group(relocations).c_str());
}

}  // namespace

void print_cold_split(const std::vector<std::string>& tiers, const std::string& reference, int starts) {
  std::printf(
      "\ncold start, split (ms, median of %d starts each; the median of each part, so the parts need not\n"
      "add up to the total). strata: start = spawn (fork, exec) through the dynamic loader and the shared\n"
      "libraries' initialisers to the first static initialiser of the executable; static init = the\n"
      "executable's own, to main; main->cmd = the command line parsed; build app = routes, models, the\n"
      "OpenAPI document, the Invoker; 1st/2nd call = one API Gateway GET event through lambda::Invoker\n"
      "(app, typed) or GET /index through the in-memory HTTP engine (raw, http: no Lambda path below\n"
      "tier 3). Python: start = spawn to the script's first line (interpreter start-up); main->cmd = its\n"
      "arguments read; imports = the framework's; build app = the app module and the adapter; 1st/2nd\n"
      "call = the same event through the handler. The rows take turns, after one uncounted start each.\n\n",
      starts);
  std::printf("%-8s %-7s", "stack", "tier");
  for (int p = 0; p < kParts; ++p) std::printf(" %*s", p == kToFirstAnswer ? 13 : 11, kPartNames[p]);
  std::printf("\n");
  std::fflush(stdout);
  std::vector<Split> rows;
  for (const std::string& tier : tiers)
    rows.push_back({"strata",
                    tier,
                    {kit::self_exe(), "profile", "--tier", tier, "--cold-split-child"},
                    6,
                    [](uint64_t spawned, const Marks& t) {
                      return std::map<Part, double>{{kStart, ms(spawned, t[0])},        {kStaticInit, ms(t[0], t[1])},
                                                    {kToCommand, ms(t[1], t[2])},       {kBuild, ms(t[2], t[3])},
                                                    {kFirst, ms(t[3], t[4])},           {kSecond, ms(t[4], t[5])},
                                                    {kToFirstAnswer, ms(spawned, t[4])}};
                    }});
  const size_t strata_rows = rows.size();
  const std::string python = "/usr/bin/python3";
  const std::string script = std::string(STRATA_REFERENCE_DIR) + "/python/lambda_profile.py";
  if (reference == "python" && ::access(python.c_str(), X_OK) != 0) {
    std::printf("python: skipped, %s is not installed\n", python.c_str());
  } else if (reference == "python") {
    for (const auto& [twin, label] : {std::pair<std::string, std::string>{"fastapi", "FastAPI"},
                                      std::pair<std::string, std::string>{"proxy", "proxy"}})
      rows.push_back({"python",
                      label,
                      {python, "-E", "-s", script, "--twin", twin, "--event", kLambdaEvent, "--split"},
                      6,
                      [](uint64_t spawned, const Marks& t) {
                        return std::map<Part, double>{{kStart, ms(spawned, t[0])},        {kToCommand, ms(t[0], t[1])},
                                                      {kImports, ms(t[1], t[2])},         {kBuild, ms(t[2], t[3])},
                                                      {kFirst, ms(t[3], t[4])},           {kSecond, ms(t[4], t[5])},
                                                      {kToFirstAnswer, ms(spawned, t[4])}};
                      }});
  }
  run_interleaved(rows, starts);
  double typed_ms = 0, fastapi_ms = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Split& s = rows[i];
    if (!s.error.empty()) {
      if (i < strata_rows) throw Failure{"cold split of tier " + s.tier + ": " + s.error};
      std::printf("%-8s %-7s skipped: %s (make bench-python installs the packages)\n", s.stack.c_str(), s.tier.c_str(),
                  s.error.c_str());
      continue;
    }
    print_row(s.stack, s.tier, s);
    if (s.stack == "strata" && s.tier == "typed") typed_ms = median(s.ms[kToFirstAnswer]);
    if (s.stack == "python" && s.tier == "FastAPI") fastapi_ms = median(s.ms[kToFirstAnswer]);
  }
  if (typed_ms > 0 && fastapi_ms > 0)
    std::printf("\ntyped tier vs the FastAPI twin, spawn to first answer: %.3f ms vs %.3f ms, %.1fx faster\n", typed_ms,
                fastapi_ms, fastapi_ms / typed_ms);
  print_loader_statistics();
}

}  // namespace strata::cli::profiling

namespace strata::cli {

void note_main_entered() { profiling::g_main_ns = profiling::monotonic_ns(); }

}  // namespace strata::cli
