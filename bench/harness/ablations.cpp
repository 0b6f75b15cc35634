#include "harness/ablations.hpp"

#include <cmath>
#include <cstdio>

#include "common/ablation.hpp"

namespace strata::bench {

namespace {

const RowResult* find_row(const RunResult& run, const std::string& id) {
  for (const RowResult& r : run.rows)
    if (r.id == id) return &r;
  return nullptr;
}

std::string figure(const std::optional<Spread>& s, const char* f) {
  if (!s) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, s->median);
  return buf;
}

std::string delta(const RowResult* base, const RowResult* abl, bool percent) {
  if (!base || !abl || !base->valid || !abl->valid || !base->summary.cpu_us || !abl->summary.cpu_us) return "-";
  const double b = base->summary.cpu_us->median, a = abl->summary.cpu_us->median;
  char buf[64];
  if (percent) std::snprintf(buf, sizeof buf, "%+.1f%%", b > 0 ? 100.0 * (a - b) / b : 0.0);
  else std::snprintf(buf, sizeof buf, "%+.2f", a - b);
  return buf;
}

}  // namespace

std::string ablation_group_id(const std::string& tier, unsigned routes) {
  return "ablation/" + tier + (routes ? "@routes=" + std::to_string(routes) : "");
}

std::string render_ablations(const RunResult& run) {
  std::string md =
      "\n### What each design choice is worth\n\n"
      "Server CPU per request (us) and req/s, medians over the trials; an ablation's baseline is the same tier "
      "with the same --routes and no ablation, run in the same round of each trial. Instructions per request: "
      "`strata profile --ablations --instructions`.\n\n"
      "| ablation | tier | routes | req/s base | req/s ablated | CPU/req base | CPU/req ablated | delta | % |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const ablation::TableRow& r : ablation::table_rows()) {
    const std::string group = ablation_group_id(r.tier, r.routes);
    const RowResult* base = find_row(run, group + "/baseline");
    const RowResult* abl = find_row(run, group + "/" + ablation::describe(r.set));
    if (!base && !abl) continue;  // another scenario's row
    md += "| " + ablation::describe(r.set) + " | " + r.tier + " | " + std::to_string(r.routes) + " | " +
          (base ? figure(base->summary.rps, "%.0f") : "-") + " | " + (abl ? figure(abl->summary.rps, "%.0f") : "-") +
          " | " + (base ? figure(base->summary.cpu_us, "%.2f") : "-") + " | " +
          (abl ? figure(abl->summary.cpu_us, "%.2f") : "-") + " | " + delta(base, abl, false) + " | " +
          delta(base, abl, true) + " |\n";
  }
  md += "\nrouter=linear against the segment tree as routes are added (tier app, the extra routes first):\n\n"
        "| routes | CPU/req tree | CPU/req linear | delta | % |\n|---:|---:|---:|---:|---:|\n";
  for (unsigned routes : ablation::route_sweep()) {
    const std::string group = ablation_group_id("app", routes);
    const RowResult* tree = find_row(run, group + "/baseline");
    const RowResult* lin = find_row(run, group + "/router=linear");
    if (!tree && !lin) continue;
    md += "| " + std::to_string(routes) + " | " + (tree ? figure(tree->summary.cpu_us, "%.2f") : "-") + " | " +
          (lin ? figure(lin->summary.cpu_us, "%.2f") : "-") + " | " + delta(tree, lin, false) + " | " +
          delta(tree, lin, true) + " |\n";
  }
  return md;
}

}  // namespace strata::bench
