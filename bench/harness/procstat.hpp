// Server CPU time from /proc/PID/stat: utime + stime (fields 14 and 15, in
// clock ticks of sysconf(_SC_CLK_TCK)), summed over every thread of the
// process. Sampled before and after a measured run, the difference divided
// by the requests served is the server's CPU cost per request.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace strata::bench {

struct CpuTicks {
  uint64_t utime = 0;  // field 14: user mode
  uint64_t stime = 0;  // field 15: kernel mode
  uint64_t total() const { return utime + stime; }
};

// Parses the text of /proc/PID/stat. The command name (field 2) is in
// parentheses and may itself hold spaces and ')', so fields are counted
// from the last ')'. nullopt when the text is not such a line.
std::optional<CpuTicks> parse_proc_stat(std::string_view text);

// Reads /proc/PID/stat; nullopt when the process is gone.
std::optional<CpuTicks> read_cpu_ticks(pid_t pid);

// The process and every descendant, summed: a server that forks workers
// (gunicorn), or PostgreSQL's postmaster with its backends. nullopt when
// `pid` itself is gone.
std::optional<CpuTicks> read_tree_cpu_ticks(pid_t pid);

// The process and every live descendant, root first; empty when `root`
// is gone.
std::vector<pid_t> process_tree(pid_t root);

// sysconf(_SC_CLK_TCK) (100 on Linux).
long clock_ticks_per_second();

}  // namespace strata::bench
