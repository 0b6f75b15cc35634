#include "kit/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace strata::kit {

namespace {

using Clock = std::chrono::steady_clock;


int temp_fd() {
  char name[] = "/tmp/strata-child-out-XXXXXX";
  const int fd = mkostemp(name, O_CLOEXEC);
  if (fd >= 0) unlink(name);
  return fd;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// The two ends of one captured stream: [0] stays here, [1] becomes the
// child's descriptor. A file has one descriptor for both.
bool open_capture(Output mode, int ends[2]) {
  ends[0] = ends[1] = -1;
  if (mode == Output::file) {
    ends[0] = ends[1] = temp_fd();
    return ends[0] >= 0;
  }
  // Our end is non-blocking: reads take what is there, waits are poll()s.
  if (mode == Output::pipe) return pipe2(ends, O_CLOEXEC) == 0 && fcntl(ends[0], F_SETFL, O_NONBLOCK) == 0;
  return true;
}

// Sleeps until the child ends or `ms` pass; without a pidfd, a short nap.
void nap_on(int pidfd, int ms) {
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    ::poll(&p, 1, ms);
  } else {
    std::this_thread::sleep_for(Millis(std::min(ms, 5)));
  }
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

std::unique_ptr<Child> Child::spawn(const SpawnSpec& spec, std::string& error) {
  if (spec.argv.empty()) {
    error = "nothing to run";
    return nullptr;
  }
  // Everything the child needs is prepared before fork: between fork and
  // exec it makes only async-signal-safe calls.
  std::vector<std::string> argv_store = spec.argv;
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view kv(*e);
    const auto name = kv.substr(0, kv.find('=') + 1);
    const bool replaced = std::any_of(spec.env.begin(), spec.env.end(),
                                      [&](const std::string& s) { return s.compare(0, name.size(), name) == 0; });
    if (!replaced) env_strings.emplace_back(kv);
  }
  for (const auto& e : spec.env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int c : spec.cpus) CPU_SET(c, &cpus);
  rlimit nofile{};
  if (spec.max_open_files) nofile.rlim_cur = nofile.rlim_max = *spec.max_open_files;

  std::unique_ptr<Child> child(new Child());
  int out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};  // report: the child's errno when exec fails
  const bool opened = open_capture(spec.out, out) && open_capture(spec.err, err) && pipe2(report, O_CLOEXEC) == 0;
  child->out_.mode = spec.out;
  child->out_.fd = out[0];
  child->err_.mode = spec.err;
  child->err_.fd = err[0];
  auto close_child_ends = [&] {
    if (spec.out == Output::pipe) close_fd(out[1]);
    if (spec.err == Output::pipe) close_fd(err[1]);
  };
  if (!opened) {
    error = std::string("cannot capture the child's output: ") + std::strerror(errno);
    close_child_ends();
    close_fd(report[0]);
    close_fd(report[1]);
    return nullptr;
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    close_child_ends();
    close_fd(report[0]);
    close_fd(report[1]);
    if (devnull >= 0) ::close(devnull);
    return nullptr;
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD}) sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int e = 0;
    if (!spec.cpus.empty() && sched_setaffinity(0, sizeof cpus, &cpus) != 0) e = errno;
    if (e == 0 && (devnull < 0 || dup2(devnull, 0) < 0)) e = errno;
    if (e == 0 && out[1] >= 0 && dup2(out[1], 1) < 0) e = errno;
    if (e == 0 && err[1] >= 0 && dup2(err[1], 2) < 0) e = errno;
    if (e == 0 && spec.max_open_files && setrlimit(RLIMIT_NOFILE, &nofile) != 0) e = errno;
    if (e == 0 && !spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) e = errno;
    if (e == 0) {
      execve(argv[0], argv.data(), envp.data());
      e = errno;
    }
    (void)!write(report[1], &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so the group exists before any kill(-pid)
  if (devnull >= 0) ::close(devnull);
  close_child_ends();
  close_fd(report[1]);
  child->pid_ = pid;
  // The report pipe closes without a word when exec succeeds.
  int child_errno = 0;
  ssize_t n;
  do n = read(report[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close_fd(report[0]);
  if (n == sizeof child_errno) {
    child->kill_and_reap();
    error = "cannot run " + spec.argv[0] + ": " + std::strerror(child_errno);
    return nullptr;
  }
  child->pidfd_ = open_pidfd(pid);
  return child;
}

Child::~Child() {
  kill_and_reap();
  close_fd(pidfd_);
  close_fd(out_.fd);
  close_fd(err_.fd);
}

void Child::reap(int wait_status) {
  ExitStatus s;
  if (WIFEXITED(wait_status)) {
    s.exited = true;
    s.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    s.signal = WTERMSIG(wait_status);
  }
  status_ = s;
}

bool Child::running() {
  if (status_ || pid_ <= 0) return false;
  int st = 0;
  pid_t r;
  do r = waitpid(pid_, &st, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reap(st);
    return false;
  }
  return r == 0;
}

std::optional<ExitStatus> Child::wait_exit(Millis timeout, const GiveUp& give_up) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!running()) return status_;
    if (give_up && give_up()) return std::nullopt;
    const int left = remaining_ms(deadline);
    if (left == 0) return std::nullopt;
    // Capped so that give_up is asked at least once a second.
    nap_on(pidfd_, std::min(left, 1000));
  }
}

