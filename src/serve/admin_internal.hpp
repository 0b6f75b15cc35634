// The admin server behind --admin-port PORT (strata::serve, `strata serve`): GET /metrics
// answers the probes' per-phase aggregates in Prometheus' text exposition
// format, on a port of its own, so it never shadows a path of the app.
//
// It is tier 2 (an HttpWorker) on a loop and thread of its own. Its thread
// is muted for the probes: scraping /metrics does not count as a request.
// Every other path is a 404.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace strata::http {
class HttpWorker;
}

namespace strata::serving {

class AdminServer {
 public:
  AdminServer();
  ~AdminServer();  // stops it if running
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds host:port (0 picks a free port) and starts serving on its own
  // thread. On failure returns false with a one-line reason in `error`.
  bool start(const std::string& host, uint16_t port, std::string& error);
  uint16_t port() const { return port_; }
  // Finishes in-flight scrapes, then joins the thread. Idempotent.
  void stop();

 private:
  std::unique_ptr<http::HttpWorker> worker_;
  std::thread thread_;
  uint16_t port_ = 0;
};

// The admin app itself (tier 2): GET or HEAD /metrics, else 404.
// Exposed for tests.
std::string metrics_body();

}  // namespace strata::serving
