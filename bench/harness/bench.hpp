// `strata bench`: runs every tier alone under the same load and prints the
// decay table (see docs in bench/README.md).
//
// For each row and trial: start the server pinned to the server cores,
// check its answer byte for byte, warm up, run wrk pinned to the client
// cores while sampling the server's CPU time, check the answer again, stop
// the server with SIGINT. Rows run round-robin across trials.
#pragma once

#include <string>
#include <vector>

#include "harness/scenario.hpp"

namespace strata::bench {

struct Options {
  std::string scenario = "user";
  std::vector<std::string> tiers = {"floor", "raw", "http", "app", "typed", "typed-novalidate"};
  int connections = 10;
  int warmup_s = 2;
  int duration_s = 8;
  int trials = 3;
  Load load;                 // --delay, --work: the concurrency scenario's query parameters
  long long contacts = 10000;  // --contacts: rows `strata db load` puts in the database scenarios' databases
  int workers = 1;             // --workers: strata's loops, uvicorn's/gunicorn's processes per server
  int wrk_threads = 0;         // --wrk-threads: wrk -t; 0: one per client CPU
  int page_size = 20;          // --page-size: the contacts scenario's ?page_size=
  std::string server_cores;  // "" : the first CPU this process may use
  std::string client_cores;  // "" : the others (or the same one on a 1-CPU machine)
  std::string reference;     // "" or "python"
  std::vector<std::string> peers;  // "node", "go"
  int port = 0;                    // 0: every server picks a free port
  std::string json_file, chart_file, markdown_file;
  std::string wrk = "wrk";                   // name on PATH or a path
  std::string python = "/usr/bin/python3";   // Debian's, which sees python3-uvicorn & co
  std::string strata_binary;                 // "" : this executable
  std::string floor_binary;                  // "" : the one built beside the harness
  // The transport under strata's rows: "libuv", "uring" or "both" (each
  // strata row twice, libuv then io_uring). With io_uring, the floor row
  // gains its io_uring twin (strata-floor-uring) and strata's rows run
  // with `serve --io uring`, as their own chain.
  std::string io = "libuv";
  std::string floor_uring_binary;            // "" : the one built beside the harness
  std::string reference_dir;                 // "" : bench/reference in the source tree
  // --ablations: beside the chains, each ablation's baseline and ablated
  // rows, and the --routes sweep; then the "what each choice is worth" table.
  bool ablations = false;
  // --ablations-only: the rows of these ablations alone ("router" keeps
  // the --routes sweep); empty: all of them.
  std::vector<std::string> ablations_only;
  // After the trials, each row's system calls per request, counted by
  // `perf stat` in a run of its own (harness/counters.hpp); --no-syscalls
  // skips the pass.
  bool syscalls = true;
  std::string perf = "perf";  // name on PATH or a path
  // After the trials, each strata row's instructions per request from
  // `strata profile --instructions` (user, hello; needs valgrind);
  // --no-instructions skips it.
  bool instructions = true;
};

inline const std::vector<std::string> kTierNames = {"floor", "raw", "http", "app", "typed", "typed-novalidate"};
inline const std::vector<std::string> kPeerNames = {"node", "go", "rust", "nginx", "h2o", "beast"};

// Runs the benchmark: the table on stdout, progress and one-line errors on
// stderr. Returns the exit status: 0 every row valid; 1 a row invalid, a
// server that failed to start or answered wrongly, a missing tool, a file
// that could not be written; 2 bad input (unknown scenario or tier, a
// scenario whose tier this build lacks, --delay or --work out of range);
// 130 interrupted.
int run_bench(const Options& options);

}  // namespace strata::bench