std::string Child::describe_exit() const { return status_ ? status_->describe() : "running"; }

bool Child::send_signal(int sig) { return pid_ > 0 && !status_ && ::kill(pid_, sig) == 0; }

void Child::kill_and_reap() {
  if (pid_ <= 0 || status_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  reap(st);
}

// ------------------------------------------------------------------ output

void Child::Capture::refresh() {
  if (fd < 0 || ended) return;
  char buf[16384];
  for (;;) {
    // A file is read from where the last read stopped: the child's offset
    // and ours are not shared (pread), so its writes never race ours.
    const ssize_t n = mode == Output::file ? pread(fd, buf, sizeof buf, static_cast<off_t>(bytes.size()))
                                           : ::read(fd, buf, sizeof buf);
    if (n > 0) {
      bytes.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && mode == Output::pipe) ended = true;
    return;
  }
}

// True when `c` may have something new (or has ended) before `deadline`.
bool Child::wait_readable(Capture& c, Clock::time_point deadline) {
  const int left = remaining_ms(deadline);
  if (left == 0) return false;
  if (c.mode == Output::pipe) {
    // Pipes are read non-blocking (refresh), so poll first.
    pollfd p{c.fd, POLLIN, 0};
    ::poll(&p, 1, std::min(left, 100));  // capped so that give_up is asked often
    return true;
  }
  // A file gives no wake-up on write: look again every few milliseconds,
  // or at once when the child ends.
  nap_on(running() ? pidfd_ : -1, std::min(left, 5));
  return true;
}

std::optional<std::string> Child::read_stdout_line(Millis timeout, const GiveUp& give_up) {
  if (out_.fd < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const bool was_running = running();
    out_.refresh();
    if (const size_t nl = out_.bytes.find('\n', out_.handed_out); nl != std::string::npos) {
      std::string line = out_.bytes.substr(out_.handed_out, nl - out_.handed_out);
      out_.handed_out = nl + 1;
      return line;
    }
    // A file is complete once the child has ended (checked before the
    // read above, so nothing written before its end is missed).
    if (out_.ended || (out_.mode == Output::file && !was_running)) return std::nullopt;
    if (give_up && give_up()) return std::nullopt;
    if (!wait_readable(out_, deadline)) return std::nullopt;
  }
}

std::string Child::stdout_text() {
  out_.refresh();
  return out_.bytes;
}

std::string Child::stderr_text() {
  err_.refresh();
  return err_.bytes;
}

std::string Child::read_available_stderr() {
  stderr_text();
  std::string s = err_.bytes.substr(err_.handed_out);
  err_.handed_out = err_.bytes.size();
  return s;
}

void Child::read_outputs_until_eof(std::string& out, std::string& err, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  auto open = [](const Capture& c) { return c.fd >= 0 && c.mode == Output::pipe && !c.ended; };
  // Pipes end at EOF, polled together so neither fills up while the other
  // is waited on; files end with the child.
  while (open(out_) || open(err_)) {
    pollfd p[2] = {{open(out_) ? out_.fd : -1, POLLIN, 0}, {open(err_) ? err_.fd : -1, POLLIN, 0}};
    const int r = ::poll(p, 2, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    out_.refresh();
    err_.refresh();
  }
  if ((out_.mode == Output::file || err_.mode == Output::file) && remaining_ms(deadline) > 0)
    wait_exit(Millis(remaining_ms(deadline)));
  out_.refresh();
  err_.refresh();
  for (auto [c, to] : {std::pair{&out_, &out}, std::pair{&err_, &err}}) {
    to->append(c->bytes, c->handed_out);
    c->handed_out = c->bytes.size();
  }
}

// ------------------------------------------------------------------ helpers

RunResult run_to_end(const SpawnSpec& spec, Millis timeout, const GiveUp& give_up) {
  RunResult r;
  SpawnSpec s = spec;
  if (s.out == Output::pipe) s.out = Output::file;
  if (s.err == Output::pipe) s.err = Output::file;
  auto child = Child::spawn(s, r.error);
  if (!child) return r;
  r.status = child->wait_exit(timeout, give_up);
  if (!r.status) child->kill_and_reap();
  r.out = child->stdout_text();
  r.err = child->stderr_text();
  return r;
}

std::string find_executable(std::string_view name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string_view::npos) {
    std::string p(name);
    return access(p.c_str(), X_OK) == 0 ? p : std::string();
  }
  const char* path = std::getenv("PATH");
  const std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t colon = dirs.find(':', pos);
    if (colon == std::string_view::npos) colon = dirs.size();
    std::string dir(dirs.substr(pos, colon - pos));
    pos = colon + 1;
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + std::string(name);
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return {};
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

std::string last_line(std::string_view text, size_t max) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  const size_t nl = text.rfind('\n');
  const std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
  std::string out(line.substr(0, max));
  if (line.size() > max) out += "...";
  return out;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(std::min<int64_t>(left, 1 << 30)) : 0;
}

}  // namespace strata::kit
