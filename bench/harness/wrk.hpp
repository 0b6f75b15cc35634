// The load generator's side of `strata bench`: the Lua script wrk runs for a
// scenario, and the figures read back from wrk's report. Pure functions, so
// the tests can feed them wrk's output verbatim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harness/scenario.hpp"

namespace strata::bench {

// The Lua script for one route: sets method, path, body and Content-Type
// (seed 003's post.lua), or, when `pipeline_depth` > 1, builds that many
// requests with wrk.format in init() and hands them out together from
// request() (TechEmpower's pipeline.lua). Every string is Lua-escaped.
std::string wrk_script(const Route& route, int pipeline_depth);

// A string as a Lua double-quoted literal (quotes included).
std::string lua_quote(std::string_view s);

// What wrk reported for one run. Times are microseconds.
struct WrkReport {
  uint64_t requests = 0;  // "N requests in T, X read" (pipelined: responses)
  double duration_s = 0;  // T from that line
  double rps = 0;         // "Requests/sec:"
  double latency_avg_us = 0;
  double latency_max_us = 0;  // "Latency  avg  stdev  max  +/- stdev": the third figure
  // "N requests in T, X read" and "Transfer/sec: Y": wrk's 1024-based units
  // (B, KB, MB, GB, TB) as bytes. Seed 002 tabled both.
  double bytes_read = 0;
  double transfer_per_s = 0;
  double p50_us = 0, p75_us = 0, p90_us = 0, p99_us = 0;
  bool has_distribution = false;  // the --latency block was present
  // "Socket errors: connect C, read R, write W, timeout T" (absent: all 0)
  uint64_t errors_connect = 0, errors_read = 0, errors_write = 0, errors_timeout = 0;
  uint64_t non2xx = 0;  // "Non-2xx or 3xx responses: N" (absent: 0)

  uint64_t socket_errors() const { return errors_connect + errors_read + errors_write + errors_timeout; }
};

// Parses wrk 4's report. Returns nullopt (and a reason in `error`) when the
// lines every run prints ("requests in", "Requests/sec") are missing or
// malformed; the Socket errors / Non-2xx lines are optional, as in wrk.
std::optional<WrkReport> parse_wrk_report(std::string_view text, std::string& error);

// One of wrk's time figures ("141.10us", "1.31ms", "6.04s", "1.50m",
// "2.00h") in microseconds; nullopt for anything else.
std::optional<double> parse_wrk_time_us(std::string_view token);

// One of wrk's byte figures ("512.00B", "285.95KB", "8.39MB", "1.02GB") in
// bytes; nullopt for anything else.
std::optional<double> parse_wrk_bytes(std::string_view token);

// "wrk 4.1.0 [epoll] Copyright ..." -> "4.1.0"; empty when not recognised.
std::string parse_wrk_version(std::string_view text);

}  // namespace strata::bench
