// Black-box test support: run the real `strata` binary as a child process and
// talk to it over raw TCP.
//
// Every blocking operation here takes a timeout (a few seconds by default),
// so a server that hangs makes a test fail instead of hanging the suite, and
// every child is killed and reaped when its handle goes away, so no test can
// leave a process behind (children also get SIGKILL if the test runner dies).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::test {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

inline constexpr Millis kDefaultTimeout = 5000ms;

// ------------------------------------------------------------------ processes

struct SpawnOptions {
  bool capture_stdout = true;   // otherwise inherited
  bool capture_stderr = false;  // otherwise inherited (so sanitizer reports show up)
  std::optional<uint64_t> max_open_files;  // RLIMIT_NOFILE set in the child before exec
};

// How a child ended, from waitpid().
struct ExitStatus {
  bool exited = false;    // true: normal exit with `code`
  int code = -1;
  int signal = 0;         // the signal that killed it, when !exited
  std::string describe() const;
};

class Subprocess {
 public:
  // fork()+execv(path, [path, args...]). Returns nullptr (and sets `error`)
  // if the child could not be started.
  static std::unique_ptr<Subprocess> spawn(const std::string& path, const std::vector<std::string>& args,
                                           const SpawnOptions& options, std::string* error = nullptr);
  ~Subprocess();  // SIGKILL + reap if still running; closes pipes
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // One line from stdout (without the '\n'), or nullopt on EOF/timeout.
  std::optional<std::string> read_stdout_line(Millis timeout = kDefaultTimeout);
  // Everything the child writes to stdout / stderr until it closes them (or
  // the timeout passes); both pipes are drained together so neither fills up.
  void read_outputs_until_eof(std::string& out, std::string& err, Millis timeout = kDefaultTimeout);
  // Whatever stderr holds right now (non-blocking); needs capture_stderr.
  std::string read_available_stderr();

  bool send_signal(int sig);
  // Waits for the child to end; nullopt if it is still running at the timeout.
  std::optional<ExitStatus> wait_exit(Millis timeout = kDefaultTimeout);
  // True while the child has not exited (reaps it if it has).
  bool running();
  void kill_and_reap();

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  bool reaped_ = false;
  ExitStatus status_;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_buf_;  // stdout bytes read past the last line returned
};

// A finished run of a command: its outputs and how it ended.
struct RunResult {
  std::optional<ExitStatus> status;  // nullopt: did not finish in time (it was killed)
  std::string out, err;
};
RunResult run_command(const std::string& path, const std::vector<std::string>& args, Millis timeout = kDefaultTimeout);

// The strata server under test, started with `serve` and its first stdout
// line parsed: "listening on http://HOST:PORT tier=TIER".
class ServerProcess {
 public:
  // `args` follow "serve"; "--host 127.0.0.1 --port 0" are added unless present.
  static std::unique_ptr<ServerProcess> start(const std::string& binary, std::vector<std::string> args,
                                              const SpawnOptions& options = {}, std::string* error = nullptr);

  uint16_t port() const { return port_; }
  const std::string& host() const { return host_; }
  const std::string& tier() const { return tier_; }
  const std::string& banner() const { return banner_; }
  Subprocess& process() { return *proc_; }

  bool send_signal(int sig) { return proc_->send_signal(sig); }
  std::optional<ExitStatus> wait_exit(Millis timeout = kDefaultTimeout) { return proc_->wait_exit(timeout); }
  bool running() { return proc_->running(); }

 private:
  std::unique_ptr<Subprocess> proc_;
  uint16_t port_ = 0;
  std::string host_, tier_, banner_;
};

// Parses "listening on http://HOST:PORT tier=TIER"; false if it does not match.
bool parse_banner(std::string_view line, std::string& host, uint16_t& port, std::string& tier);

// ------------------------------------------------------------------ HTTP over raw TCP

struct Response {
  std::string version;   // "HTTP/1.1"
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // as received (value trimmed)
  std::string body;      // de-chunked when the response was chunked
  std::string raw;       // every byte of the response as received
  bool chunked = false;

