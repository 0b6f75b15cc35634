#include "harness/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace strata::bench {

namespace {

volatile sig_atomic_t g_interrupted = 0;
struct sigaction g_old_int, g_old_term;
int g_guards = 0;

void on_stop_signal(int) { g_interrupted = 1; }

int temp_fd() {
  char name[] = "/tmp/strata-bench-out-XXXXXX";
  int fd = mkostemp(name, O_CLOEXEC);
  if (fd >= 0) unlink(name);
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  if (fd < 0) return out;
  char buf[8192];
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof buf, off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    off += n;
  }
  return out;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

}  // namespace

// ------------------------------------------------------------------ CPUs

std::optional<std::vector<int>> parse_cpu_list(std::string_view text, std::string& error) {
  std::vector<int> cpus;
  auto number = [](std::string_view s, int& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc{} && p == s.data() + s.size() && !s.empty() && v >= 0 && v < CPU_SETSIZE;
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(pos, comma - pos);
    pos = comma + 1;
    int lo = 0, hi = 0;
    if (size_t dash = part.find('-'); dash != std::string_view::npos) {
      if (!number(part.substr(0, dash), lo) || !number(part.substr(dash + 1), hi) || hi < lo) {
        error = "bad CPU range '" + std::string(part) + "' (want e.g. 0, 1-3 or 0,2)";
        return std::nullopt;
      }
    } else if (!number(part, lo)) {
      error = "bad CPU number '" + std::string(part) + "' (want e.g. 0, 1-3 or 0,2)";
      return std::nullopt;
    } else {
      hi = lo;
    }
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  return cpus;
}

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

bool pin_self(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

std::string find_executable(std::string_view name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string_view::npos) {
    std::string p(name);
    return access(p.c_str(), X_OK) == 0 ? p : std::string();
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t colon = dirs.find(':', pos);
    if (colon == std::string_view::npos) colon = dirs.size();
    std::string dir(dirs.substr(pos, colon - pos));
    pos = colon + 1;
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(name);
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return {};
}

// ------------------------------------------------------------------ signals

InterruptGuard::InterruptGuard() {
  if (g_guards++ > 0) return;
  g_interrupted = 0;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a wait in poll() returns at once
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptGuard::~InterruptGuard() {
  if (--g_guards > 0) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool interrupted() { return g_interrupted != 0; }

// ------------------------------------------------------------------ Child

std::unique_ptr<Child> Child::spawn(const SpawnSpec& spec, std::string& error) {
  if (spec.argv.empty()) {
    error = "nothing to run";
    return nullptr;
  }
  // Everything the child needs is prepared before fork: between fork and
  // exec it only makes system calls.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    const auto name = kv.substr(0, kv.find('=') + 1);
    bool replaced = std::any_of(spec.env.begin(), spec.env.end(),
                                [&](const std::string& s) { return s.compare(0, name.size(), name) == 0; });
    if (!replaced) env_strings.emplace_back(kv);
  }
  for (const auto& e : spec.env) env_strings.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : spec.cpus) CPU_SET(c, &set);

  std::unique_ptr<Child> child(new Child());
  child->out_fd_ = temp_fd();
  child->err_fd_ = temp_fd();
  int report[2];  // exec failure: the child writes its errno here
  if (child->out_fd_ < 0 || child->err_fd_ < 0 || pipe2(report, O_CLOEXEC) != 0) {
    error = std::string("cannot create temporary files: ") + std::strerror(errno);
    return nullptr;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    close(report[0]);
    close(report[1]);
    return nullptr;
  }
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the harness died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    int err = 0;
    if (!spec.cpus.empty() && sched_setaffinity(0, sizeof set, &set) != 0) err = errno;
    const int devnull = open("/dev/null", O_RDONLY);
    if (err == 0 && (devnull < 0 || dup2(devnull, 0) < 0 || dup2(child->out_fd_, 1) < 0 ||
                     dup2(child->err_fd_, 2) < 0))
      err = errno;
    if (err == 0 && !spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) err = errno;
    if (err == 0) {
      execve(argv[0], argv.data(), envp.data());
      err = errno;
    }
    ssize_t ignored = write(report[1], &err, sizeof err);
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so the group exists before any kill(-pid)
  close(report[1]);
  child->pid_ = pid;
  int child_errno = 0;
  ssize_t n;
  do n = read(report[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == sizeof child_errno) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    child->reaped_ = true;
    error = "cannot run " + spec.argv[0] + ": " + std::strerror(child_errno);
    return nullptr;
  }
  child->pidfd_ = open_pidfd(pid);
  return child;
}

Child::~Child() {
  kill_group_and_reap();
  if (pidfd_ >= 0) close(pidfd_);
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void Child::reap(int status) {
  reaped_ = true;
  if (WIFEXITED(status)) {
    exited_ = true;
    code_ = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    signal_ = WTERMSIG(status);
  }
}

bool Child::running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reap(status);
    return false;
  }
  return r == 0;
}

bool Child::wait_exit(Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!running()) return true;
    if (interrupted()) return false;
    const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    } else {
      std::this_thread::sleep_for(std::min(left, Millis(5)));
    }
  }
}

