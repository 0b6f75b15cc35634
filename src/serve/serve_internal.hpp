// What strata::serve is made of, for strata's own command line: `strata
// serve` runs tiers that are no Application (raw, http) and has flags of its
// own (--tier, --database-url), so it needs the flag table and the run loop
// apart. Applications use <strata/serve.hpp> instead.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "serve.hpp"

namespace strata::serving {

// `--ablate NAME[=VALUE]` (repeatable) and `--routes N` (common/ablation.hpp),
// for `strata serve`, `strata bench` and `strata profile`: the values go
// into the process-wide set while the command line is parsed; a bad name
// or value is a parse error (exit 2, one sentence).
void add_ablation_flags(CLI::App& cmd);

// Seconds as given on a command line, in the milliseconds configs hold.
uint64_t to_ms(double seconds);

// Adds the standard flags of strata::serve to `cmd`, writing into `config`.
// Durations are given in seconds and stored in milliseconds.
void add_flags(CLI::App& cmd, ServeConfig& config);

// Everything strata::serve does once its flags are known: probes, the
// workers `make` returns (called once, with the final config), listen, the
// listening line, the admin port, run until a signal, the probe table.
using MakeWorkers = std::function<loop::Server::WorkerFactory(const ServeConfig&)>;
int run(const ServeConfig& config, std::string_view tier, const MakeWorkers& make);

// "listening on http://HOST:PORT tier=TIER" (IPv6 hosts in brackets): the
// one line every strata server prints, and the kit's tests read.
std::string listening_line(std::string_view host, unsigned port, std::string_view tier);
// "http://HOST:PORT", brackets around an IPv6 host.
std::string http_url(std::string_view host, unsigned port);

}  // namespace strata::serving
