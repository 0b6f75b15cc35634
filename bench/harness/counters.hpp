// The exact counts `strata bench` puts beside its noisy wire figures.
//
// System calls per request, counted in a pass of its own after the timed
// trials so that counting cannot distort a timed figure: `perf stat`
// attached to the server's processes, counting the kernel's syscall entry
// tracepoints (no sampling, no ptrace stops: the server runs at nearly full
// speed, so its batching, e.g. events per epoll_wait, stays as in the
// timed runs), while wrk sends the row's load for a few seconds.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/process.hpp"

namespace strata::bench {

// The system calls named in the table, beside the total: the ones a
// request's path takes on libuv (read, write/writev, epoll_wait), io_uring
// (io_uring_enter) and the peers (recvfrom/sendto, epoll_pwait, ...).
const std::vector<std::string>& counted_syscalls();

struct SyscallCounts {
  uint64_t total = 0;  // raw_syscalls:sys_enter: every system call
  std::vector<std::pair<std::string, uint64_t>> by_name;  // counted_syscalls() order
};

// The -e argument: raw_syscalls:sys_enter, then syscalls:sys_enter_NAME for
// each counted system call.
std::string perf_syscall_events();

// Parses `perf stat -x,` output (one "count,unit,event,..." line per event;
// "<not counted>" / "<not supported>" counts are errors). nullopt (and
// `error`) when the total is missing or a line is malformed.
std::optional<SyscallCounts> parse_perf_stat_csv(std::string_view text, std::string& error);

// "read 1.00, write 1.00, epoll_wait 0.10": the named calls made at least
// 0.005 times per request, most frequent first.
std::string describe_per_request(const SyscallCounts& c, uint64_t requests);

// perf stat attached to a running process tree until stop().
class SyscallCounter {
 public:
  // nullopt (and `error`: perf missing, not permitted, exited at once).
  static std::unique_ptr<SyscallCounter> start(const std::string& perf, const std::vector<pid_t>& pids,
                                               const std::vector<int>& cpus, std::string& error);
  std::optional<SyscallCounts> stop(std::string& error);

 private:
  std::unique_ptr<Child> perf_;
};

// Instructions per request of a strata row: `strata profile --instructions
// --tier T` run in process under callgrind, its "tier T: N
// instructions/request" line read back. nullopt (and `error`) without it.
std::optional<double> parse_profile_instructions(std::string_view profile_output, std::string_view tier,
                                                 std::string& error);

}  // namespace strata::bench
