#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define STRATA_HAVE_CALLGRIND 1
#else
#define STRATA_HAVE_CALLGRIND 0
#endif

#include "cli/profile_internal.hpp"
#include "common/ablation.hpp"
#include "kit/process.hpp"

namespace strata::cli::profiling {

namespace {

#if STRATA_HAVE_CALLGRIND
int g_collect_phase = -1;
bool g_collecting = false;
long g_switched_on = 0;

// Collection on exactly while the phase being counted is the innermost open span.
void toggle_collect(int top) {
  const bool want = top == g_collect_phase;
  if (want == g_collecting) return;
  g_collecting = want;
  g_switched_on += want;
  CALLGRIND_TOGGLE_COLLECT;
}
#endif

// Calibration spans for --instructions: nothing inside, so what callgrind
// counts in them is only what leaks past the switch at each edge.
constexpr long kEdgeSpans = 1000;

}  // namespace

// The child side: one tier, instrumented only around the measured loop.
int callgrind_child(const std::string& tier, const Scenario& sc, long n, const std::string& what) {
#if STRATA_HAVE_CALLGRIND
  if (!RUNNING_ON_VALGRIND) {
    std::fprintf(stderr, "strata: --callgrind-child is for `strata profile --instructions`, under callgrind\n");
    return 2;
  }
  auto d = make_driver(tier);
  const bool per_phase = what != "total";
  probe::set_enabled(per_phase);
  run_requests(*d, sc, 200, tier);  // warm-up, uninstrumented
  if (per_phase) {
    for (probe::Phase p : probe::all_phases)
      if (probe::name(p) == what) g_collect_phase = static_cast<int>(p);
    probe::set_top_hook(toggle_collect);
  }
  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
  run_requests(*d, sc, n, tier);
  if (per_phase) {
    // Switching collection happens inside a function call, so each time
    // the phase comes on top a few instructions of the probe's own call
    // and return are counted. Measure that in a second dump (empty spans
    // of the same phase) and say how often it happened, so the parent can
    // take it out.
    const long switched = g_switched_on;
    CALLGRIND_DUMP_STATS_AT("measured");
    probe::Record r;
    probe::Bind bind(r);
    for (long i = 0; i < kEdgeSpans; ++i) probe::Span span(static_cast<probe::Phase>(g_collect_phase));
    std::printf("switched-on %ld\n", switched);
  }
  CALLGRIND_STOP_INSTRUMENTATION;
  probe::set_top_hook(nullptr);
  return 0;
#else
  (void)tier, (void)sc, (void)n, (void)what;
  std::fprintf(stderr, "strata: built without <valgrind/callgrind.h>\n");
  return 1;
#endif
}

namespace {

// Ir collected in a callgrind output file ("summary: N" or "totals: N").
std::optional<uint64_t> read_callgrind_total(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::optional<uint64_t> total;
  while (std::getline(in, line)) {
    for (const char* key : {"summary:", "totals:"}) {
      if (line.rfind(key, 0) == 0) total = std::strtoull(line.c_str() + std::strlen(key), nullptr, 10);
    }
  }
  return total;
}

}  // namespace

CallgrindRun::~CallgrindRun() {
  if (!total.empty()) ::unlink(total.c_str());
  if (!measured.empty() && measured != total) ::unlink(measured.c_str());
}

void run_callgrind_child(CallgrindRun& run, const std::string& valgrind, const std::string& tier, const Scenario& sc,
                         long n, const std::string& what, const std::vector<std::string>& options) {
  char file[] = "/tmp/strata-callgrind-XXXXXX";
  const int fd = ::mkstemp(file);
  if (fd < 0) throw Failure{std::string("cannot create a temporary file: ") + std::strerror(errno)};
  ::close(fd);
  run.total = file;
  run.measured = what == "total" ? run.total : run.total + ".1";
  std::vector<std::string> argv = {valgrind, "--tool=callgrind", "--instr-atstart=no",
                                   what == "total" ? "--collect-atstart=yes" : "--collect-atstart=no"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"--callgrind-out-file=" + run.total, kit::self_exe(), "profile", "--tier", tier,
                           "--scenario", sc.name, "--requests", std::to_string(n), "--callgrind-child", what});
  for (std::string& arg : ablation::as_args(ablation::active())) argv.push_back(std::move(arg));
  argv.insert(argv.end(), {"--routes", std::to_string(ablation::extra_routes())});
  kit::SpawnSpec spec;
  spec.argv = std::move(argv);
  // No bound that matters: a callgrind run is as long as it is.
  const kit::RunResult ran = kit::run_to_end(spec, std::chrono::hours(24));
  run.ok = ran.ok();
  run.out = ran.out;
  if (!run.ok) run.error = kit::last_line(ran.error.empty() ? ran.err : ran.error);
}

