// What one `strata bench` run measured: settings, machine, and every raw
// figure per row and trial. Filled by the runner (bench.cpp), summarised by
// summarize_rows(), rendered by report.hpp. Plain data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/stats.hpp"
#include "harness/counters.hpp"
#include "harness/wrk.hpp"

namespace strata::bench {

// One measured run of one row.
struct TrialFigures {
  int trial = 0;               // 1-based
  bool measured = false;       // wrk ran and its report was read
  bool valid = false;          // measured, no socket errors, no non-2xx, answered right after the run
  std::string invalid_reason;  // why not, one line
  // Seed 004's loop-blocking rows: the server stayed up without an error
  // but answered nothing within the run, because every connection's
  // request was queued behind handlers that block its loop. A measurement
  // (0 req/s, every latency above the run's length), not a failure.
  bool unanswered = false;
  WrkReport wrk;
  uint64_t ticks_before = 0, ticks_after = 0;  // server utime+stime, clock ticks
  double cpu_s = 0;              // server CPU seconds during the measured run
  double wall_s = 0;             // wall seconds between the two CPU samples
  double cpu_us_per_request = 0; // cpu_s * 1e6 / wrk.requests
  // The same split into user mode (the server's own code) and kernel mode
  // (its system calls, the TCP stack, wake-ups): where a loopback request's
  // time goes is mostly the second.
  double user_us_per_request = 0, sys_us_per_request = 0;
  double busy = 0;               // cpu_s / wall_s (1.0 = one core fully busy)
  // Database scenarios: the PostgreSQL cluster's CPU (postmaster and every
  // backend) per request over the same run; unset for SQLite and no database.
  std::optional<double> db_cpu_us_per_request;
  std::string stop_note;         // "" when the server stopped cleanly on SIGINT
  std::optional<double> decay_rps, decay_cpu;  // vs the nearest valid row above, this trial
};

struct RowSummary {
  std::optional<Spread> rps, cpu_us, p50_us, p90_us, p99_us, busy, decay_rps, decay_cpu, db_cpu_us;
  std::optional<Spread> user_us, sys_us;
  // Seed 002's columns: wrk's average and max latency, bytes read and Transfer/sec.
  std::optional<Spread> avg_us, max_us, bytes_read, transfer_per_s;
  uint64_t socket_errors = 0, non2xx = 0;
  int unanswered = 0;  // trials with no answer within the run (TrialFigures::unanswered)
};

struct RowResult {
  std::string id;     // "strata/raw", "python/http", "peer/node", "floor"
  std::string chain;  // rows whose decay is computed together: "strata", "python"; "" for none
  std::string stack;  // "floor", "strata", "python", "node", "go" (colours, JSON)
  std::string tier;   // "floor", "raw", "http", "app", "typed", "peer"
  std::string label;  // what the table says
  std::string route;  // the route's label
  std::string target; // the route's path and query, as requested
  bool available = true;
  std::string skip_reason;     // when !available
  std::string database;        // "postgresql", "sqlite" or "" (database scenarios)
  std::vector<TrialFigures> trials;
  bool valid = false;          // available and every trial valid
  std::string invalid_reason;  // first reason a trial was invalid
  bool client_bound = false;   // median server CPU below 90% of a core
  RowSummary summary;
  // The counting pass after the trials (harness/counters.hpp): the counts
  // over `syscall_requests` requests, or why there are none.
  std::optional<SyscallCounts> syscalls;
  uint64_t syscall_requests = 0;
  std::string syscalls_note;
  // strata rows: instructions per request in process (counters.hpp).
  std::optional<double> instructions_per_request;
  std::optional<double> syscalls_per_request() const {
    if (!syscalls || syscall_requests == 0) return std::nullopt;
    return static_cast<double>(syscalls->total) / static_cast<double>(syscall_requests);
  }
};

struct RunSettings {
  std::string scenario, scenario_description;
  int connections = 10;
  int wrk_threads = 1;
  int warmup_s = 2, duration_s = 8, trials = 3;
  int pipeline_depth = 1;
  int wrk_timeout_s = 2;
  // The concurrency scenario's ?delay= and ?n=; unset for scenarios without them.
  std::optional<double> delay_s;
  std::optional<long long> work;
  std::vector<int> server_cpus, client_cpus;
  std::vector<std::string> tiers;
  std::string reference;            // "" or "python"
  std::vector<std::string> peers;
  std::string strata_binary, floor_binary, wrk_binary, python_binary;
  std::string floor_uring_binary;  // with --io uring or both
  std::string perf_binary;         // "" : system calls not counted
  int syscall_seconds = 0;         // the counting pass's wrk run per row
  // Database scenarios: how many contacts were loaded (0: no database).
  long long contacts = 0;
  int workers = 1, page_size = 0;  // database scenarios (page_size: the contacts scenario only)
};

struct MachineInfo {
  std::string cpu_model;
  int cores_online = 0;
  std::string kernel;
  long clock_ticks = 100;
};

struct RunResult {
  RunSettings settings;
  MachineInfo machine;
  std::map<std::string, std::string> versions;  // "strata", "wrk", "python", "uvicorn", "node", ...
  std::string started_at;                       // UTC, ISO 8601
  std::vector<RowResult> rows;                  // display order
  std::vector<std::string> notes;               // skipped rows, warnings; one line each
  bool interrupted = false;
};

// Fills each row's validity, per-trial decays (within its chain, between
// adjacent valid rows) and summary. A row invalid in any trial is left out
// of every trial's chain, so all trials compare the same rows.
void summarize_rows(std::vector<RowResult>& rows);

}  // namespace strata::bench
