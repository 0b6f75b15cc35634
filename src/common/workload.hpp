// The seed workloads, in one place, so tiers 1 to 3 do exactly the same
// application work and differ only in what surrounds it.
//
//   seed 003: POST a User {"id": int, "name": str, "email": str}, decode it,
//             build a new User from it, answer it as JSON.
//   seed 002: GET /  -> "Hello ASGI World!";  GET /index?name=X -> "Hello X".
//
// Threading: a UserEndpoint owns a simdjson parser and a scratch buffer, so
// each event loop keeps its own (thread_local is fine). Nothing here
// allocates once those buffers have grown to the largest body seen.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace strata::workload {

struct User {
  int64_t id = 0;
  std::string_view name;   // valid until the next decode on the same endpoint
  std::string_view email;
};

enum class Status { ok, bad_request };

inline constexpr std::string_view json_type = "application/json";
inline constexpr std::string_view text_type = "text/plain; charset=utf-8";

class UserEndpoint {
 public:
  // Decodes `body` into a User. On failure returns false and appends a
  // one-line reason to `reason`. The User's strings view this endpoint's
  // parser memory and stay valid until the next call.
  bool decode(std::string_view body, User& user, std::string& reason);

  // The whole seed 003 endpoint: decode, build a new User, encode. Appends
  // the JSON (Status::ok) or the one-line reason (Status::bad_request) to `out`.
  Status operator()(std::string_view body, std::string& out);

 private:
  simdjson::ondemand::parser parser_;
  std::unique_ptr<char[]> scratch_;  // body copy with simdjson's padding
  size_t scratch_cap_ = 0;
};

// Appends the User as compact JSON, field order id, name, email.
void encode(const User& user, std::string& out);

// The seed 002 endpoints. `query` is the raw query string (no '?').
void hello_root(std::string& out);
void hello_index(std::string_view query, std::string& out);

}  // namespace strata::workload
