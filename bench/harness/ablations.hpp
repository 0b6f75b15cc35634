// `strata bench --ablations`: the table of what each design choice is
// worth, from the rows bench.cpp planned beside the chains (one baseline
// and one ablated server per entry of ablation::table_rows(), and the
// linear router against the tree as --routes grows).
#pragma once

#include <string>

#include "harness/results.hpp"

namespace strata::bench {

// The id prefix a baseline row and its ablated rows share:
// "ablation/app" or "ablation/app@routes=100".
std::string ablation_group_id(const std::string& tier, unsigned routes);

// Markdown: per ablated row, req/s and server CPU per request (medians),
// baseline vs ablated, delta and percent; then the --routes sweep. Rows
// that did not run, or were invalid, show "-".
std::string render_ablations(const RunResult& run);

}  // namespace strata::bench
