#include "cli/profile.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/profile_internal.hpp"

namespace strata::cli {

namespace {

using namespace profiling;

struct Options {
  std::string tier = "all";
  long requests = 20000;
  std::string scenario = "user";
  bool instructions = false;
  long instruction_requests = 1000;
  bool cold_start = false;
  std::string reference;
  std::string callgrind_child;
};

int run_profile(const Options& o) {
  const Scenario sc = scenario(o.scenario);
  std::vector<std::string> tiers = o.tier == "all" ? kTiers : std::vector<std::string>{o.tier};
  if (!o.callgrind_child.empty()) return callgrind_child(tiers.front(), sc, o.requests, o.callgrind_child);

  std::printf("strata profile: scenario %s (%s), tiers", sc.name.c_str(),
              sc.name == "user" ? "POST /user, a JSON User round trip" : "GET /index?name=strata");
  for (const auto& t : tiers) std::printf(" %s", t.c_str());
  std::printf("\n\n");
  std::fflush(stdout);
  std::vector<TierTimes> times;
  for (const auto& t : tiers) times.push_back(time_tier(t, sc, o.requests));
  print_times(times, o.requests);
  std::fflush(stdout);
  if (o.instructions) {
    const auto instr = measure_instructions(times, sc, o.instruction_requests);
    print_instructions(instr, o.instruction_requests);
    std::fflush(stdout);
  }
  if (o.cold_start) print_cold_start(times, sc, o.reference);
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
  cmd->add_flag("--instructions", o->instructions,
                "Also count instructions per request, per tier and per phase, under valgrind --tool=callgrind");
  cmd->add_option("--instruction-requests", o->instruction_requests, "Requests counted in each callgrind run")
      ->check(CLI::Range(1L, 1'000'000L))
      ->capture_default_str();
  cmd->add_flag("--cold-start", o->cold_start,
                "Also time `strata serve` from spawn to its first correct answer, per tier (median of 20)");
  cmd->add_option("--reference", o->reference, "With --cold-start: also the Python twins (python)")
      ->check(CLI::IsMember({"python"}));
  // The child side of --instructions; not for people.
  cmd->add_option("--callgrind-child", o->callgrind_child)->group("");
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
