// A child process for tools and tests: the servers `strata bench` measures,
// the binaries the black-box tests drive, the servers `strata profile`
// times from spawn to first answer.
//
// Contract:
// - Every child runs in its own process group, with stdin from /dev/null,
//   default signal dispositions and an empty signal mask, and
//   PR_SET_PDEATHSIG SIGKILL: if the parent dies, the child dies with it.
// - A Child that goes out of scope still running is killed (its whole
//   group) and reaped; nothing a Child started outlives it.
// - The child is watched through a pidfd, so waits wake up the moment it
//   ends rather than on a polling tick.
// - Each of stdout and stderr is inherited, captured in an unlinked
//   temporary file (the child can never block on it, however much it
//   writes, even when nobody reads), or captured in a pipe (a reader wakes
//   up as soon as a line arrives; the owner must keep reading a chatty
//   child). Captured bytes are kept for the Child's life, so a caller may
//   read them line by line and still ask for the whole text at the end.
// - Every blocking call takes a timeout; none waits for ever.
//
// Nothing here is thread-safe: one thread owns a Child.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kit {

using Millis = std::chrono::milliseconds;

// Generous for a slow (sanitizer) build, short enough that a hang fails fast.
inline constexpr Millis kDefaultTimeout{5000};

// Milliseconds left until `deadline`, for poll(): 0 once it has passed.
int remaining_ms(std::chrono::steady_clock::time_point deadline);

// Called while waiting; returning true abandons the wait (a Ctrl-C seen by
// the caller, say). Empty: never.
using GiveUp = std::function<bool()>;

enum class Output {
  inherit,  // the parent's stream (so sanitizer reports reach a terminal)
  file,     // an unlinked temporary file: never blocks the child
  pipe,     // a pipe: lines are seen the moment they are written
};

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] must be a path (see find_executable)
  std::vector<std::string> env;   // "NAME=value" added to (or replacing in) the parent's environment
  std::vector<int> cpus;          // pinned to these CPUs before exec; empty: not pinned
  std::string cwd;                // empty: the parent's
  std::optional<uint64_t> max_open_files;  // RLIMIT_NOFILE in the child
  Output out = Output::file;
  Output err = Output::file;
};

// How a child ended, from waitpid().
struct ExitStatus {
  bool exited = false;  // true: a normal exit with `code`
  int code = -1;
  int signal = 0;       // the signal that killed it, when !exited
  std::string describe() const;  // "exit 2", "killed by signal 9 (Killed)"
};

class Child {
 public:
  // fork + exec. nullptr (and `error`, one line) when the program could not
  // be run: a missing binary is reported here, not as an exit status.
  static std::unique_ptr<Child> spawn(const SpawnSpec& spec, std::string& error);
  ~Child();  // SIGKILL to the group and reap, if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // True while the child has not ended (reaps it if it has).
  bool running();
  // Waits up to `timeout` for the child to end: its status once it has,
  // nullopt when it still runs at the timeout or `give_up` said so.
  std::optional<ExitStatus> wait_exit(Millis timeout = kDefaultTimeout, const GiveUp& give_up = {});
  // The status once reaped; nullopt while running.
  const std::optional<ExitStatus>& status() const { return status_; }
  std::string describe_exit() const;  // ExitStatus::describe(), or "running"
  bool send_signal(int sig);          // to the child itself, not its group
  void kill_and_reap();               // SIGKILL to the whole group, then reap

  // The next line of stdout (without its '\n'); nullopt when none came
  // within `timeout`, the stream ended, or `give_up` said so. Needs a
  // captured stdout.
  std::optional<std::string> read_stdout_line(Millis timeout = kDefaultTimeout, const GiveUp& give_up = {});
  // Everything captured so far, including what read_stdout_line returned.
  std::string stdout_text();
  std::string stderr_text();
  // The stderr bytes captured since the last call (non-blocking).
  std::string read_available_stderr();
  // Waits up to `timeout` for both captured streams to end (for a file:
  // for the child to end), then appends to `out` and `err` what no
  // read_stdout_line / read_available_stderr handed out yet.
  void read_outputs_until_eof(std::string& out, std::string& err, Millis timeout = kDefaultTimeout);

 private:
  struct Capture {
    Output mode = Output::inherit;
    int fd = -1;
    bool ended = false;  // pipe: EOF seen
    std::string bytes;   // everything read so far
    size_t handed_out = 0;
    void refresh();      // reads what is there now, without blocking
  };
  Child() = default;
  void reap(int wait_status);
  bool wait_readable(Capture& c, std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::optional<ExitStatus> status_;
  Capture out_, err_;
};

// A finished run of a short command: its outputs (captured in files) and
// how it ended.
struct RunResult {
  std::string error;                 // one line when it could not be run
  std::optional<ExitStatus> status;  // nullopt: did not finish in time (it was killed)
  std::string out, err;
  bool ok() const { return status && status->exited && status->code == 0; }
};
RunResult run_to_end(const SpawnSpec& spec, Millis timeout, const GiveUp& give_up = {});

// `name` if it contains a '/' and is executable, else the first executable
// regular file `name` on PATH; empty when there is none.
std::string find_executable(std::string_view name);
// This process's own binary (/proc/self/exe); "" if unknown.
std::string self_exe();

// The last non-empty line of a text (a child's stderr), trimmed, at most
// `max` characters: one line saying why a child failed.
std::string last_line(std::string_view text, size_t max = 200);

}  // namespace strata::kit
