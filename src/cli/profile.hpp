// `strata profile`: where a request's time goes, tier by tier, without the
// kernel in the way.
//
//   strata profile [--tier raw|http|app|typed|all] [--requests N] [--scenario user|hello]
//                  [--instructions] [--cold-start [--reference python]]
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
// Exit status: 0, 1 when a tier answered wrongly or a tool failed (one line
// on stderr says why), 2 for bad arguments.
#pragma once

#include <CLI/CLI.hpp>

namespace strata::cli {

// Adds the `profile` subcommand; on failure its callback throws
// CLI::RuntimeError(status) after saying why on stderr.
void register_profile_command(CLI::App& root);

}  // namespace strata::cli
