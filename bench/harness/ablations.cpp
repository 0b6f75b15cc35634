#include "harness/ablations.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace strata::bench {

namespace {

const RowResult* find_row(const RunResult& run, const std::string& id) {
  for (const RowResult& r : run.rows)
    if (r.id == id) return &r;
  return nullptr;
}

std::string figure(const RowResult* r, const std::optional<Spread> RowSummary::*field, const char* f) {
  if (!r || !(r->summary.*field)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, (r->summary.*field)->median);
  return buf;
}

std::string signed_figure(const std::optional<double>& v, const char* f) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, *v);
  return buf;
}

AblationPair pair(const RunResult& run, std::string ablation, std::string tier, unsigned routes,
                  const std::string& base_id, const std::string& ablated_id) {
  AblationPair p{std::move(ablation), std::move(tier), routes, find_row(run, base_id), find_row(run, ablated_id), {}, {}};
  if (p.base && p.ablated && p.base->valid && p.ablated->valid && p.base->summary.cpu_us && p.ablated->summary.cpu_us) {
    const double b = p.base->summary.cpu_us->median, a = p.ablated->summary.cpu_us->median;
    p.delta_us = a - b;
    p.delta_percent = b > 0 ? 100.0 * (a - b) / b : 0.0;
  }
  return p;
}

// The counting passes' figures of a row (harness/counters.hpp): system
// calls per request, and a strata row's instructions per request.
std::string syscalls(const RowResult* r) {
  return r ? signed_figure(r->syscalls_per_request(), "%.2f") : "-";
}
std::string instructions(const RowResult* r) {
  return r ? signed_figure(r->instructions_per_request, "%.0f") : "-";
}

std::string line(const std::string& first, const AblationPair& p) {
  return "| " + first + " | " + figure(p.base, &RowSummary::rps, "%.0f") + " | " +
         figure(p.ablated, &RowSummary::rps, "%.0f") + " | " + figure(p.base, &RowSummary::cpu_us, "%.2f") + " | " +
         figure(p.ablated, &RowSummary::cpu_us, "%.2f") + " | " + signed_figure(p.delta_us, "%+.2f") + " | " +
         signed_figure(p.delta_percent, "%+.1f%%") + " | " + syscalls(p.base) + " | " + syscalls(p.ablated) + " | " +
         instructions(p.base) + " | " + instructions(p.ablated) + " |\n";
}

}  // namespace

std::string ablation_group_id(const std::string& tier, unsigned routes) {
  return "ablation/" + tier + (routes ? "@routes=" + std::to_string(routes) : "");
}

namespace {

bool is_linear_router(const ablation::Set& set) {
  return set.size() == 1 && set[0].name == "router" && set[0].value == "linear";
}

}  // namespace

bool has_starlette_twin(const ablation::TableRow& row) {
  if (row.tier != "app" || row.set.empty()) return false;
  if (is_linear_router(row.set)) return true;
  return row.routes == 0 && std::all_of(row.set.begin(), row.set.end(), [](const ablation::Setting& s) {
           return s.name == "middleware" || s.name == "middleware-style";
         });
}

std::string starlette_label(const ablation::Set& set, unsigned routes) {
  if (routes > 0) return "Starlette, " + std::to_string(routes) + " extra route" + (routes == 1 ? "" : "s");
  unsigned n = 0;
  bool wrapped = false;
  for (const ablation::Setting& s : set) {
    if (s.name == "middleware") n = static_cast<unsigned>(std::stoul(s.value));
    if (s.name == "middleware-style") wrapped = s.value == "wrapped";
  }
  if (n == 0) return "Starlette, no middleware";
  return "Starlette, " + std::to_string(n) +
         (wrapped ? " BaseHTTPMiddleware" : n == 1 ? " pure-ASGI middleware" : " pure-ASGI middlewares");
}

std::string starlette_id(const ablation::Set& set, unsigned routes) {
  if (routes > 0) return kStarletteGroup + "/routes=" + std::to_string(routes);
  return kStarletteGroup + "/" + ablation::describe(is_linear_router(set) ? ablation::Set{} : set);
}

std::vector<std::string> starlette_env(const ablation::Set& set, unsigned routes) {
  std::vector<std::string> env;
  for (const ablation::Setting& s : set) {
    if (s.name == "middleware") env.push_back("STRATA_MIDDLEWARE=" + s.value);
    if (s.name == "middleware-style") env.push_back("STRATA_MIDDLEWARE_STYLE=" + s.value);
  }
  if (routes > 0) env.push_back("STRATA_ROUTES=" + std::to_string(routes));
  return env;
}