  // First value of a header (case-insensitive name), or nullopt.
  std::optional<std::string> header(std::string_view name) const;
  size_t header_count(std::string_view name) const;
  // True if `name` has `token` as one of its comma-separated values (case-insensitive).
  bool header_has_token(std::string_view name, std::string_view token) const;
};

// Result of trying to parse one response from the front of `bytes`.
enum class ParseResult { complete, incomplete, invalid };
// Parses one response at the start of `bytes`. For a response to HEAD pass
// `head_request` (no body is expected whatever the headers say). `consumed`
// is the response's size when complete. A response without Content-Length
// and not chunked (and not 1xx/204/304) is delimited by the connection
// close: pass `at_eof` once the peer has closed.
ParseResult parse_response(std::string_view bytes, bool head_request, bool at_eof, Response& out, size_t& consumed,
                           std::string* error = nullptr);

// Decodes a chunked body at the start of `bytes`. Returns the framed size
// (incl. trailers) or 0 if incomplete; -1 if invalid.
long long decode_chunked(std::string_view bytes, std::string& body);

class Client {
 public:
  enum class Peer { open, closed, reset };

  struct Options {
    int rcvbuf = 0;   // SO_RCVBUF before connect; 0 keeps the default
    bool nodelay = true;
  };

  // Connects to 127.0.0.1:port; check ok() (or error()). The socket is
  // non-blocking and close-on-exec; every call below polls with a timeout.
  explicit Client(uint16_t port, Millis timeout = kDefaultTimeout);
  Client(uint16_t port, const Options& options, Millis timeout = kDefaultTimeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool ok() const { return fd_ >= 0 && error_.empty(); }
  const std::string& error() const { return error_; }
  int error_code() const { return error_code_; }  // errno of a failed connect
  int fd() const { return fd_; }
  uint16_t local_port() const;

  // Writes all of `bytes` (polling while the socket buffer is full). False on
  // error or timeout.
  bool send(std::string_view bytes, Millis timeout = kDefaultTimeout);
  // Several writes with a pause between them, so the server sees separate reads.
  bool send_pieces(const std::vector<std::string>& pieces, Millis pause = 20ms, Millis timeout = kDefaultTimeout);

  // One response from the stream; bytes past it stay buffered for the next
  // call. nullopt (with last_error()) on timeout, EOF or a malformed response.
  std::optional<Response> read_response(bool head_request = false, Millis timeout = kDefaultTimeout);
  // Waits for the peer to close: true if it closed (FIN or RST) before the
  // timeout without sending anything more; bytes that arrive instead stay in
  // buffered() and make it false.
  bool wait_for_eof(Millis timeout = kDefaultTimeout);
  // Reads until `n` bytes are buffered, the peer closes, or timeout.
  bool read_at_least(size_t n, Millis timeout = kDefaultTimeout);
  // One poll()+recv(); appends to the buffer. Returns bytes read (0 when
  // nothing arrived in `timeout`); updates peer().
  size_t read_once(Millis timeout);
  // Non-blocking drain of whatever the kernel holds.
  size_t read_available();

  // Received bytes not yet consumed by read_response().
  std::string_view buffered() const { return std::string_view(buf_).substr(head_); }
  std::string take_buffered();
  void consume(size_t n);
  Peer peer() const { return peer_; }
  const std::string& last_error() const { return last_error_; }

  void shutdown_write();
  void close();

 private:
  void connect_to(uint16_t port, const Options& options, Millis timeout);
  int fd_ = -1;
  int error_code_ = 0;
  std::string error_;
  std::string last_error_;
  std::string buf_;
  size_t head_ = 0;  // bytes of buf_ already consumed (dropped lazily)
  Peer peer_ = Peer::open;
};

// Convenience: one connection, one request, one response.
std::optional<Response> round_trip(uint16_t port, std::string_view request, bool head_request = false,
                                   Millis timeout = kDefaultTimeout);

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

// Printable form of raw bytes for failure messages ("\r\n" escaped, long runs shortened).
std::string printable(std::string_view bytes, size_t max = 2000);

}  // namespace strata::test
