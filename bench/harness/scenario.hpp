// The workloads `strata bench` can run: what request the load generator
// sends and the exact answer every server must give before it may post a
// number. Pure data; nothing here touches a process or a socket.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata::bench {

// One request and its one correct answer (status 200, exactly this body).
struct Route {
  std::string label;          // short name for a row ("user", "async_sleep")
  std::string method;         // "GET" or "POST"
  std::string target;         // path and query, e.g. "/index?name=strata"
  std::string content_type;   // sent with the body; empty: no Content-Type
  std::string body;           // request body; empty: none
  std::string expected_body;  // the exact response body
};

struct Scenario {
  std::string name;           // what --scenario takes
  std::string description;    // one line for the report header
  std::vector<Route> routes;  // one per row per server (several only for `concurrency`)
  int pipeline_depth = 1;     // requests written back to back per connection turn
  int connections = 0;        // > 0: overrides --connections (seed 004 used 100)
  int wrk_timeout_s = 2;      // wrk's --timeout: a slower reply counts as an error
  bool typed_only = false;    // runs against the typed tier only
};

// The scenario named `name`, or nullptr.
const Scenario* find_scenario(std::string_view name);
// Every name find_scenario accepts, in help order.
std::vector<std::string> scenario_names();

}  // namespace strata::bench
