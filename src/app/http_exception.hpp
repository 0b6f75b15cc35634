// Errors an application raises on purpose. Thrown anywhere below the
// exception middleware, an HTTPException becomes exactly that response
// (Starlette's HTTPException: plain-text detail, optional headers).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace strata::app {

class HTTPException : public std::runtime_error {
 public:
  HTTPException(int status, std::string detail = {}, std::vector<std::pair<std::string, std::string>> headers = {})
      : std::runtime_error(detail), status_(status), detail_(std::move(detail)), headers_(std::move(headers)) {}
  int status() const { return status_; }
  const std::string& detail() const { return detail_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  int status_;
  std::string detail_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// The client went away while the app was reading the body.
class ClientDisconnect : public std::runtime_error {
 public:
  ClientDisconnect() : std::runtime_error("client disconnected") {}
};

}  // namespace strata::app
