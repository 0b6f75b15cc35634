// `strata profile`: where a request's time goes, tier by tier, without the
// kernel in the way.
//
//   strata profile [--tier raw|http|app|typed|all] [--requests N] [--scenario user|hello]
//                  [--instructions] [--cold-start [--reference python]]
//   strata profile --functions N [--tier ...] [--reference python]
//   strata profile --cold-split [--tier ...] [--starts N] [--reference python]
//
// Every tier is driven in-process over a loop::MemoryStream: the request's
// bytes are fed to the tier's protocol engine (tier 1's raw framing, or
// tier 2's HTTP/1.1 engine with the bare app, the tier-3 Application or the
// tier-4 API behind it), and the response is read back from the stream.
// Each tier's figure is therefore the whole stack up to it, as
// `strata serve --tier T` runs it, minus the sockets; the difference
// between two rows is what a layer costs.
//
// It prints, per tier, ns/request with probes off and on, and the phase
// split (probe self time per request). --instructions re-runs itself under
// `valgrind --tool=callgrind` with instrumentation on only around the
// measured loop, once for the total and once per phase (collection switched
// on only while that phase is the innermost open span), and prints
// instructions per request per tier and per phase and the decay between
// tiers; the counts repeat exactly from run to run. --cold-start times
// `strata serve` from spawn to its first correct answer (median of 20).
//
// --functions N and --cold-split follow seed 000 on the Lambda event path
// (one API Gateway GET event through the tier's lambda::Invoker, as
// `strata invoke` runs it) and print only their own tables. --functions N:
// callgrind's top N functions by self instructions, with inclusive
// instructions and call counts, for the cold process (its first instruction
// through the first answer) and for one warm invocation, per tier (raw and
// http, below the adapter's tier 3, answer the same GET through the
// in-memory engine instead); --reference python adds the twins' cProfile
// tables (FastAPI behind Mangum's twin, a lambda-proxy-style handler). --cold-split: spawn, static initialisers, argument parsing,
// building the app, the first and the second call, per tier (raw and http
// through the in-memory engine), median of --starts; --reference python
// adds the twins' interpreter start, imports, build and calls.
//
// Exit status: 0, 1 when a tier answered wrongly or a tool failed (one line
// on stderr says why), 2 for bad arguments.
#pragma once

#include <CLI/CLI.hpp>

namespace strata::cli {

// Adds the `profile` subcommand; on failure its callback throws
// CLI::RuntimeError(status) after saying why on stderr.
void register_profile_command(CLI::App& root);

// Call first thing in main(): --cold-split's child marks the moment.
void note_main_entered();

}  // namespace strata::cli
