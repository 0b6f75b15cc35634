#include "harness/scenario.hpp"

#include <charconv>
#include <cmath>
#include <utility>

namespace strata::bench {

namespace {

// A route outside seed 004's table.
Route plain(std::string label, std::string method, std::string target, std::string content_type, std::string body,
            std::string expected_body) {
  Route r;
  r.label = std::move(label);
  r.method = std::move(method);
  r.target = std::move(target);
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  r.expected_body = std::move(expected_body);
  return r;
}

std::vector<Scenario> make_scenarios() {
  std::vector<Scenario> all;

  Scenario user;
  user.name = "user";
  user.description = "seed 003: POST /user {\"id\": 1, \"name\": \"user\", \"email\": \"user@email.com\"} -> the User as JSON";
  user.routes.push_back(plain("user", "POST", "/user", "application/json",
                              R"({"id": 1, "name": "user", "email": "user@email.com"})",
                              R"({"id":1,"name":"user","email":"user@email.com"})"));
  all.push_back(user);

  Scenario hello;
  hello.name = "hello";
  hello.description = "seed 002: GET /index?name=strata -> Hello strata";
  hello.routes.push_back(plain("hello", "GET", "/index?name=strata", "", "", "Hello strata"));
  all.push_back(hello);

  Scenario root;
  root.name = "root";
  root.description = "seed 002: GET / (not pipelined) -> Hello ASGI World!";
  root.routes.push_back(plain("root", "GET", "/", "", "", "Hello ASGI World!"));
  all.push_back(root);

  Scenario pipelined;
  pipelined.name = "pipelined";
  pipelined.description = "TechEmpower plaintext style: GET / pipelined 16 deep -> Hello ASGI World!";
  pipelined.routes.push_back(plain("pipelined", "GET", "/", "", "", "Hello ASGI World!"));
  pipelined.pipeline_depth = 16;
  all.push_back(pipelined);

  // Seed 004's FastAPI routes, served by the typed tier. The paths and
  // answers are the seed's; the typed tier must serve exactly these for the
  // scenario to post a number (the harness checks every answer).
  Scenario concurrency;
  concurrency.name = "concurrency";
  concurrency.description =
      "seed 004: blocking, threaded and async handlers of the typed tier at 100 connections";
  concurrency.routes = concurrency_routes(Load{});
  concurrency.takes_load = true;
  concurrency.connections = 100;
  concurrency.wrk_timeout_s = 100;  // as the seed: a 1 s sleep behind 100 others is not an error
  concurrency.typed_only = true;
  all.push_back(concurrency);

  // Seed 001's contacts API, one scenario per endpoint, each over the same
  // loaded database. The answers depend on the data, so each route's
  // expected body is strata's own answer once the rows are loaded.
  const std::pair<const char*, std::pair<const char*, const char*>> db_routes[] = {
      {"contacts", {"/contacts/?page=2", "seed 001: GET /contacts/?page=2, a page of 20 contacts in 3 queries"}},
      {"contacts-one", {"/contacts/7", "seed 001: GET /contacts/7, one contact in 3 queries"}},
      {"contacts-types", {"/types", "seed 001: GET /types, one query, small JSON"}},
      {"contacts-version", {"/version", "seed 001: GET /version, no database"}},
      {"contacts-digest",
       {"/digest/?page=2&rounds=100", "seed 001's second claim: a page (3 queries), then FNV-1a over it 100 times"}},
  };
  for (const auto& [name, route] : db_routes) {
    Scenario db;
    db.name = name;
    db.description = route.second;
    db.routes.push_back(plain(name, "GET", route.first, "", "", ""));
    db.routes.back().json_equivalent = true;
    db.database = true;
    all.push_back(db);
  }
  return all;
}

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = make_scenarios();
  return all;
}

}  // namespace

