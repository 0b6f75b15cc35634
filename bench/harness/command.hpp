// The `strata bench` subcommand. src/main.cpp calls register_command(app)
// once; the subcommand's callback runs the benchmark and, when its exit
// status is not 0, throws CLI::RuntimeError(status), which main turns into
// the process's exit status (the one-line reason is already on stderr).
#pragma once

#include <CLI/CLI.hpp>

namespace strata::bench {

void register_command(CLI::App& root);

}  // namespace strata::bench
