#include "cli/profile.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/profile_internal.hpp"
#include "common/ablation.hpp"
#include "serve/serve_internal.hpp"

namespace strata::cli {

namespace {

using namespace profiling;

struct Options {
  std::string tier = "all";
  long requests = 20000;
  std::string scenario = "user";
  bool instructions = false;
  bool instructions_total = false;
  long instruction_requests = 1000;
  bool cold_start = false;
  std::string reference;
  std::string callgrind_child;
  long functions = 0;
  bool functions_child = false;
  bool cold_split = false;
  bool cold_split_child = false;
  int starts = 20;
  bool ablations = false;
  std::string flamegraph;
  bool syscalls = false;
  std::string io = "libuv";
  int syscall_seconds = 3;
};

int run_profile(const Options& o) {
  const Scenario sc = scenario(o.scenario);
  std::vector<std::string> tiers = o.tier == "all" ? kTiers : std::vector<std::string>{o.tier};
  if (!o.callgrind_child.empty()) return callgrind_child(tiers.front(), sc, o.requests, o.callgrind_child);
  if (o.functions_child) return functions_child(tiers.front());
  if (o.cold_split_child) return cold_split_child(tiers.front());
  if (o.ablations) {
    if (!ablation::active().empty() || ablation::extra_routes() > 0) {
      std::fprintf(stderr, "strata profile: --ablations measures each ablation in turn, so it takes no --ablate or --routes\n");
      return 2;
    }
    print_ablations(o.requests, o.instructions || o.instructions_total, o.instruction_requests);
    std::fflush(stdout);
    return 0;
  }
  if (!o.flamegraph.empty()) {
    write_flamegraphs(tiers, sc, o.instruction_requests, o.flamegraph);
    return 0;
  }
  if (o.functions > 0 || o.cold_split) {
    if (o.functions > 0) print_functions(tiers, o.functions, o.reference);
    if (o.cold_split) print_cold_split(tiers, o.reference, o.starts);
    std::fflush(stdout);
    return 0;
  }

  std::printf("strata profile: scenario %s (%s), tiers", sc.name.c_str(),
              sc.name == "user" ? "POST /user, a JSON User round trip" : "GET /index?name=strata");
  for (const auto& t : tiers) std::printf(" %s", t.c_str());
  std::printf("\n\n");
  std::fflush(stdout);
  std::vector<TierTimes> times;
  for (const auto& t : tiers) times.push_back(time_tier(t, sc, o.requests));
  print_times(times, o.requests);
  std::fflush(stdout);
  if (o.instructions || o.instructions_total) {
    const bool phases = !o.instructions_total;
    const auto instr = measure_instructions(times, sc, o.instruction_requests, phases);
    print_instructions(instr, o.instruction_requests, phases);
    std::fflush(stdout);
  }
  if (o.cold_start) print_cold_start(times, sc, o.reference);
  std::fflush(stdout);
  if (o.syscalls)
    print_syscalls(tiers, sc, o.io == "both" ? std::vector<std::string>{"libuv", "uring"} : std::vector{o.io},
                   o.syscall_seconds);
  std::fflush(stdout);
  return 0;
}

}  // namespace

void register_profile_command(CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "profile",
      "Drive each tier in-process (no sockets) and print ns per request and its split by phase; "
      "--instructions adds callgrind's instructions per request, --cold-start the time to a first answer.");
  cmd->add_option("--tier", o->tier, "raw, http, app, typed or all")
      ->check(CLI::IsMember({"raw", "http", "app", "typed", "all"}))
      ->capture_default_str();
  cmd->add_option("--requests", o->requests, "Requests per measured batch")
      ->check(CLI::Range(1L, 100'000'000L))
      ->capture_default_str();
  cmd->add_option("--scenario", o->scenario, "user (POST /user, seed 003) or hello (GET /index?name=, seed 002)")
      ->check(CLI::IsMember({"user", "hello"}))
      ->capture_default_str();
  auto* instructions = cmd->add_flag("--instructions", o->instructions,
                "Also count instructions per request, per tier and per phase, under valgrind --tool=callgrind");
  // One callgrind run per tier instead of one per phase and tier (typed:
  // 1 s against 8.7 s): what `strata bench` reads for its instr/req column.
  cmd->add_flag("--instructions-total", o->instructions_total,
                "Also count instructions per request per tier, without --instructions' split by phase "
                "(one callgrind run per tier)")
      ->excludes(instructions);
  cmd->add_option("--instruction-requests", o->instruction_requests, "Requests counted in each callgrind run")
      ->check(CLI::Range(1L, 1'000'000L))
      ->capture_default_str();
  cmd->add_flag("--cold-start", o->cold_start,
                "Also time `strata serve` from spawn to its first correct answer, per tier (median of 20)");
  cmd->add_option("--functions", o->functions,
                  "Only seed 000's profile on the Lambda path: the top N functions by self instructions "
                  "(callgrind), cold and warm, per tier")
      ->check(CLI::Range(1L, 10'000L));
  cmd->add_flag("--cold-split", o->cold_split,
                "Only a cold start split into its parts (start, static init, build, first and second call), per tier");
  cmd->add_option("--starts", o->starts, "With --cold-split: starts per tier (the median is shown)")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  cmd->add_option("--reference", o->reference,
                  "With --cold-start, --functions or --cold-split: also the Python twins (python)")
      ->check(CLI::IsMember({"python"}));
  cmd->add_flag("--ablations", o->ablations,
                "Only the design-choices table: baseline vs each ablation on the tier it affects, ns per request "
                "(with --instructions or --instructions-total, instructions too), and router=linear against the "
                "tree as --routes grows");
  cmd->add_option("--flamegraph", o->flamegraph,
                  "Only flame graphs: DIR/TIER.svg per tier, the scenario's call stacks under callgrind, "
                  "width = instructions per request (--instruction-requests of them), colour = phase");
  cmd->add_flag("--syscalls", o->syscalls,
                "Also count system calls per request on a real server per tier (strata serve under wrk -t1 -c10, "
                "perf stat on its syscall tracepoints); needs wrk and perf");
  cmd->add_option("--io", o->io, "With --syscalls: the server's transport, libuv, uring or both")
      ->check(CLI::IsMember({"libuv", "uring", "both"}))
      ->capture_default_str();
  cmd->add_option("--syscall-seconds", o->syscall_seconds, "With --syscalls: seconds of load per tier")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  serving::add_ablation_flags(*cmd);
  // The child side of --instructions; not for people.
  cmd->add_option("--callgrind-child", o->callgrind_child)->group("");
  cmd->add_flag("--functions-child", o->functions_child)->group("");
  cmd->add_flag("--cold-split-child", o->cold_split_child)->group("");
  cmd->callback([o] {
    int status;
    try {
      status = run_profile(*o);
    } catch (const Failure& f) {
      std::fflush(stdout);
      std::fprintf(stderr, "strata profile: %s\n", f.why.c_str());
      status = 1;
    }
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace strata::cli