namespace {

double count_instructions(const std::string& valgrind, const std::string& tier, const Scenario& sc, long n,
                          const std::string& what) {
  CallgrindRun run;
  run_callgrind_child(run, valgrind, tier, sc, n, what, {});
  const std::string& out = run.out;
  const auto measured = read_callgrind_total(run.measured);
  const auto edges = read_callgrind_total(run.total);
  if (!run.ok || !measured)
    throw Failure{"callgrind run for tier " + tier + " (" + what + ") failed: " + run.error};
  double ir = static_cast<double>(*measured);
  if (what != "total") {
    const size_t at = out.find("switched-on ");
    if (at == std::string::npos || !edges)
      throw Failure{"callgrind run for tier " + tier + " (" + what + ") gave no edge count: " + kit::last_line(out)};
    const double switched = std::strtod(out.c_str() + at + 12, nullptr);
    ir -= switched * static_cast<double>(*edges) / static_cast<double>(kEdgeSpans);
  }
  return ir / static_cast<double>(n);
}

}  // namespace

double total_instructions(const std::string& tier, const Scenario& sc, long n) {
  const std::string valgrind = kit::find_executable("valgrind");
  if (valgrind.empty()) throw Failure{"--instructions needs valgrind (apt-get install valgrind)"};
  if (!STRATA_HAVE_CALLGRIND) throw Failure{"--instructions: this strata was built without <valgrind/callgrind.h>"};
  return count_instructions(valgrind, tier, sc, n, "total");
}

std::vector<TierInstructions> measure_instructions(const std::vector<TierTimes>& times, const Scenario& sc, long n,
                                                   bool phases) {
  const std::string valgrind = kit::find_executable("valgrind");
  if (valgrind.empty()) throw Failure{"--instructions needs valgrind (apt-get install valgrind)"};
  if (!STRATA_HAVE_CALLGRIND) throw Failure{"--instructions: this strata was built without <valgrind/callgrind.h>"};
  std::vector<TierInstructions> out;
  for (const TierTimes& t : times) {
    TierInstructions ti;
    ti.tier = t.tier;
    ti.total = count_instructions(valgrind, t.tier, sc, n, "total");
    for (probe::Phase p : probe::all_phases)
      if (phases && t.totals.phases[static_cast<size_t>(p)].count > 0)
        ti.phases.emplace_back(p, count_instructions(valgrind, t.tier, sc, n, std::string(probe::name(p))));
    out.push_back(std::move(ti));
  }
  return out;
}

void print_instructions(const std::vector<TierInstructions>& all, long n, bool phases) {
  std::printf("\ninstructions per request (callgrind, %ld requests, instrumented only around the measured loop;\n"
              "total with probes off%s)\n\n", n,
              phases ? "; each phase counted alone, without the probes' own instructions" : "");
  for (const TierInstructions& t : all) {
    std::printf("tier %s: %s instructions/request\n", t.tier.c_str(), group(t.total).c_str());
    if (!phases) continue;
    std::printf("  %-11s %12s %8s\n", "phase", "instr/req", "share");
    double attributed = 0;
    for (const auto& [p, v] : t.phases) {
      attributed += v;
      std::printf("  %-11s %12s %7.1f%%\n", std::string(probe::name(p)).c_str(), group(v).c_str(), 100.0 * v / t.total);
    }
    // Signed: a phase may run a little more code with the probes on than
    // the probes-off total has (an enabled() branch taken, a record bound).
    const double rest = t.total - attributed;
    std::printf("  %-11s %12s %7.1f%%\n\n", "(untimed)", ((rest < 0 ? "-" : "") + group(std::abs(rest))).c_str(),
                100.0 * rest / t.total);
  }
  if (!phases) std::printf("\n");
  std::printf("%-6s %14s %12s %8s\n", "tier", "instr/request", "+ vs above", "x raw");
  for (size_t i = 0; i < all.size(); ++i) {
    std::string delta;
    if (i) delta = (all[i].total >= all[i - 1].total ? "+" : "-") + group(std::abs(all[i].total - all[i - 1].total));
    std::printf("%-6s %14s %12s %8.2f\n", all[i].tier.c_str(), group(all[i].total).c_str(), delta.c_str(),
                all[i].total / all[0].total);
  }
}

}  // namespace strata::cli::profiling