const Scenario* find_scenario(std::string_view name) {
  for (const auto& s : scenarios())
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> scenario_names() {
  std::vector<std::string> names;
  for (const auto& s : scenarios()) names.push_back(s.name);
  return names;
}

std::string format_delay(double seconds) {
  // Fixed, not scientific: "1e-05" is a float to Python but not to every parser.
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, seconds, std::chars_format::fixed);
  if (r.ec != std::errc{}) r = std::to_chars(buf, buf + sizeof buf, seconds);
  return std::string(buf, r.ptr);
}

std::string check_load(const Load& load) {
  // Written so that NaN fails too.
  if (!(load.delay_s >= 0 && load.delay_s <= kMaxDelayS))
    return "--delay " + format_delay(load.delay_s) + " is out of range: the handlers sleep 0 to " +
           format_delay(kMaxDelayS) + " seconds (seed 004: 1)";
  if (load.work < 0 || load.work > kMaxWork)
    return "--work " + std::to_string(load.work) + " is out of range: the handlers count 0 to " +
           std::to_string(kMaxWork) + " (seed 004: 5000000)";
  return {};
}

std::vector<Route> concurrency_routes(const Load& load) {
  const std::string delay = "?delay=" + format_delay(load.delay_s);
  const std::string n = std::to_string(load.work);
  auto route = [](const std::string& label, const std::string& query, const std::string& answer,
                  const std::string& what, const std::string& waits_on, const std::string& knob) {
    return Route{label, "GET", "/fastapi/" + label + "/" + query, "", "", answer, what, waits_on, knob, false, ""};
  };
  // Flask's and Go's JSON writers add a newline, so theirs compare by meaning.
  auto other = [](const std::string& framework, const std::string& label, const std::string& query,
                  const std::string& answer, const std::string& what, const std::string& waits_on,
                  const std::string& knob) {
    Route r{framework + "/" + label, "GET", "/" + framework + "/" + label + "/" + query, "", "", answer, what,
            waits_on, knob, false, ""};
    r.json_equivalent = true;
    r.framework = framework;
    return r;
  };
  auto message = [](const std::string& text) { return R"({"message":")" + text + R"("})"; };
  auto data = [&](const std::string& text) { return R"({"data":)" + n + R"(,"message":")" + text + R"("})"; };
  // The seed's order: its four sleeping routes, then its three counting ones.
  return {
      route("async_slowest", delay, message("async mode but use sync sleep"), "blocking sleep in async handler",
            "loop", "delay"),
      route("async_sleep_in_thread", delay, message("sleep run in thread pool"),
            "async handler awaits a sleep sent to the pool", "pool", "delay"),
      route("async_sleep", delay, message("async mode sleep"), "async handler awaits a timer", "loop", "delay"),
      route("sync", delay, message("sync, but run in thread pool"), "sync handler sleeps, run on the pool", "pool",
            "delay"),
      route("sync_cpu_bound", "?n=" + n, data("sync mode cpu operation"), "CPU loop in sync handler, run on the pool",
            "pool", "n"),
      route("async_cpu_bound", "?n=" + n, data("async mode cpu operation"),
            "async handler awaits a CPU loop sent to the pool", "pool", "n"),
      route("async_cpu_bound_slow", "?n=" + n, message("sync mode operation but run in async mode"),
            "CPU loop inline in async handler", "loop", "n"),
      other("flask", "sync_cpu_bound", "?n=" + n, data("sync mode cpu operation"),
            "sync worker waits for a CPU loop in a process pool", "process pool", "n"),
      other("flask", "sync_cpu_bound_slow", "?n=" + n, message("sync mode operation but pretend to run in async mode"),
            "CPU loop in the sync worker", "worker", "n"),
      other("go", "sync", delay, message("sync sleep in handler"), "handler sleeps in its connection's goroutine",
            "goroutine", "delay"),
      other("go", "async_sleep_in_thread", delay, message("sleep started in a goroutine"),
            "handler starts a sleeping goroutine and answers at once", "goroutine", "delay"),
  };
}

Scenario with_load(const Scenario& scenario, const Load& load) {
  Scenario s = scenario;
  if (s.takes_load) s.routes = concurrency_routes(load);
  return s;
}

}  // namespace strata::bench
