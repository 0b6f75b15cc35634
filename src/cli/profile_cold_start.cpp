#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "cli/profile_internal.hpp"
#include "kit/http.hpp"
#include "kit/server.hpp"

namespace strata::cli::profiling {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

bool ask(uint16_t port, const Scenario& sc, kit::Millis timeout) {
  kit::Client c(port, timeout);
  if (!c.ok() || !c.send(sc.request, timeout)) return false;
  const auto r = c.read_response(false, timeout);
  return r && answers_right(r->raw, sc);
}

// Milliseconds from spawn to the first correct answer, or a reason.
struct ColdStart {
  std::vector<double> ms;
  std::string error;
};

ColdStart cold_starts(const std::vector<std::string>& argv, const Scenario& sc, int starts) {
  ColdStart c;
  kit::SpawnSpec spec;
  spec.argv = argv;
  // A pipe, so the banner is seen the moment it is written: it is on the clock.
  spec.out = kit::Output::pipe;
  for (int i = 0; i < starts; ++i) {
    const auto t0 = Clock::now();
    kit::StartResult s = kit::start_server(spec, 30s);
    const bool ok = s.child && ask(s.banner.port, sc, 10s);
    const auto t1 = Clock::now();
    if (!ok) {
      c.error = s.child ? "answered wrongly" : "did not start: " + s.error;
      return c;  // the Child kills the server
    }
    kit::stop_server(*s.child, 5s, SIGTERM);
    c.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return c;
}

}  // namespace

void print_cold_start(const std::vector<TierTimes>& times, const Scenario& sc, const std::string& reference) {
  constexpr int kStarts = 20;
  std::printf("\ncold start: spawn `serve --port 0` -> listening line -> connect -> first correct answer,\n"
              "median of %d starts (min-max), beside the warm in-process cost of one request\n\n", kStarts);
  std::printf("%-8s %-6s %10s %20s %16s\n", "stack", "tier", "cold ms", "(min-max)", "warm ns/request");
  const std::string self = kit::self_exe();
  for (const TierTimes& t : times) {
    const ColdStart c =
        cold_starts({self, "serve", "--tier", t.tier, "--host", "127.0.0.1", "--port", "0"}, sc, kStarts);
    if (!c.error.empty()) throw Failure{"cold start of tier " + t.tier + ": " + c.error};
    const auto [lo, hi] = std::minmax_element(c.ms.begin(), c.ms.end());
    std::printf("%-8s %-6s %10.2f %20s %16s\n", "strata", t.tier.c_str(), median(c.ms),
                fmt("(%.2f-%.2f)", *lo, *hi).c_str(), group(t.off_ns).c_str());
  }
  if (reference != "python") return;
  const std::string python = "/usr/bin/python3";
  const std::string serve_py = std::string(STRATA_REFERENCE_DIR) + "/python/serve.py";
  if (::access(python.c_str(), X_OK) != 0) {
    std::printf("python: skipped, %s is not installed\n", python.c_str());
    return;
  }
  for (const TierTimes& t : times) {
    const ColdStart c = cold_starts(
        {python, "-E", "-s", "-B", serve_py, "--tier", t.tier, "--host", "127.0.0.1", "--port", "0"}, sc, kStarts);
    if (!c.error.empty()) {
      std::printf("%-8s %-6s skipped: %s (make bench-python installs the packages)\n", "python", t.tier.c_str(),
                  c.error.c_str());
      continue;
    }
    const auto [lo, hi] = std::minmax_element(c.ms.begin(), c.ms.end());
    std::printf("%-8s %-6s %10.2f %20s %16s\n", "python", t.tier.c_str(), median(c.ms),
                fmt("(%.2f-%.2f)", *lo, *hi).c_str(), "-");
  }
}
}  // namespace strata::cli::profiling