bool ablation_selected(const ablation::Set& set, const std::vector<std::string>& only) {
  if (only.empty()) return true;
  return std::any_of(set.begin(), set.end(), [&](const ablation::Setting& s) {
    return std::find(only.begin(), only.end(), s.name) != only.end();
  });
}

std::vector<AblationPair> ablation_pairs(const RunResult& run) {
  std::vector<AblationPair> out;
  auto keep = [&](AblationPair p) {
    if (p.ablated) out.push_back(std::move(p));  // else another scenario's, or not asked for
  };
  for (const ablation::TableRow& r : ablation::table_rows()) {
    const std::string group = ablation_group_id(r.tier, r.routes);
    const std::string name = ablation::describe(r.set);
    keep(pair(run, name, r.tier, r.routes, group + "/baseline", group + "/" + name));
    if (has_starlette_twin(r))
      keep(pair(run, starlette_label(r.set, r.routes), "python app", r.routes, starlette_id({}),
                starlette_id(r.set, r.routes)));
  }
  return out;
}

std::string render_ablations(const RunResult& run) {
  std::string md =
      "\n### What each design choice is worth\n\n"
      "Server CPU per request (us) and req/s, medians over the trials; an ablation's baseline is the same tier "
      "with the same --routes and no ablation, run in the same round of each trial. A Starlette row's baseline "
      "is Starlette with no middleware. Instructions per request: "
      "`strata profile --instructions` with the row's ablations, after the trials; system calls per request: "
      "the counting pass after the trials (`-` where a pass was skipped or does not apply).\n\n"
      "| ablation | tier | routes | req/s base | req/s ablated | CPU/req base | CPU/req ablated | delta | % "
      "| syscalls/req base | syscalls/req ablated | instr/req base | instr/req ablated |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  // A row that could not run (Starlette not installed) says why once under
  // the table, with every line it left empty.
  std::vector<std::pair<std::string, std::string>> skipped;  // reason, lines
  for (const AblationPair& p : ablation_pairs(run)) {
    md += line(p.ablation + " | " + p.tier + " | " + std::to_string(p.routes), p);
    for (const RowResult* r : {p.base, p.ablated}) {
      if (!r || r->available) continue;
      auto it = std::find_if(skipped.begin(), skipped.end(), [&](const auto& s) { return s.first == r->skip_reason; });
      if (it == skipped.end()) it = skipped.insert(skipped.end(), {r->skip_reason, ""});
      it->second += (it->second.empty() ? "" : "; ") + p.ablation;
      break;
    }
  }
  for (const auto& [reason, lines] : skipped) md += "\nNot measured (" + reason + "): " + lines + ".\n";
  // With --reference python, Starlette's own router (always a scan) with
  // the same extra routes, and what they add to Starlette with none.
  std::string sweep;
  bool starlette = false;
  for (unsigned routes : ablation::route_sweep())
    starlette |= find_row(run, starlette_id({{"router", "linear"}}, routes)) != nullptr;
  for (unsigned routes : ablation::route_sweep()) {
    const std::string group = ablation_group_id("app", routes);
    const AblationPair p = pair(run, "router=linear", "app", routes, group + "/baseline", group + "/router=linear");
    if (!p.ablated) continue;
    sweep += "| " + std::to_string(routes) + " | " + figure(p.base, &RowSummary::cpu_us, "%.2f") + " | " +
             figure(p.ablated, &RowSummary::cpu_us, "%.2f") + " | " + signed_figure(p.delta_us, "%+.2f") + " | " +
             signed_figure(p.delta_percent, "%+.1f%%") + " |";
    if (starlette) {
      const AblationPair s = pair(run, "", "python app", routes, starlette_id({}),
                                  starlette_id({{"router", "linear"}}, routes));
      sweep += " " + figure(s.ablated, &RowSummary::cpu_us, "%.2f") + " | " + signed_figure(s.delta_us, "%+.2f") + " |";
    }
    sweep += "\n";
  }
  if (!sweep.empty())
    md += "\nrouter=linear against the segment tree as routes are added (tier app, the extra routes first):\n\n"
          "| routes | CPU/req tree | CPU/req linear | delta | % |" +
          std::string(starlette ? " CPU/req Starlette | delta vs none |\n|---:|---:|---:|---:|---:|---:|---:|\n"
                                : "\n|---:|---:|---:|---:|---:|\n") +
          sweep;
  return md;
}

}  // namespace strata::bench
