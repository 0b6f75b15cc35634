// Black-box test support: run the real binaries as child processes and talk
// to them over raw TCP, with the kit (src/kit/) that `strata bench` and
// `strata profile` use too; what is here is only what tests alone need.
//
// Every blocking operation takes a timeout (a few seconds by default), so a
// server that hangs makes a test fail instead of hanging the suite, and
// every child is killed and reaped when its handle goes away, so no test can
// leave a process behind (children also get SIGKILL if the test runner dies).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kit/http.hpp"
#include "kit/process.hpp"
#include "kit/server.hpp"

namespace strata::test {

using namespace std::chrono_literals;
using Millis = kit::Millis;
inline constexpr Millis kDefaultTimeout = kit::kDefaultTimeout;

using kit::Client;
using kit::decode_chunked;
using kit::ExitStatus;
using kit::parse_banner;
using kit::parse_response;
using kit::ParseResult;
using kit::printable;
using kit::Response;
using kit::round_trip;
using kit::RunResult;
using Subprocess = kit::Child;

// ------------------------------------------------------------------ processes

struct SpawnOptions {
  bool capture_stdout = true;   // in a pipe; otherwise inherited
  bool capture_stderr = false;  // in a pipe; otherwise inherited (so sanitizer reports show up)
  std::optional<uint64_t> max_open_files;  // RLIMIT_NOFILE set in the child before exec
};

// Runs [path, args...]. nullptr (and `error`) if it could not be started.
std::unique_ptr<Subprocess> spawn_process(const std::string& path, const std::vector<std::string>& args,
                                          const SpawnOptions& options, std::string* error = nullptr);

// Runs a command to its end (killed at the timeout: status is then nullopt);
// `err` holds the reason when it could not be started.
RunResult run_command(const std::string& path, const std::vector<std::string>& args, Millis timeout = kDefaultTimeout);

// The strata server under test, started with `serve` and its banner read.
class ServerProcess {
 public:
  // `args` follow "serve"; "--host 127.0.0.1 --port 0" are added unless
  // present, and "--io $STRATA_TEST_IO" when that variable is set.
  static std::unique_ptr<ServerProcess> start(const std::string& binary, std::vector<std::string> args,
                                              const SpawnOptions& options = {}, std::string* error = nullptr);
  // A program of the user's kind (strata::serve's flags, no subcommand).
  static std::unique_ptr<ServerProcess> start_program(const std::string& binary, std::vector<std::string> args,
                                                      const SpawnOptions& options = {}, std::string* error = nullptr);

  uint16_t port() const { return banner_.port; }
  const std::string& host() const { return banner_.host; }
  const std::string& tier() const { return banner_.tier; }
  const std::string& banner() const { return line_; }
  Subprocess& process() { return *proc_; }

  bool send_signal(int sig) { return proc_->send_signal(sig); }
  std::optional<ExitStatus> wait_exit(Millis timeout = kDefaultTimeout) { return proc_->wait_exit(timeout); }
  bool running() { return proc_->running(); }

 private:
  static std::unique_ptr<ServerProcess> launch(std::vector<std::string> argv, const SpawnOptions& options,
                                               std::string* error);
  std::unique_ptr<Subprocess> proc_;
  kit::Banner banner_;
  std::string line_;
};

// ------------------------------------------------------------------ the server's side of a connection

// Waits until the kernel reports that the server side of the connection
// between 127.0.0.1:server_port and 127.0.0.1:client_port has no unread
// bytes (its receive queue in /proc/net/tcp is empty), i.e. the server has
// read everything the client sent. False on timeout or if /proc/net/tcp
// cannot be read.
bool wait_until_server_read_all(uint16_t server_port, uint16_t client_port, Millis timeout = kDefaultTimeout);

// Tries to connect to 127.0.0.1:port until the connection is refused
// (listener closed). True once refused; false on timeout.
bool wait_until_refused(uint16_t port, Millis timeout = kDefaultTimeout);

// A listening socket on 127.0.0.1 with a kernel-chosen port (for "port in use").
class Listener {
 public:
  Listener();
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  bool ok() const { return fd_ >= 0; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace strata::test
