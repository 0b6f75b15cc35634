// `strata profile`'s parts (profile.hpp says what the command does), shared
// by its files: profile.cpp (the command), profile_drivers.cpp (each tier
// driven in memory, timed), profile_instructions.cpp (callgrind counts) and
// profile_cold_start.cpp (spawn to first answer), profile_functions.cpp
// (--functions: callgrind's functions on the Lambda path) and
// profile_cold_split.cpp (--cold-split: a cold start in phases),
// profile_flamegraph.cpp (--flamegraph: one SVG per tier) and
// profile_syscalls.cpp (--syscalls: a real server's system calls). Not for
// anything else.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/probe.hpp"

namespace strata::cli::profiling {

inline const std::vector<std::string> kTiers = {"raw", "http", "app", "typed"};

// What stops the command: one line, printed on stderr, exit status 1.
struct Failure {
  std::string why;
};

struct Scenario {
  std::string name;
  std::string request;   // one request's bytes, keep-alive
  std::string expected;  // in the body of a correct answer
};
Scenario scenario(const std::string& name);

// True when `bytes` hold exactly one framed response: a 200 whose body
// holds the scenario's `expected`.
bool answers_right(std::string_view bytes, const Scenario& sc);

// One tier, one keep-alive connection, in memory.
class Driver {
 public:
  virtual ~Driver() = default;
  // Sends one request; returns the bytes answered (valid until the next call).
  virtual std::string_view once(std::string_view request) = 0;
};
std::unique_ptr<Driver> make_driver(const std::string& tier);

// Sends `n` requests; the first and last answers are checked (throws Failure).
void run_requests(Driver& d, const Scenario& sc, long n, const std::string& tier);

struct TierTimes {
  std::string tier;
  double off_ns = 0, on_ns = 0;  // the fastest batch's
  probe::Totals totals;          // the probes-on batch
};
TierTimes time_tier(const std::string& tier, const Scenario& sc, long n);
void print_times(const std::vector<TierTimes>& all, long n);

// The child side of --instructions: one tier under callgrind.
int callgrind_child(const std::string& tier, const Scenario& sc, long n, const std::string& what);
struct TierInstructions {
  std::string tier;
  double total = 0;                                     // instructions per request, probes off
  std::vector<std::pair<probe::Phase, double>> phases;  // per request, probes on
};
// `phases`: also count each phase the timed run saw, one callgrind run each.
std::vector<TierInstructions> measure_instructions(const std::vector<TierTimes>& times, const Scenario& sc, long n,
                                                   bool phases);
void print_instructions(const std::vector<TierInstructions>& all, long n, bool phases);
// One tier's instructions per request (probes off) under callgrind, the
// stack built with the process's ablations and extra routes.
double total_instructions(const std::string& tier, const Scenario& sc, long n);

// --ablations: baseline vs each ablation on the tier and scenario it
// affects (profile_ablations.cpp), ns per request in process and, with
// `instructions`, instructions per request; then the --routes sweep.
void print_ablations(long requests, bool instructions, long instruction_requests);

void print_cold_start(const std::vector<TierTimes>& times, const Scenario& sc, const std::string& reference);

// --syscalls: each tier as a real server (`strata serve --io IO`, for each
// of `ios`) under wrk for `seconds`, its system calls per request counted
// by perf stat (profile_syscalls.cpp). Throws Failure without wrk or perf,
// or when no tier could be counted.
void print_syscalls(const std::vector<std::string>& tiers, const Scenario& sc, const std::vector<std::string>& ios,
                    int seconds);

// Seed 000's workload: one API Gateway REST API event (GET /index?name=strata)
// through the app or typed tier's lambda::Invoker, as `strata invoke` runs it.
extern const char* const kLambdaEvent;
constexpr int kWarmUpCalls = 10;  // before "warm" counts one invocation
class LambdaTarget {
 public:
  explicit LambdaTarget(const std::string& tier);  // builds the app: routes, models, OpenAPI
  ~LambdaTarget();
  std::string invoke();  // the response document; throws Failure unless a 200 "Hello strata"

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

// What a cold start is timed to: for app and typed, the Lambda event through
// the Invoker; below tier 3, which has no Lambda path, the same GET
// (/index?name=strata) through the in-memory engine.
class SeedTarget {
 public:
  explicit SeedTarget(const std::string& tier);  // builds the tier's app
  ~SeedTarget();
  void answer();  // one request, checked (throws Failure)

 private:
  void answer_in_memory();
  std::string tier_;
  std::unique_ptr<LambdaTarget> lambda_;
  std::unique_ptr<Driver> driver_;
};

// --functions N: per tier, callgrind's top N functions for the cold and the
// warm invocation; with reference "python", the twins' cProfile.
int functions_child(const std::string& tier);
void print_functions(const std::vector<std::string>& tiers, long n, const std::string& reference);

// One callgrind output file (Ir only), read by profile_functions.cpp.
// Functions are keyed by object and name; with --separate-callers the name
// is callgrind's whole context, "callee'caller'caller's caller...".
struct FunctionCost {
  std::string name;
  std::string object;
  uint64_t self = 0;
  uint64_t inclusive_calls = 0;  // the cost of what it called (not itself, recursively)
  uint64_t calls = 0;            // times it was called, summed over its callers
};
struct Profile {
  uint64_t total = 0;  // the file's summary (or totals) line
  uint64_t calls = 0;
  std::vector<FunctionCost> functions;
};
Profile read_profile(const std::string& file);  // throws Failure when unreadable

// One `--callgrind-child` run of tier `tier`'s measured loop (n requests of
// `sc`) under callgrind, collecting `what` ("total", or a phase name: only
// while that phase is the innermost span), with `options` added to
// valgrind's. The child builds the same stack as this process: its
// ablations and extra routes. `total` is the file of a "total" run's one
// dump; a phase run dumps its measured loop to `measured` first, then the
// edge calibration to `total`. The destructor removes both files.
struct CallgrindRun {
  CallgrindRun() = default;
  CallgrindRun(const CallgrindRun&) = delete;
  CallgrindRun& operator=(const CallgrindRun&) = delete;
  ~CallgrindRun();
  bool ok = false;
  std::string out;    // the child's stdout
  std::string error;  // its last line of stderr (or why it did not run) when !ok
  std::string total, measured;
};
void run_callgrind_child(CallgrindRun& run, const std::string& valgrind, const std::string& tier, const Scenario& sc,
                         long n, const std::string& what, const std::vector<std::string>& options);

// --flamegraph DIR: per tier, one SVG of the measured loop's call stacks
// (the scenario's requests, under callgrind), frame width = instructions
// per request, colour = the probe phase they ran in. Creates DIR; throws
// Failure when it cannot, or when valgrind is missing.
void write_flamegraphs(const std::vector<std::string>& tiers, const Scenario& sc, long n, const std::string& dir);

// --cold-split: spawn -> loader -> static initialisers -> main -> app built ->
// first answer -> second answer, median of `starts`, per tier (and twins).
int cold_split_child(const std::string& tier);
void print_cold_split(const std::vector<std::string>& tiers, const std::string& reference, int starts);

// Formatting shared by the tables.
std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string group(double v);  // 12345.6 -> "12,346"
double median(std::vector<double> v);

}  // namespace strata::cli::profiling
