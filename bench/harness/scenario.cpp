#include "harness/scenario.hpp"

namespace strata::bench {

namespace {

std::vector<Scenario> make_scenarios() {
  std::vector<Scenario> all;

  Scenario user;
  user.name = "user";
  user.description = "seed 003: POST /user {\"id\": 1, \"name\": \"user\", \"email\": \"user@email.com\"} -> the User as JSON";
  user.routes.push_back({"user", "POST", "/user", "application/json",
                         R"({"id": 1, "name": "user", "email": "user@email.com"})",
                         R"({"id":1,"name":"user","email":"user@email.com"})"});
  all.push_back(user);

  Scenario hello;
  hello.name = "hello";
  hello.description = "seed 002: GET /index?name=strata -> Hello strata";
  hello.routes.push_back({"hello", "GET", "/index?name=strata", "", "", "Hello strata"});
  all.push_back(hello);

  Scenario pipelined;
  pipelined.name = "pipelined";
  pipelined.description = "TechEmpower plaintext style: GET / pipelined 16 deep -> Hello ASGI World!";
  pipelined.routes.push_back({"pipelined", "GET", "/", "", "", "Hello ASGI World!"});
  pipelined.pipeline_depth = 16;
  all.push_back(pipelined);

  // Seed 004's FastAPI routes, served by the typed tier. The paths and
  // answers below are the seed's; the typed tier must serve exactly these
  // for the scenario to post a number (the harness checks every answer).
  Scenario concurrency;
  concurrency.name = "concurrency";
  concurrency.description =
      "seed 004: blocking, threaded and async handlers of the typed tier at 100 connections";
  concurrency.routes = {
      {"async_slowest", "GET", "/fastapi/async_slowest/", "", "", R"({"message":"async mode but use sync sleep"})"},
      {"async_sleep_in_thread", "GET", "/fastapi/async_sleep_in_thread/", "", "",
       R"({"message":"sleep run in thread pool"})"},
      {"async_sleep", "GET", "/fastapi/async_sleep/", "", "", R"({"message":"async mode sleep"})"},
      {"sync", "GET", "/fastapi/sync/", "", "", R"({"message":"sync, but run in thread pool"})"},
  };
  concurrency.connections = 100;
  concurrency.wrk_timeout_s = 100;  // as the seed: a 1 s sleep behind 100 others is not an error
  concurrency.typed_only = true;
  all.push_back(concurrency);
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

}  // namespace strata::bench
