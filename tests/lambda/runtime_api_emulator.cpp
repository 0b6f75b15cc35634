#include "lambda/runtime_api_emulator.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace strata::test {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

uint64_t now_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

RuntimeApiEmulator::RuntimeApiEmulator() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::pipe2(wake_, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("emulator: cannot listen: ") + std::strerror(errno));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

RuntimeApiEmulator::~RuntimeApiEmulator() {
  stop();
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string RuntimeApiEmulator::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string RuntimeApiEmulator::enqueue(std::string event, std::string trace_id,
                                       std::chrono::milliseconds time_limit) {
  std::lock_guard lock(mu_);
  Queued q{"req-" + std::to_string(++next_id_), std::move(event), std::move(trace_id), time_limit};
  std::string id = q.id;
  queue_.push_back(std::move(q));
  cv_.notify_all();
  return id;
}

std::optional<RuntimeApiEmulator::Result> RuntimeApiEmulator::wait_for(const std::string& request_id,
                                                                       const std::string& kind,
                                                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  std::optional<Result> found;
  cv_.wait_for(lock, timeout, [&] {
    for (const Result& r : results_) {
      if ((kind.empty() && r.request_id == request_id) || (!kind.empty() && r.kind == kind)) {
        found = r;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<RuntimeApiEmulator::Result> RuntimeApiEmulator::wait_result(const std::string& request_id,
                                                                          std::chrono::milliseconds timeout) {
  return wait_for(request_id, "", timeout);
}

std::optional<RuntimeApiEmulator::Result> RuntimeApiEmulator::wait_init_error(std::chrono::milliseconds timeout) {
  return wait_for("", "init-error", timeout);
}

int RuntimeApiEmulator::next_calls() const {
  std::lock_guard lock(mu_);
  return next_calls_;
}

void RuntimeApiEmulator::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
  }
  [[maybe_unused]] const ssize_t n = ::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

void RuntimeApiEmulator::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const bool go_on = serve_connection(fd);
    ::close(fd);
    if (!go_on) return;
  }
}

// Serves requests on one connection until the peer closes it (true) or the
// emulator stops (false).
bool RuntimeApiEmulator::serve_connection(int fd) {
  std::string buf;
  for (;;) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      ::poll(fds, 2, -1);
      if (fds[1].revents) return false;
      char tmp[65536];
      const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return true;
      buf.append(tmp, static_cast<size_t>(n));
    }
    const std::string head = buf.substr(0, head_end);
    const size_t line_end = head.find("\r\n");
    const std::string line = head.substr(0, line_end);
    const size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 + 1);
    const std::string method = line.substr(0, sp1), path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t content_length = 0;
    std::string error_type, content_type;
    for (size_t pos = line_end; pos != std::string::npos && pos < head.size();) {
      const size_t start = pos + 2, end = head.find("\r\n", start);
      const std::string field = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
      pos = end;
      const size_t colon = field.find(':');
      if (colon == std::string::npos) continue;
      const std::string name = lower(field.substr(0, colon));
      std::string value = field.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      if (name == "content-length") content_length = std::stoul(value);
      if (name == "lambda-runtime-function-error-type") error_type = value;
      if (name == "content-type") content_type = value;
    }
    while (buf.size() < head_end + 4 + content_length) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      ::poll(fds, 2, -1);
      if (fds[1].revents) return false;
      char tmp[65536];
      const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) return true;
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string body = buf.substr(head_end + 4, content_length);
    buf.erase(0, head_end + 4 + content_length);
    if (!respond(fd, method, path, error_type, content_type, std::move(body))) return false;
  }
}

bool RuntimeApiEmulator::respond(int fd, const std::string& method, const std::string& path,
                                 const std::string& error_type, const std::string& content_type, std::string body) {
  constexpr std::string_view prefix = "/2018-06-01/runtime/";
  auto reply = [&](std::string_view status, std::string_view extra, std::string_view payload) {
    std::string r = "HTTP/1.1 ";
    r.append(status).append("\r\nContent-Type: application/json\r\n").append(extra);
    r.append("Content-Length: ").append(std::to_string(payload.size())).append("\r\n\r\n").append(payload);
    return write_all(fd, r);
  };
  if (method == "GET" && path == std::string(prefix) + "invocation/next") {
    Queued q;
    {
      std::unique_lock lock(mu_);
      ++next_calls_;
      cv_.notify_all();
      // Lambda's /next blocks until there is an event, however long.
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return false;
      q = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string extra = "Lambda-Runtime-Aws-Request-Id: " + q.id + "\r\n";
    const uint64_t deadline = now_ms() + static_cast<uint64_t>(q.time_limit.count());
    extra += "Lambda-Runtime-Deadline-Ms: " + std::to_string(deadline) + "\r\n";
    extra += "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:strata-test\r\n";
    if (!q.trace_id.empty()) extra += "Lambda-Runtime-Trace-Id: " + q.trace_id + "\r\n";
    return reply("200 OK", extra, q.event);
  }
  if (method == "POST" && path.starts_with(std::string(prefix) + "invocation/")) {
    std::string rest = path.substr(prefix.size() + std::string_view("invocation/").size());
    const size_t slash = rest.find('/');
    const std::string id = rest.substr(0, slash), what = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (what == "response" || what == "error") {
      std::lock_guard lock(mu_);
      results_.push_back({id, what, std::move(body), error_type, content_type});
      cv_.notify_all();
      return reply("202 Accepted", "", "{\"status\":\"OK\"}");
    }
  }
  if (method == "POST" && path == std::string(prefix) + "init/error") {
    std::lock_guard lock(mu_);
    results_.push_back({"", "init-error", std::move(body), error_type, content_type});
    cv_.notify_all();
    return reply("202 Accepted", "", "{\"status\":\"OK\"}");
  }
  return reply("404 Not Found", "", "{\"errorMessage\":\"no such endpoint\",\"errorType\":\"NotFound\"}");
}

}  // namespace strata::test
