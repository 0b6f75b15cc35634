// `strata profile --syscalls`: the kernel's part of a request, which the
// in-process figures leave out by construction (a memory stream makes no
// system call). Each tier is started as a real server (`strata serve`,
// with the profile's --ablate and --routes), loaded by wrk for a few
// seconds, and counted by perf stat on its syscall-entry tracepoints: the
// same counting pass `strata bench` runs after its trials
// (bench/harness/counters.hpp), so the two commands print the same figure
// for the same row.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/profile_internal.hpp"
#include "common/ablation.hpp"
#include "harness/counters.hpp"
#include "harness/process.hpp"
#include "harness/procstat.hpp"
#include "harness/scenario.hpp"
#include "harness/wrk.hpp"
#include "kit/process.hpp"

namespace strata::cli::profiling {

namespace {

using namespace std::chrono_literals;

constexpr int kConnections = 10;  // the bench's default, so that epoll_wait's share matches

struct Counted {
  double per_request = 0;
  std::string split;
  uint64_t requests = 0;
  std::string error;  // set when not counted
};

// A temporary file holding `text`, removed when this goes.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/strata-profile-XXXXXX.lua";
    const int fd = ::mkstemps(tmpl, 4);
    if (fd < 0) throw Failure{"cannot create a temporary file for wrk's script"};
    path_ = tmpl;
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!ok) throw Failure{"cannot write wrk's script to " + path_};
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Tools {
  std::string wrk, perf;
  std::vector<int> server_cpus, client_cpus;
};

Counted count_tier(const Tools& tools, const std::string& tier, const std::string& io, const bench::Route& route,
                   const std::string& script, int seconds) {
  Counted c;
  kit::SpawnSpec spec;
  spec.argv = {kit::self_exe(), "serve", "--tier", tier, "--host", "127.0.0.1", "--port", "0", "--io", io};
  for (const std::string& a : ablation::as_args(ablation::applying_to(ablation::active(), tier))) spec.argv.push_back(a);
  if (ablation::extra_routes() > 0 && (tier == "app" || tier == "typed"))
    spec.argv.insert(spec.argv.end(), {"--routes", std::to_string(ablation::extra_routes())});
  spec.cpus = tools.server_cpus;
  kit::StartResult started = kit::start_server(spec, 20s);
  if (!started.child) {
    c.error = "the server did not start: " + started.error;
    return c;
  }
  std::string error;
  auto counter = bench::SyscallCounter::start(tools.perf, bench::process_tree(started.child->pid()),
                                              tools.client_cpus, error);
  if (counter) {
    kit::SpawnSpec load;
    load.argv = {tools.wrk, "-t", "1", "-c", std::to_string(kConnections), "-d", std::to_string(seconds) + "s",
                 "-s", script, "http://127.0.0.1:" + std::to_string(started.banner.port) + route.target};
    load.cpus = tools.client_cpus;
    const kit::RunResult ran = kit::run_to_end(load, std::chrono::seconds(seconds + 30));
    auto counts = counter->stop(error);
    if (!ran.status || !ran.status->exited || ran.status->code != 0) {
      error = "wrk failed: " + kit::last_line(!ran.error.empty() ? ran.error : ran.err + "\n" + ran.out);
    } else if (counts) {
      auto report = bench::parse_wrk_report(ran.out, error);
      if (report && report->requests == 0) error = "wrk completed no request";
      else if (report && (report->socket_errors() || report->non2xx)) error = "wrk saw errors or non-2xx answers";
      else if (report) {
        c.requests = report->requests;
        c.per_request = static_cast<double>(counts->total) / static_cast<double>(report->requests);
        c.split = bench::describe_per_request(*counts, report->requests);
      }
    }
  }
  kit::stop_server(*started.child, 5000ms);
  if (c.requests == 0) c.error = error.empty() ? "not counted" : error;
  return c;
}

}  // namespace

void print_syscalls(const std::vector<std::string>& tiers, const Scenario& sc, const std::vector<std::string>& ios,
                    int seconds) {
  Tools tools;
  tools.wrk = kit::find_executable("wrk");
  tools.perf = kit::find_executable("perf");
  if (tools.wrk.empty()) throw Failure{"--syscalls needs wrk to load the server (apt-get install wrk, or make deps)"};
  if (tools.perf.empty())
    throw Failure{"--syscalls needs perf to count system calls (apt-get install linux-perf, or make deps)"};
  const std::vector<int> cpus = bench::allowed_cpus();
  tools.server_cpus = {cpus.front()};
  tools.client_cpus = cpus.size() > 1 ? std::vector<int>(cpus.begin() + 1, cpus.end()) : cpus;

  const bench::Scenario* scenario = bench::find_scenario(sc.name);
  if (!scenario || scenario->routes.empty()) throw Failure{"no wire scenario named " + sc.name};
  const bench::Route& route = scenario->routes.front();
  TempFile script(bench::wrk_script(route, 1));

  std::printf("\nsystem calls per request: `strata serve --tier T --io IO` (CPU %s) under wrk -t1 -c%d for %d s "
              "(CPU %s),\ncounted by perf stat on the server's syscall-entry tracepoints; the in-process figures "
              "above make none\n\n",
              bench::format_cpu_list(tools.server_cpus).c_str(), kConnections, seconds,
              bench::format_cpu_list(tools.client_cpus).c_str());
  std::printf("%-6s %-6s %12s  %s\n", "tier", "io", "syscalls/req", "of which");
  std::fflush(stdout);
  bool any = false;
  for (const std::string& tier : tiers) {
    for (const std::string& io : ios) {
      const Counted c = count_tier(tools, tier, io, route, script.path(), seconds);
      if (c.error.empty()) {
        any = true;
        std::printf("%-6s %-6s %12.2f  %s\n", tier.c_str(), io.c_str(), c.per_request, c.split.c_str());
      } else {
        std::printf("%-6s %-6s %12s  not counted: %s\n", tier.c_str(), io.c_str(), "-", c.error.c_str());
      }
      std::fflush(stdout);
    }
  }
  if (!any) throw Failure{"no tier's system calls could be counted (see the lines above)"};
}

}  // namespace strata::cli::profiling
