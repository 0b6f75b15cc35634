// `strata bench --ablations`: the table of what each design choice is
// worth, from the rows bench.cpp planned beside the chains (one baseline
// and one ablated server per entry of ablation::table_rows(), and the
// linear router against the tree as --routes grows). With --reference
// python, strata's middleware rows gain Starlette twins (the same number
// of pure-ASGI or BaseHTTPMiddleware pass-throughs), and its router rows
// too (Starlette with the same extra routes, which it always scans), each
// against Starlette with none.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/ablation.hpp"
#include "harness/results.hpp"

namespace strata::bench {

// The id prefix a baseline row and its ablated rows share:
// "ablation/app" or "ablation/app@routes=100".
std::string ablation_group_id(const std::string& tier, unsigned routes);

// The Starlette rows share this group ("ablation/starlette").
inline const std::string kStarletteGroup = "ablation/starlette";

// Whether a table row has a Starlette twin: user middlewares on the app
// tier without extra routes, or router=linear with N extra routes (whose
// twin is Starlette, which always scans, with the same N extra routes).
// Every twin's baseline is Starlette with no middleware and no extra route.
bool has_starlette_twin(const ablation::TableRow& row);
// "Starlette, 5 BaseHTTPMiddleware", "Starlette, 1 pure-ASGI middleware",
// "Starlette, 100 extra routes", and "Starlette, no middleware" for the
// empty set with no routes.
std::string starlette_label(const ablation::Set& set, unsigned routes = 0);
// The row id of a Starlette twin: kStarletteGroup + "/baseline",
// "/middleware=5", or "/routes=100" for router=linear's twin.
std::string starlette_id(const ablation::Set& set, unsigned routes = 0);
// The environment the Starlette twin reads (starlette_server.py).
std::vector<std::string> starlette_env(const ablation::Set& set, unsigned routes = 0);

// Whether `set` is among the ablations --ablations-only names (all when
// `only` is empty).
bool ablation_selected(const ablation::Set& set, const std::vector<std::string>& only);

// One line of the table: an ablated row and its baseline, found by id.
struct AblationPair {
  std::string ablation;  // "date=per-response", "Starlette, 5 BaseHTTPMiddleware"
  std::string tier;      // "http", "python app"
  unsigned routes = 0;
  const RowResult* base = nullptr;
  const RowResult* ablated = nullptr;
  // Server CPU per request, ablated minus baseline: set when both are valid.
  std::optional<double> delta_us, delta_percent;
};
// The table's lines in order, each Starlette twin right after its strata
// row; lines neither of whose rows ran are left out.
std::vector<AblationPair> ablation_pairs(const RunResult& run);

// Markdown: per ablated row, req/s and server CPU per request (medians),
// baseline vs ablated, delta and percent; then the --routes sweep. Rows
// that did not run, or were invalid, show "-".
std::string render_ablations(const RunResult& run);

}  // namespace strata::bench
