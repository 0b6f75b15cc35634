#include "support/process.hpp"

#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

namespace strata::test {

using Clock = std::chrono::steady_clock;

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::unique_ptr<Subprocess> spawn_process(const std::string& path, const std::vector<std::string>& args,
                                          const SpawnOptions& options, std::string* error) {
  kit::SpawnSpec spec;
  spec.argv.push_back(path);
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.max_open_files = options.max_open_files;
  spec.out = options.capture_stdout ? kit::Output::pipe : kit::Output::inherit;
  spec.err = options.capture_stderr ? kit::Output::pipe : kit::Output::inherit;
  std::string why;
  auto p = Subprocess::spawn(spec, why);
  if (!p && error) *error = why;
  return p;
}

RunResult run_command(const std::string& path, const std::vector<std::string>& args, Millis timeout) {
  kit::SpawnSpec spec;
  spec.argv.push_back(path);
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  RunResult r = kit::run_to_end(spec, timeout);
  if (!r.error.empty()) r.err = r.error;
  return r;
}

std::unique_ptr<ServerProcess> ServerProcess::start(const std::string& binary, std::vector<std::string> args,
                                                    const SpawnOptions& options, std::string* error) {
  args.insert(args.begin(), {binary, "serve"});
  return launch(std::move(args), options, error);
}

std::unique_ptr<ServerProcess> ServerProcess::start_program(const std::string& binary, std::vector<std::string> args,
                                                            const SpawnOptions& options, std::string* error) {
  args.insert(args.begin(), binary);
  return launch(std::move(args), options, error);
}

std::unique_ptr<ServerProcess> ServerProcess::launch(std::vector<std::string> args, const SpawnOptions& options,
                                                     std::string* error) {
  auto has = [&](std::string_view flag) {
    for (const auto& a : args)
      if (a == flag || a.rfind(std::string(flag) + "=", 0) == 0) return true;
    return false;
  };
  if (!has("--host")) args.insert(args.end(), {"--host", "127.0.0.1"});
  if (!has("--port")) args.insert(args.end(), {"--port", "0"});
  // STRATA_TEST_IO=uring runs a whole suite's servers over io_uring: how
  // CTest runs the black-box suites a second time (tests/blackbox).
  if (const char* io = std::getenv("STRATA_TEST_IO"); io && *io && !has("--io")) args.insert(args.end(), {"--io", io});
  kit::SpawnSpec spec;
  spec.argv = std::move(args);
  spec.max_open_files = options.max_open_files;
  spec.out = kit::Output::pipe;
  spec.err = options.capture_stderr ? kit::Output::pipe : kit::Output::inherit;
  // Sanitizer builds start slowly: be generous here, it costs nothing when fast.
  auto started = kit::start_server(spec, 10000ms);
  if (!started.child) {
    if (error) *error = started.error;
    return nullptr;
  }
  std::unique_ptr<ServerProcess> s(new ServerProcess());
  s->proc_ = std::move(started.child);
  s->banner_ = started.banner;
  s->line_ = started.banner_line;
  return s;
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

}  // namespace strata::test
