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
  // Seed 004's table, for the concurrency routes only.
  std::string what;           // what the handler does: "blocking sleep in async handler"
  std::string waits_on;       // where its sleep or loop runs: "loop" or "pool"
  std::string knob;           // the query parameter --delay or --work sets: "delay", "n"; "" none
  // The answer is JSON compared by meaning (key order, spacing and number
  // spelling free), not byte for byte: the twins of the database scenarios
  // are other languages' JSON writers. Their expected body is strata's own
  // answer, fetched after the data is loaded.
  bool json_equivalent = false;
  // Seed 004's routes of its other stacks, served by them alone: "flask"
  // (with --reference python) or "go" (with --peers go); "" for the routes
  // the typed tier and FastAPI both serve.
  std::string framework;
};

struct Scenario {
  std::string name;           // what --scenario takes
  std::string description;    // one line for the report header
  std::vector<Route> routes;  // one per row per server (several only for `concurrency`)
  int pipeline_depth = 1;     // requests written back to back per connection turn
  int connections = 0;        // > 0: overrides --connections (seed 004 used 100)
  int wrk_timeout_s = 2;      // wrk's --timeout: a slower reply counts as an error
  bool typed_only = false;    // runs against the typed tier only
  bool takes_load = false;    // its routes take --delay and --work (see with_load)
  // Seed 001: the rows are database stacks over one private PostgreSQL
  // cluster (and a SQLite file) the harness starts and loads itself.
  bool database = false;
};

// The scenario named `name`, or nullptr.
const Scenario* find_scenario(std::string_view name);
// Every name find_scenario accepts, in help order.
std::vector<std::string> scenario_names();

// Seed 004's two knobs: how long the sleeping handlers sleep (?delay=) and
// how far the CPU handlers count (?n=). The defaults are the seed's.
struct Load {
  double delay_s = 1.0;
  long long work = 5000000;
};
// What the typed tier (and the FastAPI twin) accept; outside, they answer 422.
inline constexpr double kMaxDelayS = 60;
inline constexpr long long kMaxWork = 1000000000;

// "" when both values are in range, else one sentence naming the flag.
std::string check_load(const Load& load);

// A delay as it goes into a query: the shortest text that reads back as the
// same double ("1", "0.01", "2.5").
std::string format_delay(double seconds);

// Seed 004's seven routes, their targets carrying `load` and their answers
// the bodies the handlers must give for it ({"data":N,...} echoes ?n=).
std::vector<Route> concurrency_routes(const Load& load);

// `scenario` with its routes set for `load`; unchanged unless it takes_load.
Scenario with_load(const Scenario& scenario, const Load& load);

}  // namespace strata::bench
