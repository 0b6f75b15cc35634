// A stand-in for AWS Lambda's Runtime API (version 2018-06-01), for tests:
// an HTTP/1.1 server on an ephemeral 127.0.0.1 port, on its own thread,
// implementing the endpoints a custom runtime calls:
//   GET  /2018-06-01/runtime/invocation/next          the next queued event
//        (waits for one), with Lambda-Runtime-Aws-Request-Id,
//        -Deadline-Ms, -Invoked-Function-Arn and -Trace-Id
//   POST /2018-06-01/runtime/invocation/{id}/response  202, recorded
//   POST /2018-06-01/runtime/invocation/{id}/error     202, recorded with its
//        Lambda-Runtime-Function-Error-Type header
//   POST /2018-06-01/runtime/init/error                202, recorded
// anything else: 404. Keep-alive connections are served one at a time, as
// the runtime makes one call at a time.
//
// stop() is the API going away: the listener and any open connection are
// closed, so a runtime waiting for its next event sees the connection drop.
// Every wait takes a timeout. Not copyable; one test owns one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace strata::test {

class RuntimeApiEmulator {
 public:
  struct Result {
    std::string request_id;         // empty for an init error
    std::string kind;               // "response", "error" or "init-error"
    std::string body;
    std::string error_type_header;  // Lambda-Runtime-Function-Error-Type
    std::string content_type;
  };

  RuntimeApiEmulator();
  ~RuntimeApiEmulator();
  RuntimeApiEmulator(const RuntimeApiEmulator&) = delete;
  RuntimeApiEmulator& operator=(const RuntimeApiEmulator&) = delete;

  // "127.0.0.1:PORT", for AWS_LAMBDA_RUNTIME_API.
  std::string address() const;

  // Queues an event; returns its request id ("req-1", "req-2", ...). Its
  // Lambda-Runtime-Deadline-Ms is `time_limit` after it is handed out.
  std::string enqueue(std::string event, std::string trace_id = {},
                      std::chrono::milliseconds time_limit = std::chrono::seconds(10));
  // The result posted for `request_id`, or nullopt after `timeout`.
  std::optional<Result> wait_result(const std::string& request_id,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::optional<Result> wait_init_error(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // GET /next requests received so far.
  int next_calls() const;

  void stop();

 private:
  void serve();
  bool serve_connection(int fd);
  bool respond(int fd, const std::string& method, const std::string& path, const std::string& error_type,
               const std::string& content_type, std::string body);
  std::optional<Result> wait_for(const std::string& request_id, const std::string& kind,
                                 std::chrono::milliseconds timeout);

  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: stop() writes, poll() wakes
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int next_id_ = 0;
  int next_calls_ = 0;
  struct Queued {
    std::string id, event, trace_id;
    std::chrono::milliseconds time_limit{};
  };
  std::deque<Queued> queue_;
  std::vector<Result> results_;
};

}  // namespace strata::test
