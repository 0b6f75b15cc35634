#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace strata::test {

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline`, for poll(); never negative.
int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// poll() one descriptor, retrying on EINTR. Returns revents (0 on timeout).
short poll_one(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return 0;
    return p.revents;
  }
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

ExitStatus decode_status(int st) {
  ExitStatus e;
  if (WIFEXITED(st)) {
    e.exited = true;
    e.code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    e.signal = WTERMSIG(st);
  }
  return e;
}

}  // namespace

// ------------------------------------------------------------------ processes

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
}

std::unique_ptr<Subprocess> Subprocess::spawn(const std::string& path, const std::vector<std::string>& args,
                                              const SpawnOptions& options, std::string* error) {
  auto fail = [&](const std::string& why) -> std::unique_ptr<Subprocess> {
    if (error) *error = why;
    return nullptr;
  };
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<std::string> argv_store;
  argv_store.push_back(path);
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, exec_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {out_pipe, err_pipe, exec_pipe}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
  };
  if (options.capture_stdout && ::pipe2(out_pipe, O_CLOEXEC) != 0) return fail("pipe: " + std::string(strerror(errno)));
  if (options.capture_stderr && ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    close_all();
    return fail("pipe: " + std::string(strerror(errno)));
  }
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    close_all();
    return fail("pipe: " + std::string(strerror(errno)));
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  rlimit nofile{};
  if (options.max_open_files) nofile.rlim_cur = nofile.rlim_max = *options.max_open_files;

  const pid_t pid = ::fork();
  if (pid < 0) {
    close_all();
    if (devnull >= 0) ::close(devnull);
    return fail("fork: " + std::string(strerror(errno)));
  }
  if (pid == 0) {
    // The child: die with the test runner, never outlive it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    struct sigaction dfl{};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGCHLD}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (out_pipe[1] >= 0) ::dup2(out_pipe[1], 1);
    if (err_pipe[1] >= 0) ::dup2(err_pipe[1], 2);
    if (options.max_open_files && ::setrlimit(RLIMIT_NOFILE, &nofile) != 0) {
      const int e = errno;
      (void)!::write(exec_pipe[1], &e, sizeof e);
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    const int e = errno;
    (void)!::write(exec_pipe[1], &e, sizeof e);
    ::_exit(127);
  }

  if (devnull >= 0) ::close(devnull);
  close_fd(out_pipe[1]);
  close_fd(err_pipe[1]);
  close_fd(exec_pipe[1]);
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->pid_ = pid;
  p->out_fd_ = out_pipe[0];
  p->err_fd_ = err_pipe[0];
  // The exec pipe closes (read returns 0) when execv succeeds.
  int child_errno = 0;
  ssize_t n;
  do n = ::read(exec_pipe[0], &child_errno, sizeof child_errno);
  while (n < 0 && errno == EINTR);
  close_fd(exec_pipe[0]);
  if (n > 0) {
    p->wait_exit(2000ms);
    return fail("cannot start " + path + ": " + strerror(child_errno));
  }
  return p;
}

Subprocess::~Subprocess() {
  kill_and_reap();
  close_fd(out_fd_);
  close_fd(err_fd_);
}

void Subprocess::kill_and_reap() {
  if (pid_ <= 0 || reaped_) return;
  ::kill(pid_, SIGKILL);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  status_ = decode_status(st);
}

std::optional<std::string> Subprocess::read_stdout_line(Millis timeout) {
  if (out_fd_ < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const size_t nl = out_buf_.find('\n'); nl != std::string::npos) {
      std::string line = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return line;
    }
    if (!(poll_one(out_fd_, POLLIN, deadline) & (POLLIN | POLLHUP | POLLERR))) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    out_buf_.append(buf, static_cast<size_t>(n));
  }
}

void Subprocess::read_outputs_until_eof(std::string& out, std::string& err, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  out += std::exchange(out_buf_, {});
  bool out_open = out_fd_ >= 0, err_open = err_fd_ >= 0;
  while (out_open || err_open) {
    pollfd p[2] = {{out_open ? out_fd_ : -1, POLLIN, 0}, {err_open ? err_fd_ : -1, POLLIN, 0}};
    const int r = ::poll(p, 2, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        (i == 0 ? out_open : err_open) = false;
        continue;
      }
      (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
    }
  }
}

std::string Subprocess::read_available_stderr() {
  std::string s;
  if (err_fd_ < 0) return s;
  for (;;) {
    pollfd p{err_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN)) return s;
    char buf[4096];
    const ssize_t n = ::read(err_fd_, buf, sizeof buf);
    if (n <= 0) return s;
    s.append(buf, static_cast<size_t>(n));
  }
}

bool Subprocess::send_signal(int sig) {
  if (pid_ <= 0 || reaped_) return false;
  return ::kill(pid_, sig) == 0;
}

std::optional<ExitStatus> Subprocess::wait_exit(Millis timeout) {
  if (reaped_) return status_;
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = decode_status(st);
      return status_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

bool Subprocess::running() {
  if (reaped_ || pid_ <= 0) return false;
  return !wait_exit(0ms).has_value();
}

RunResult run_command(const std::string& path, const std::vector<std::string>& args, Millis timeout) {
  RunResult r;
  SpawnOptions o;
  o.capture_stdout = o.capture_stderr = true;
  std::string error;
  auto p = Subprocess::spawn(path, args, o, &error);
  if (!p) {
    r.err = error;
    return r;
  }
  const auto deadline = Clock::now() + timeout;
  p->read_outputs_until_eof(r.out, r.err, timeout);
  r.status = p->wait_exit(Millis(remaining_ms(deadline)));
  return r;  // the destructor kills a child that did not finish
}

bool parse_banner(std::string_view line, std::string& host, uint16_t& port, std::string& tier) {
  constexpr std::string_view prefix = "listening on http://";
  if (line.substr(0, prefix.size()) != prefix) return false;
  line.remove_prefix(prefix.size());
  const size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return false;
  const std::string_view hostport = line.substr(0, sp);
  const std::string_view rest = line.substr(sp + 1);
  if (rest.substr(0, 5) != "tier=" || rest.size() == 5) return false;
  const size_t colon = hostport.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view p = hostport.substr(colon + 1);
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (ec != std::errc{} || ptr != p.data() + p.size() || p.empty() || v == 0 || v > 65535) return false;
  host = std::string(hostport.substr(0, colon));
  port = static_cast<uint16_t>(v);
  tier = std::string(rest.substr(5));
  return true;
}

std::unique_ptr<ServerProcess> ServerProcess::start(const std::string& binary, std::vector<std::string> args,
                                                    const SpawnOptions& options, std::string* error) {
  auto has = [&](std::string_view flag) {
    for (const auto& a : args)
      if (a == flag || a.rfind(std::string(flag) + "=", 0) == 0) return true;
    return false;
  };
  if (!has("--host")) args.insert(args.end(), {"--host", "127.0.0.1"});
  if (!has("--port")) args.insert(args.end(), {"--port", "0"});
  args.insert(args.begin(), "serve");

  SpawnOptions o = options;
  o.capture_stdout = true;
  std::string why;
  auto proc = Subprocess::spawn(binary, args, o, &why);
  if (!proc) {
    if (error) *error = why;
    return nullptr;
  }
  // Sanitizer builds start slowly: be generous here, it costs nothing when fast.
  auto line = proc->read_stdout_line(10000ms);
  std::unique_ptr<ServerProcess> s(new ServerProcess());
  if (!line || !parse_banner(*line, s->host_, s->port_, s->tier_)) {
    if (error) {
      *error = line ? "unexpected first line: '" + *line + "'" : std::string("no 'listening on' line within 10 s");
      if (auto st = proc->wait_exit(100ms)) *error += " (server " + st->describe() + ")";
    }
    return nullptr;  // proc's destructor kills it
  }
  s->banner_ = *line;
  s->proc_ = std::move(proc);
  return s;
}

// ------------------------------------------------------------------ responses

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers)
    if (iequals(n, name)) return v;
  return std::nullopt;
}

size_t Response::header_count(std::string_view name) const {
  size_t c = 0;
  for (const auto& h : headers)
    if (iequals(h.first, name)) ++c;
  return c;
}

bool Response::header_has_token(std::string_view name, std::string_view token) const {
  for (const auto& [n, v] : headers) {
    if (!iequals(n, name)) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  return false;
}

long long decode_chunked(std::string_view bytes, std::string& body) {
  body.clear();
  size_t pos = 0;
  for (;;) {
    const size_t eol = bytes.find("\r\n", pos);
    if (eol == std::string_view::npos) return bytes.size() - pos > 1024 ? -1 : 0;
    std::string_view line = bytes.substr(pos, eol - pos);
    line = trim(line.substr(0, line.find(';')));
    uint64_t size = 0;
    auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (line.empty() || ec != std::errc{} || ptr != line.data() + line.size()) return -1;
    pos = eol + 2;
    if (size == 0) {
      // trailer fields, then the final empty line
      for (;;) {
        const size_t t = bytes.find("\r\n", pos);
        if (t == std::string_view::npos) return 0;
        const bool empty = t == pos;
        pos = t + 2;
        if (empty) return static_cast<long long>(pos);
      }
    }
    if (bytes.size() - pos < size + 2) return 0;
    if (bytes.substr(pos + size, 2) != "\r\n") return -1;
    body.append(bytes.substr(pos, size));
    pos += size + 2;
  }
}

ParseResult parse_response(std::string_view bytes, bool head_request, bool at_eof, Response& out, size_t& consumed,
                           std::string* error) {
  auto invalid = [&](const std::string& why) {
    if (error) *error = why + " in: " + printable(bytes, 300);
    return ParseResult::invalid;
  };
  constexpr std::string_view proto = "HTTP/";
  if (bytes.substr(0, std::min(bytes.size(), proto.size())) != proto.substr(0, std::min(bytes.size(), proto.size())))
    return invalid("response does not start with HTTP/");
  const size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (bytes.size() > 256 * 1024) return invalid("response head larger than 256 KiB");
    return ParseResult::incomplete;
  }
  Response r;
  const std::string_view head = bytes.substr(0, head_end + 2);
  size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  const size_t sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || status_line.size() < sp1 + 4) return invalid("malformed status line");
  r.version = std::string(status_line.substr(0, sp1));
  const std::string_view code = status_line.substr(sp1 + 1, 3);
  for (char c : code)
    if (c < '0' || c > '9') return invalid("malformed status code");
  r.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (status_line.size() > sp1 + 4) {
    if (status_line[sp1 + 4] != ' ') return invalid("malformed status line");
    r.reason = std::string(status_line.substr(sp1 + 5));
  }
  for (size_t pos = line_end + 2; pos < head.size();) {
    const size_t eol = head.find("\r\n", pos);
    const std::string_view h = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return invalid("malformed header line");
    r.headers.emplace_back(std::string(h.substr(0, colon)), std::string(trim(h.substr(colon + 1))));
  }
  const size_t body_start = head_end + 4;
  const std::string_view rest = bytes.substr(body_start);
  size_t body_size = 0;
  const bool bodiless = head_request || (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  if (bodiless) {
    body_size = 0;
  } else if (r.header_has_token("transfer-encoding", "chunked")) {
    r.chunked = true;
    const long long n = decode_chunked(rest, r.body);
    if (n < 0) return invalid("malformed chunked body");
    if (n == 0) {
      if (at_eof) return invalid("connection closed inside a chunked body");
      return ParseResult::incomplete;
    }
    body_size = static_cast<size_t>(n);
  } else if (auto cl = r.header("content-length")) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (cl->empty() || ec != std::errc{} || ptr != cl->data() + cl->size()) return invalid("malformed Content-Length");
    if (r.header_count("content-length") > 1) return invalid("several Content-Length headers");
    if (rest.size() < n) {
      if (at_eof) return invalid("connection closed inside the body");
      return ParseResult::incomplete;
    }
    body_size = static_cast<size_t>(n);
    r.body = std::string(rest.substr(0, body_size));
  } else {
    // Delimited by the close of the connection.
    if (!at_eof) return ParseResult::incomplete;
    body_size = rest.size();
    r.body = std::string(rest);
  }
  consumed = body_start + body_size;
  r.raw = std::string(bytes.substr(0, consumed));
  out = std::move(r);
  return ParseResult::complete;
}

// ------------------------------------------------------------------ client

Client::Client(uint16_t port, Millis timeout) : Client(port, Options{}, timeout) {}

Client::Client(uint16_t port, const Options& options, Millis timeout) { connect_to(port, options, timeout); }

Client::~Client() { close(); }

void Client::close() { close_fd(fd_); }

void Client::connect_to(uint16_t port, const Options& options, Millis timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_code_ = errno;
    error_ = std::string("socket: ") + strerror(errno);
    return;
  }
  if (options.rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.rcvbuf, sizeof options.rcvbuf);
  if (options.nodelay) {
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return;
  if (errno != EINPROGRESS) {
    error_code_ = errno;
    error_ = std::string("connect: ") + strerror(errno);
    return;
  }
  const auto deadline = Clock::now() + timeout;
  if (!(poll_one(fd_, POLLOUT, deadline) & (POLLOUT | POLLERR | POLLHUP))) {
    error_code_ = ETIMEDOUT;
    error_ = "connect: timed out";
    return;
  }
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    error_code_ = err;
    error_ = std::string("connect: ") + strerror(err);
  }
}

uint16_t Client::local_port() const {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  return ntohs(a.sin_port);
}

bool Client::send(std::string_view bytes, Millis timeout) {
  if (fd_ < 0) {
    last_error_ = "send: not connected";
    return false;
  }
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!(poll_one(fd_, POLLOUT, deadline) & (POLLOUT | POLLERR | POLLHUP))) {
        last_error_ = "send: timed out with " + std::to_string(bytes.size()) + " bytes unsent";
        return false;
      }
      continue;
    }
    last_error_ = std::string("send: ") + strerror(errno);
    return false;
  }
  return true;
}

bool Client::send_pieces(const std::vector<std::string>& pieces, Millis pause, Millis timeout) {
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(pause);
    if (!send(pieces[i], timeout)) return false;
  }
  return true;
}

std::string Client::take_buffered() {
  std::string s(buffered());
  buf_.clear();
  head_ = 0;
  return s;
}

void Client::consume(size_t n) {
  head_ = std::min(buf_.size(), head_ + n);
  // Drop consumed bytes only once they dominate, so consuming many small
  // responses from a large buffer stays linear.
  if (head_ == buf_.size()) {
    buf_.clear();
    head_ = 0;
  } else if (head_ > 64 * 1024 && head_ > buf_.size() / 2) {
    buf_.erase(0, head_);
    head_ = 0;
  }
}

size_t Client::read_available() {
  size_t total = 0;
  while (fd_ >= 0 && peer_ == Peer::open) {
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      buf_.append(buf, static_cast<size_t>(n));
      total += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) {
      peer_ = Peer::closed;
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      peer_ = Peer::reset;
      last_error_ = std::string("recv: ") + strerror(errno);
    }
    break;
  }
  return total;
}

size_t Client::read_once(Millis timeout) {
  if (fd_ < 0 || peer_ != Peer::open) return 0;
  const auto deadline = Clock::now() + timeout;
  if (!(poll_one(fd_, POLLIN, deadline) & (POLLIN | POLLHUP | POLLERR))) return 0;
  return read_available();
}

bool Client::read_at_least(size_t n, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (buffered().size() < n && peer_ == Peer::open) {
    if (read_once(Millis(remaining_ms(deadline))) == 0 && Clock::now() >= deadline) break;
  }
  return buffered().size() >= n;
}

std::optional<Response> Client::read_response(bool head_request, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Response r;
    size_t consumed = 0;
    std::string why;
    switch (parse_response(buffered(), head_request, peer_ != Peer::open, r, consumed, &why)) {
      case ParseResult::complete:
        consume(consumed);
        return r;
      case ParseResult::invalid:
        last_error_ = why;
        return std::nullopt;
      case ParseResult::incomplete: break;
    }
    if (peer_ != Peer::open) {
      last_error_ = std::string(peer_ == Peer::closed ? "peer closed (EOF)" : "connection reset") +
                    " before a complete response; got: " + printable(buffered(), 600);
      return std::nullopt;
    }
    if (Clock::now() >= deadline) {
      last_error_ = "timed out waiting for a response; got: " + printable(buffered(), 600);
      return std::nullopt;
    }
    read_once(Millis(remaining_ms(deadline)));
  }
}

bool Client::wait_for_eof(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!buffered().empty()) {
      last_error_ = "expected EOF, got bytes: " + printable(buffered(), 600);
      return false;
    }
    if (peer_ != Peer::open) return true;
    if (Clock::now() >= deadline) {
      last_error_ = "timed out waiting for the server to close the connection";
      return false;
    }
    read_once(Millis(remaining_ms(deadline)));
  }
}

void Client::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

std::optional<Response> round_trip(uint16_t port, std::string_view request, bool head_request, Millis timeout) {
  Client c(port, timeout);
  if (!c.ok() || !c.send(request, timeout)) return std::nullopt;
  return c.read_response(head_request, timeout);
}

bool wait_until_server_read_all(uint16_t server_port, uint16_t client_port, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    std::ifstream f("/proc/net/tcp");
    if (!f) return false;
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
      std::istringstream in(line);
      std::string sl, local, remote, st, queues;
      if (!(in >> sl >> local >> remote >> st >> queues)) continue;
      auto port_of = [](const std::string& a) -> unsigned {
        const size_t c = a.find(':');
        return c == std::string::npos ? 0u : static_cast<unsigned>(std::stoul(a.substr(c + 1), nullptr, 16));
      };
      if (port_of(local) != server_port || port_of(remote) != client_port) continue;
      const size_t c = queues.find(':');
      if (c == std::string::npos) continue;
      if (std::stoul(queues.substr(c + 1), nullptr, 16) == 0) return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
}

bool wait_until_refused(uint16_t port, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    {
      Client probe(port, 500ms);
      if (!probe.ok() && probe.error_code() == ECONNREFUSED) return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

Listener::Listener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close_fd(fd_);
    return;
  }
  port_ = ntohs(addr.sin_port);
}

Listener::~Listener() { close_fd(fd_); }

std::string printable(std::string_view bytes, size_t max) {
  std::string s;
  const size_t n = std::min(bytes.size(), max);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\r': s += "\\r"; break;
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\\': s += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          s += hex;
        } else {
          s.push_back(static_cast<char>(c));
        }
    }
  }
  if (bytes.size() > max) s += "...(" + std::to_string(bytes.size() - max) + " more bytes)";
  return s;
}

}  // namespace strata::test