bool Child::signal(int sig) { return !reaped_ && ::kill(pid_, sig) == 0; }

void Child::kill_group_and_reap() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reap(status);
}

std::string Child::describe_exit() const {
  if (!reaped_) return "running";
  if (exited_) return "exit " + std::to_string(code_);
  return "killed by signal " + std::to_string(signal_) + " (" + strsignal(signal_) + ")";
}

std::string Child::stdout_text() const { return read_all(out_fd_); }
std::string Child::stderr_text() const { return read_all(err_fd_); }

// ------------------------------------------------------------------ servers

std::optional<ListenLine> parse_listen_line(std::string_view line) {
  constexpr std::string_view prefix = "listening on http://";
  if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
  line.remove_prefix(prefix.size());
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
  ListenLine out;
  size_t host_end;
  if (!line.empty() && line.front() == '[') {
    host_end = line.find(']');
    if (host_end == std::string_view::npos) return std::nullopt;
    out.host = std::string(line.substr(1, host_end - 1));
    ++host_end;
  } else {
    host_end = line.find(':');
    if (host_end == std::string_view::npos) return std::nullopt;
    out.host = std::string(line.substr(0, host_end));
  }
  if (host_end >= line.size() || line[host_end] != ':') return std::nullopt;
  line.remove_prefix(host_end + 1);
  const size_t sp = line.find(' ');
  std::string_view port = line.substr(0, sp);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc{} || p != port.data() + port.size() || v == 0 || v > 65535) return std::nullopt;
  out.port = static_cast<uint16_t>(v);
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(sp + 1);
  if (rest.substr(0, 5) != "tier=" || rest.size() == 5) return std::nullopt;
  out.tier = std::string(rest.substr(5));
  return out;
}

std::string last_line(std::string_view text, size_t max) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  size_t nl = text.rfind('\n');
  std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
  std::string out(line.substr(0, max));
  if (line.size() > max) out += "...";
  return out;
}

StartResult start_server(const SpawnSpec& spec, Millis timeout) {
  StartResult r;
  r.child = Child::spawn(spec, r.error);
  if (!r.child) return r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string out = r.child->stdout_text();
    if (size_t nl = out.find('\n'); nl != std::string::npos) {
      if (auto l = parse_listen_line(std::string_view(out).substr(0, nl))) {
        r.listen = *l;
        return r;
      }
      r.error = "printed '" + last_line(out.substr(0, nl)) + "' instead of 'listening on http://HOST:PORT tier=T'";
      break;
    }
    if (!r.child->running()) {
      r.exited_early = true;
      r.exit_code = r.child->exited_normally() ? r.child->exit_code() : -1;
      const std::string why = last_line(r.child->stderr_text());
      r.error = "exited (" + r.child->describe_exit() + ") before listening" + (why.empty() ? "" : ": " + why);
      r.child.reset();
      return r;
    }
    if (interrupted()) {
      r.error = "interrupted";
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      r.error = "printed no 'listening on' line within " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
      const std::string why = last_line(r.child->stderr_text());
      if (!why.empty()) r.error += " (stderr: " + why + ")";
      break;
    }
    std::this_thread::sleep_for(Millis(10));
  }
  r.child->kill_group_and_reap();
  r.child.reset();
  return r;
}

std::string stop_server(Child& child, Millis deadline) {
  if (!child.running()) return "had already ended (" + child.describe_exit() + ")";
  child.signal(SIGINT);
  // An interrupt of the harness must not cut the wait short here: the
  // server gets its deadline either way.
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (child.running() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(Millis(5));
  if (child.running()) {
    child.kill_group_and_reap();
    return "did not exit within " + std::to_string(deadline.count() / 1000) + " s of SIGINT; killed";
  }
  if (child.exited_normally() && child.exit_code() == 0) return {};
  return "stopped with " + child.describe_exit() + " after SIGINT";
}

}  // namespace strata::bench
