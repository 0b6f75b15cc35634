// `strata profile --ablations`: what each design choice is worth, in
// process. Each row builds its tier twice, without and with one ablation,
// on the scenario the ablation affects; the process-wide set is replaced
// between builds (the one place that does, common/ablation.hpp), and each
// callgrind child gets the same set on its command line.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "cli/profile_internal.hpp"
#include "common/ablation.hpp"
#include "common/probe.hpp"

namespace strata::cli::profiling {

namespace {

constexpr int kBatches = 5;

struct Figures {
  double ns = 0;
  double instr = 0;  // 0: not counted
};

// Builds the tier with `set` and `routes`, and measures it.
Figures measure(const std::string& tier, const Scenario& sc, unsigned routes, const ablation::Set& set, long n,
                bool instructions, long instruction_requests) {
  ablation::set_active(set);
  ablation::set_extra_routes(routes);
  Figures f;
  {
    auto d = make_driver(tier);
    run_requests(*d, sc, std::max(200L, n / 10), tier);  // warm-up
    std::vector<double> batches;
    for (int i = 0; i < kBatches; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      run_requests(*d, sc, n, tier);
      batches.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
                        static_cast<double>(n));
    }
    f.ns = *std::min_element(batches.begin(), batches.end());
  }
  if (instructions) f.instr = total_instructions(tier, sc, instruction_requests);
  ablation::set_active({});
  ablation::set_extra_routes(0);
  return f;
}

std::string signed_group(double v) { return (v < 0 ? "-" : "+") + group(std::abs(v)); }

std::string percent(double base, double v) { return base > 0 ? fmt("%+.1f%%", 100.0 * (v - base) / base) : "-"; }

}  // namespace

void print_ablations(long n, bool instructions, long instruction_requests) {
  const bool probes_were = probe::enabled();
  probe::set_enabled(false);
  std::printf("what each design choice is worth: baseline vs one ablation, in process (no sockets);\n"
              "ns: fastest of %d batches of %ld requests%s\n\n",
              kBatches, n,
              instructions ? fmt("; instructions: callgrind, %ld requests", instruction_requests).c_str() : "");
  // Baselines are shared by the rows on the same tier, scenario and routes.
  std::map<std::tuple<std::string, std::string, unsigned>, Figures> baselines;
  auto baseline = [&](const std::string& tier, const std::string& scen, unsigned routes) {
    auto key = std::make_tuple(tier, scen, routes);
    auto it = baselines.find(key);
    if (it == baselines.end())
      it = baselines.emplace(key, measure(tier, scenario(scen), routes, {}, n, instructions, instruction_requests))
               .first;
    return it->second;
  };

  std::printf("%-42s %-6s %-5s %6s | %9s %9s %9s %8s", "ablation", "tier", "scen", "routes", "ns base", "ns abl",
              "delta", "%");
  if (instructions) std::printf(" | %9s %9s %9s %8s", "instr base", "instr abl", "delta", "%");
  std::printf("\n");
  std::fflush(stdout);
  std::vector<const ablation::TableRow*> wire_only;
  for (const ablation::TableRow& r : ablation::table_rows()) {
    // A pipelined batch's cost is its system calls: an in-memory stream
    // has none, so such a row is measured by the bench alone.
    if (r.scenario == "pipelined") {
      wire_only.push_back(&r);
      continue;
    }
    const Figures base = baseline(r.tier, r.scenario, r.routes);
    const Figures abl = measure(r.tier, scenario(r.scenario), r.routes, r.set, n, instructions, instruction_requests);
    std::printf("%-42s %-6s %-5s %6u | %9s %9s %9s %8s", ablation::describe(r.set).c_str(), r.tier.c_str(),
                r.scenario.c_str(), r.routes, group(base.ns).c_str(), group(abl.ns).c_str(),
                signed_group(abl.ns - base.ns).c_str(), percent(base.ns, abl.ns).c_str());
    if (instructions)
      std::printf(" | %9s %9s %9s %8s", group(base.instr).c_str(), group(abl.instr).c_str(),
                  signed_group(abl.instr - base.instr).c_str(), percent(base.instr, abl.instr).c_str());
    std::printf("\n");
    std::fflush(stdout);
  }
  for (const ablation::TableRow* r : wire_only)
    std::printf("%-42s %-6s %s: its cost is system calls, none in process; measured by `strata bench "
                "--scenario %s --ablations`\n",
                ablation::describe(r->set).c_str(), r->tier.c_str(), r->scenario.c_str(), r->scenario.c_str());

  std::printf("\nrouter=linear vs the segment tree as routes grow (tier app, POST /user, the extra routes first)\n\n");
  std::printf("%6s | %9s %9s", "routes", "ns tree", "ns linear");
  if (instructions) std::printf(" | %10s %10s", "instr tree", "instr lin");
  std::printf("\n");
  for (unsigned routes : ablation::route_sweep()) {
    const Figures tree = baseline("app", "user", routes);
    const Figures lin =
        measure("app", scenario("user"), routes, {{"router", "linear"}}, n, instructions, instruction_requests);
    std::printf("%6u | %9s %9s", routes, group(tree.ns).c_str(), group(lin.ns).c_str());
    if (instructions) std::printf(" | %10s %10s", group(tree.instr).c_str(), group(lin.instr).c_str());
    std::printf("\n");
    std::fflush(stdout);
  }
  probe::set_enabled(probes_were);
}

}  // namespace strata::cli::profiling
