// How route matching time grows with the size of the route table
// (Catch2 benchmarks, `bench_route_match`).
//
// "tree match":        strata's segment tree (src/app/routing.hpp), the
//                      request matching the last route added
// "tree miss":         the same tree asked for a path no route has (a 404)
// "linear regex scan": the strategy of Starlette's router, one compiled
//                      regex per route tried in order, reproduced with
//                      std::regex as a baseline; the last route matches,
//                      the worst case for a scan
//
// Each table has N routes "/r<i>/items/{id:int}", N = 10, 100 and 1000.

// As in main.cpp, which holds the runner: both sides must see one Catch2.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <vector>

#include "app/routing.hpp"

namespace {

using strata::app::Match;
using strata::app::Router;

constexpr int kRouteCounts[] = {10, 100, 1000};

Router make_router(int n) {
  Router r;
  for (int i = 0; i < n; ++i)
    r.route("/r" + std::to_string(i) + "/items/{id:int}", {"GET"},
            [](strata::app::Request&) -> strata::Task<strata::app::Response> { co_return strata::app::Response{}; });
  return r;
}

std::string last_path(int n) { return "/r" + std::to_string(n - 1) + "/items/42"; }

}  // namespace

// Tables are built outside the measured lambdas: Catch2 times only the
// lambda, so building 1000 routes (or compiling 1000 regexes) stays out of
// the figures. Each table is checked once before it is timed.
TEST_CASE("tree match", "[route]") {
  for (const int n : kRouteCounts) {
    const Router r = make_router(n);
    const std::string last = last_path(n);
    REQUIRE(r.match("GET", last).kind == Match::found);
    BENCHMARK("tree match, " + std::to_string(n) + " routes") { return r.match("GET", last); };
  }
}

TEST_CASE("tree miss", "[route]") {
  for (const int n : kRouteCounts) {
    const Router r = make_router(n);
    REQUIRE(r.match("GET", "/nowhere/items/42").kind == Match::not_found);
    BENCHMARK("tree miss, " + std::to_string(n) + " routes") { return r.match("GET", "/nowhere/items/42"); };
  }
}

TEST_CASE("linear regex scan", "[route][regex]") {
  for (const int n : kRouteCounts) {
    std::vector<std::regex> routes;
    for (int i = 0; i < n; ++i) routes.emplace_back("^/r" + std::to_string(i) + "/items/([0-9]+)$");
    const std::string last = last_path(n);
    const auto scan = [&] {
      std::smatch sm;
      bool found = false;
      for (const auto& re : routes)
        if ((found = std::regex_match(last, sm, re))) break;
      return found;
    };
    REQUIRE(scan());
    BENCHMARK("linear regex scan, " + std::to_string(n) + " routes") { return scan(); };
  }
}
