// How route matching time grows with the size of the route table.
//
// BM_TreeMatch: strata's segment tree (src/app/routing.hpp).
// BM_LinearRegexScan: the strategy of Starlette's router, one compiled
// regex per route tried in order, reproduced with std::regex as a baseline.
//
// Each table has N routes "/r<i>/items/{id:int}"; the request matches the
// last route added (the worst case for a scan) or the middle one.
#include <benchmark/benchmark.h>

#include <regex>
#include <string>
#include <vector>

#include "app/routing.hpp"

namespace {

using strata::app::Match;
using strata::app::Router;

Router make_router(int n) {
  Router r;
  for (int i = 0; i < n; ++i)
    r.route("/r" + std::to_string(i) + "/items/{id:int}", {"GET"},
            [](strata::app::Request&) -> strata::Task<strata::app::Response> { co_return strata::app::Response{}; });
  return r;
}

void BM_TreeMatch(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const Router r = make_router(n);
  const std::string last = "/r" + std::to_string(n - 1) + "/items/42";
  for (auto _ : state) {
    Match m = r.match("GET", last);
    benchmark::DoNotOptimize(m);
    if (m.kind != Match::found) state.SkipWithError("no match");
  }
}

void BM_TreeMatchMiss(benchmark::State& state) {
  const Router r = make_router(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Match m = r.match("GET", "/nowhere/items/42");
    benchmark::DoNotOptimize(m);
  }
}

void BM_LinearRegexScan(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::regex> routes;
  for (int i = 0; i < n; ++i) routes.emplace_back("^/r" + std::to_string(i) + "/items/([0-9]+)$");
  const std::string last = "/r" + std::to_string(n - 1) + "/items/42";
  for (auto _ : state) {
    std::smatch sm;
    bool found = false;
    for (const auto& re : routes)
      if ((found = std::regex_match(last, sm, re))) break;
    benchmark::DoNotOptimize(found);
  }
}

BENCHMARK(BM_TreeMatch)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_TreeMatchMiss)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_LinearRegexScan)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
