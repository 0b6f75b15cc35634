#include "harness/command.hpp"

#include <memory>

#include "harness/bench.hpp"
#include "harness/scenario.hpp"

namespace strata::bench {

void register_command(CLI::App& root) {
  auto o = std::make_shared<Options>();
  std::string scenarios;
  for (const auto& n : scenario_names()) scenarios += (scenarios.empty() ? "" : ", ") + n;

  auto* cmd = root.add_subcommand(
      "bench",
      "Run every tier alone under the same wrk load and print the decay table (req/s, server CPU per request, "
      "latency), seed 003 style. Servers are pinned to --server-cores, wrk to --client-cores.");
  cmd->add_option("--scenario", o->scenario,
                  "Workload: user (seed 003 POST /user), hello (seed 002 GET /index?name=strata), root (seed 002 GET /), pipelined "
                  "(GET / 16 deep), concurrency (seed 004 routes; needs the typed tier). One of: " + scenarios)
      ->capture_default_str();
  cmd->add_option("--tiers", o->tiers, "Rows to run, top to bottom: floor,raw,http,app,typed,typed-novalidate (a subset is fine; typed-novalidate is the typed tier with --no-validate-responses, beside the chain)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--connections", o->connections, "wrk connections (the concurrency scenario uses 100)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--warmup", o->warmup_s, "Seconds of warm-up before each measured run (figures discarded); 0: none")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  cmd->add_option("--duration", o->duration_s, "Seconds measured per row and trial")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  cmd->add_option("--trials", o->trials, "Rounds over all rows (round-robin); the table shows medians and min-max")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  // No CLI::Range: run_bench checks the range and says why in one line.
  cmd->add_option("--delay", o->load.delay_s,
                  "concurrency: seconds each sleeping route sleeps, sent as ?delay= (0 to 60; seed 004: 1)")
      ->capture_default_str();
  cmd->add_option("--work", o->load.work,
                  "concurrency: how far each CPU route counts, sent as ?n= (0 to 1000000000; seed 004: 5000000)")
      ->capture_default_str();
  cmd->add_option("--contacts", o->contacts,
                  "Database scenarios (contacts, contacts-one, contacts-types, contacts-version, contacts-digest): contacts to load")
      ->capture_default_str();
  cmd->add_option("--workers", o->workers,
                  "Workers per server: strata serve --workers, uvicorn/gunicorn --workers for the Python twins "
                  "(not asyncio's raw twin), GOMAXPROCS for seed 001's Go twin; 1 to 64")
      ->capture_default_str();
  cmd->add_option("--wrk-threads", o->wrk_threads,
                  "wrk's threads (-t), at most --connections; default: one per client CPU (seed 002 used 4)")
      ->capture_default_str();
  cmd->add_option("--page-size", o->page_size, "The contacts scenario: contacts per page (?page_size=, 1 to 100)")
      ->capture_default_str();
  cmd->add_option("--server-cores", o->server_cores, "CPUs the servers are pinned to, e.g. 0 or 0-1 (default: the first one)");
  cmd->add_option("--client-cores", o->client_cores, "CPUs wrk is pinned to, one wrk thread each (default: the others)");
  cmd->add_option("--reference", o->reference,
                  "Also run the Python twins (asyncio, uvicorn, Starlette, FastAPI) side by side: python");
  cmd->add_option("--peers", o->peers, "Peer servers to add, when installed: node,go,rust,nginx,h2o,beast (nginx, h2o: hello, root and pipelined only; beast is compiled at start)")->delimiter(',');
  cmd->add_option("--port", o->port, "Port every server listens on; 0 picks a free one each time")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--json", o->json_file, "Write every raw figure and the run's settings as JSON to FILE");
  cmd->add_option("--chart", o->chart_file, "Write a bar chart (req/s and CPU per request per row) as SVG to FILE");
  cmd->add_option("--markdown", o->markdown_file, "Write the table as markdown to FILE");
  cmd->add_option("--wrk", o->wrk, "The wrk to run (a name on PATH or a path)")->capture_default_str();
  cmd->add_option("--python", o->python, "Python interpreter with Debian's python3-uvicorn & co")->capture_default_str();
  cmd->add_option("--strata-binary", o->strata_binary, "strata binary whose tiers are measured (default: this one)");
  cmd->add_option("--floor-binary", o->floor_binary, "strata-floor binary (default: the one built with strata)");
  cmd->add_option("--io", o->io,
                  "Transport under strata's rows: libuv, uring (serve --io uring; the floor row gains its io_uring "
                  "twin) or both (each strata row on libuv, then on io_uring)")
      ->check(CLI::IsMember({"libuv", "uring", "both"}))
      ->capture_default_str();
  cmd->add_option("--floor-uring-binary", o->floor_uring_binary,
                  "strata-floor-uring binary (default: the one built with strata)");
  cmd->add_option("--reference-dir", o->reference_dir, "Directory holding python/, node/ and go/ reference servers");

  cmd->add_flag("!--no-syscalls", o->syscalls,
                "Skip the pass after the trials that counts each row's system calls per request with perf stat");
  cmd->add_flag("!--no-instructions", o->instructions,
                "Skip counting each strata row's instructions per request (strata profile --instructions-total, under "
                "valgrind) after the trials");
  cmd->add_option("--perf", o->perf, "The perf to count system calls with (a name on PATH or a path)")
      ->capture_default_str();
  cmd->add_flag("--ablations", o->ablations,
                "Also run each ablation (strata serve --ablate) beside its baseline, and router=linear against the "
                "tree as --routes grows; prints what each design choice is worth (docs/design-choices.md)");
  cmd->add_option("--ablations-only", o->ablations_only,
                  "With --ablations: only these ablations' rows, e.g. middleware,date (router also keeps the "
                  "--routes sweep)")
      ->delimiter(',');

  cmd->callback([o] {
    const int status = run_bench(*o);
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace strata::bench
