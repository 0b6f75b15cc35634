// Renders a RunResult: the markdown table (stdout, --markdown), every raw
// figure as JSON (--json) and a bar chart (--chart, SVG). Pure functions of
// the result; nothing here measures or writes files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/results.hpp"
#include "harness/scenario.hpp"

namespace strata::bench {

// Seed 003's published table (another machine, msgspec codec, wrk -t2 -c10 -d10s).
struct PublishedRow {
  const char* tier;   // "raw", "http", "app", "typed", "peer"
  const char* name;   // as the seed printed it
  double rps;
  std::optional<double> decay;  // as published, percent
};
const std::vector<PublishedRow>& published_seed003();

// Seed 004's published FastAPI figures (another machine, wrk -t4 -c100 -d15s,
// ?delay=1, ?n=5000000), by route label.
struct PublishedRoute {
  const char* route;
  double rps;
};
const std::vector<PublishedRoute>& published_seed004();

// Seed 002's published table (another machine: uvicorn --workers 4,
// wrk -t4 -d30s on GET /), one row per framework and connection count.
struct PublishedSeed002 {
  const char* framework;
  int connections;
  double avg_ms, max_ms, rps, mb_read, kb_per_s;
};
const std::vector<PublishedSeed002>& published_seed002();

// Scenarios hello and root: seed 002's columns (average and max latency,
// req/s, data read, transfer rate) for every row measured, then the
// seed's own figures.
std::string render_seed002(const RunResult& run);

std::string render_markdown(const RunResult& run);
// The concurrency scenario's closing table, shaped like seed 004's: one line
// per route of `routes` (what the handler does, where its wait runs, the
// typed tier's req/s, p50 and p99), FastAPI's measured figures beside when
// the run has them, and the seed's published req/s when the run used the
// seed's ?delay= and ?n=.
std::string render_seed004(const RunResult& run, const std::vector<Route>& routes);
// Seed 001's table (database scenarios): per stack, req/s, latency, server
// and database CPU per request and the framework's share of the two.
std::string render_seed001(const RunResult& run);
std::string render_json(const RunResult& run);
std::string render_svg(const RunResult& run);

// Formatting used by the tables, exposed for the tests.
std::string format_thousands(double v);          // 148213.4 -> "148,213"
std::string format_rps(double v);                // 0.8 -> "0.80", 93.1 -> "93.10", 148213.4 -> "148,213"
std::string format_time_us(double us);           // 92.5 -> "93us", 1310 -> "1.31ms", 6.04e6 -> "6.04s"
std::string format_cpu_us(double us);            // 5.123 -> "5.12", 48.31 -> "48.3", 144.9 -> "145"
std::string format_decay(std::optional<double> percent, bool baseline);  // "(- 100%)", "(↓ 55.5%)", "(↑ 12.0%)"

}  // namespace strata::bench
