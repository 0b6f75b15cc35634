// What `strata bench` adds to the kit's child processes (src/kit/): CPU
// lists to pin the servers and wrk to, and Ctrl-C handling that stops and
// reaps every child before the harness exits.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kit/server.hpp"

namespace strata::bench {

using Millis = std::chrono::milliseconds;

// "0", "0,2", "1-3,5" -> sorted, unique CPU numbers; nullopt (and `error`)
// on anything else.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text, std::string& error);
std::string format_cpu_list(const std::vector<int>& cpus);
// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();
// Pins the calling process; returns false (errno set) on failure.
bool pin_self(const std::vector<int>& cpus);

// SIGINT/SIGTERM handling while a benchmark runs: the first signal sets a
// flag the harness's waits check (so servers are stopped and reaped before the
// harness exits), the previous handlers come back when the guard goes.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};
bool interrupted();

// Children, servers and their banner come from the kit (src/kit/): the
// harness spawns every child pinned (SpawnSpec::cpus) with its output in
// files, and passes interrupted() to each wait that may be abandoned.
using kit::Child;
using kit::SpawnSpec;
using kit::StartResult;
using kit::find_executable;
using kit::last_line;
using kit::start_server;
using kit::stop_server;
using ListenLine = kit::Banner;

}  // namespace strata::bench
