// Child processes for `strata bench`: the servers under test and wrk.
//
// Every child runs in its own process group, pinned to its cores
// (sched_setaffinity between fork and exec), with stdin from /dev/null and
// stdout/stderr going to unlinked temporary files (so a chatty child can
// never block on a full pipe). Each child also gets PR_SET_PDEATHSIG
// SIGKILL: if the harness itself dies, no server is left behind. A Child
// that goes out of scope still running is killed (its whole group) and
// reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// `name` if it contains a '/' and is executable, else the first executable
// `name` on PATH; empty when there is none.
std::string find_executable(std::string_view name);

// SIGINT/SIGTERM handling while a benchmark runs: the first signal sets a
// flag the waits below check (so servers are stopped and reaped before the
// harness exits), the previous handlers come back when the guard goes.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};
bool interrupted();

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] must be a path (see find_executable)
  std::vector<std::string> env;   // "NAME=value" added to (or replacing in) the harness's environment
  std::vector<int> cpus;          // empty: not pinned
  std::string cwd;                // empty: the harness's
};

class Child {
 public:
  // fork + exec. nullptr (and `error`) when the program could not be run.
  static std::unique_ptr<Child> spawn(const SpawnSpec& spec, std::string& error);
  ~Child();  // SIGKILL to the group and reap, if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Waits up to `timeout` for the child to end; true once it has (reaped).
  // Returns early, false, when interrupted() becomes true.
  bool wait_exit(Millis timeout);
  bool running();
  bool signal(int sig);                          // to the child itself
  void kill_group_and_reap();                    // SIGKILL to its process group
  bool exited_normally() const { return reaped_ && exited_; }
  int exit_code() const { return code_; }        // valid when exited_normally()
  int term_signal() const { return signal_; }    // valid when reaped and !exited_normally()
  std::string describe_exit() const;             // "exit 2", "killed by signal 9", "running"

  std::string stdout_text() const;               // everything written so far
  std::string stderr_text() const;

 private:
  Child() = default;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool reaped_ = false, exited_ = false;
  int code_ = -1, signal_ = 0;
  void reap(int status);
};

// "listening on http://HOST:PORT tier=T" (HOST may be [v6]).
struct ListenLine {
  std::string host;
  uint16_t port = 0;
  std::string tier;
};
std::optional<ListenLine> parse_listen_line(std::string_view line);

// The last non-empty line of a text (a child's stderr), trimmed, at most
// `max` characters; used to say in one line why a child failed.
std::string last_line(std::string_view text, size_t max = 200);

// A server under test: spawned, and its listening line read.
struct StartResult {
  std::unique_ptr<Child> child;  // set when started
  ListenLine listen;
  bool exited_early = false;     // the child ended before printing the line
  int exit_code = -1;            // its exit status then (2: the CLI rejected the arguments)
  std::string error;             // one line, when not started
};
StartResult start_server(const SpawnSpec& spec, Millis timeout);

// SIGINT, wait up to `deadline`, then SIGKILL. Returns "" when the server
// exited 0 within the deadline, else a short note ("exit 1", "killed after
// 5 s without exiting").
std::string stop_server(Child& child, Millis deadline);

}  // namespace strata::bench
