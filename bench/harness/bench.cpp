#include "harness/bench.hpp"

#include <boost/beast/version.hpp>
#include <boost/version.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <utility>

#include "common/ablation.hpp"
#include "harness/ablations.hpp"
#include "harness/check.hpp"
#include "harness/process.hpp"
#include "harness/procstat.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"
#include "harness/scenario.hpp"
#include "harness/wrk.hpp"
#include "kit/http.hpp"

#ifndef STRATA_FLOOR_BIN
#define STRATA_FLOOR_BIN ""
#endif
#ifndef STRATA_BENCH_REFERENCE_DIR
#define STRATA_BENCH_REFERENCE_DIR ""
#endif
#ifndef STRATA_PG_TEMP_SCRIPT
#define STRATA_PG_TEMP_SCRIPT ""
#endif

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr Millis kStartTimeout = 20s;  // FastAPI's imports take a while on a busy machine
constexpr Millis kCheckTimeout = 5s;
constexpr Millis kStopDeadline = 5s;
constexpr double kRunOverheadS = 1.0;  // start, check, stop: for the time estimate only
// The counting pass's wrk run per row (shorter when --duration is).
constexpr int kSyscallCountS = 3;
// An upper bound on one iteration of a CPU handler's loop: CPython's runs
// at a few tens of ns. Only bounds how long an answer may take.
constexpr double kSecondsPerCount = 1e-7;

// A failure that ends the run: one line on stderr, this exit status.
struct Fatal {
  std::string line;
  int code = 1;
};

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string dirname_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

bool is_executable(const std::string& p) { return !p.empty() && access(p.c_str(), X_OK) == 0; }

bool is_directory(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The version of a crate in Debian's registry ("0.14.19" for hyper-0.14.19),
// or "?" when it is not there.
std::string installed_crate(const std::string& name) {
  std::string found = "?";
  if (DIR* d = ::opendir("/usr/share/cargo/registry")) {
    while (const dirent* e = ::readdir(d)) {
      const std::string entry = e->d_name;
      if (entry.size() > name.size() + 1 && entry.compare(0, name.size() + 1, name + "-") == 0 &&
          std::isdigit(static_cast<unsigned char>(entry[name.size() + 1])))
        found = entry.substr(name.size() + 1);
    }
    ::closedir(d);
  }
  return found;
}

// Runs a short command (versions, probes) and returns its stdout, or "" on failure.
struct Captured {
  bool ran = false;
  int code = -1;
  std::string out, err;
};
Captured capture(const std::vector<std::string>& argv, Millis timeout, const std::vector<std::string>& env = {},
                 const std::string& cwd = {}) {
  Captured c;
  SpawnSpec spec;
  spec.argv = argv;
  spec.env = env;
  spec.cwd = cwd;
  auto r = kit::run_to_end(spec, timeout, interrupted);
  if (!r.error.empty()) {
    c.err = r.error;
    return c;
  }
  if (!r.status) c.err = "did not finish within " + std::to_string(timeout.count() / 1000) + " s";
  c.ran = r.status && r.status->exited;
  c.code = c.ran ? r.status->code : -1;
  c.out = std::move(r.out);
  c.err += r.err;
  return c;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

MachineInfo machine_info() {
  MachineInfo m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) m.cpu_model = line.substr(line.find_first_not_of(" \t", colon + 1));
      break;
    }
  }
  if (m.cpu_model.empty()) m.cpu_model = "unknown CPU";
  m.cores_online = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  utsname u{};
  if (uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release;
  m.clock_ticks = clock_ticks_per_second();
  return m;
}

std::string format_seconds(double s) {
  const long total = std::lround(std::max(0.0, s));
  if (total < 60) return std::to_string(total) + " s";
  return std::to_string(total / 60) + "m" + (total % 60 < 10 ? "0" : "") + std::to_string(total % 60) + "s";
}

// The one progress line on stderr: rewritten in place on a terminal, a new
// line per phase otherwise (so logs stay readable).
class Progress {
 public:
  explicit Progress(double total_s) : tty_(isatty(2) != 0), left_s_(total_s) {}
  ~Progress() { clear(); }

  void phase(const std::string& row, int trial, int trials, const std::string& what, double phase_s) {
    row_ = row;
    trial_ = trial;
    trials_ = trials;
    what_ = what;
    phase_s_ = phase_s;
    phase_start_ = Clock::now();
    show(true);
  }
  void tick() { show(false); }
  // Time spent outside measured phases is taken off the estimate as it goes.
  void finished_phase() { left_s_ -= phase_s_; phase_s_ = 0; }
  void overhead_done() { left_s_ -= kRunOverheadS; }
  void clear() {
    if (tty_ && shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  bool tty_;
  bool shown_ = false;
  double left_s_;
  std::string row_, what_;
  int trial_ = 0, trials_ = 0;
  double phase_s_ = 0;
  Clock::time_point phase_start_;

  void show(bool new_phase) {
    // Off a terminal, one line per measured run is enough for a log.
    if (!tty_ && (!new_phase || what_ != "measuring")) return;
    const double in_phase = std::chrono::duration<double>(Clock::now() - phase_start_).count();
    const double phase_left = std::max(0.0, phase_s_ - in_phase);
    const double all_left = std::max(0.0, left_s_ - in_phase);
    std::string line = (trial_ == 0 ? std::string("bench: before trial 1")
                                     : "bench: trial " + std::to_string(trial_) + "/" + std::to_string(trials_)) +
                       ", " + row_ + ": " + what_;
    if (phase_s_ > 0) line += ", " + format_seconds(phase_left) + " left";
    line += " (about " + format_seconds(all_left) + " in all)";
    if (tty_) std::fprintf(stderr, "\r\033[K%s", line.c_str());
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
};

// ------------------------------------------------------------------ rows

// A row's place in each trial: the rows run sorted by it, ties in the
// order they were planned.
namespace run_order {
// The chains interleave tier by tier: a tier's strata row, then its Python
// twin, so the two rows compared with each other run back to back, on the
// machine in the same state. A typed-only scenario has no chains; there a
// route plays the part of a tier (its typed row, then FastAPI's).
constexpr int kStrataRow = 0;
constexpr int kTwinRow = 1;
constexpr int kRowsPerTier = 2;
constexpr int chain(int tier_index, int row) { return tier_index * kRowsPerTier + row; }
// floor, raw, http, app, typed: strata's chain, the longest.
constexpr int kChainTiers = 5;
// Rows measured beside the chains (the typed tier without response
// re-validation) run once every chain row has run.
constexpr int kBesideChains = chain(kChainTiers, kStrataRow);
// The peers (Node, Go) run last: they are context, not a tier.
constexpr int kPeers = 100;
}  // namespace run_order

struct RowPlan {
  RowResult result;
  const Route* route = nullptr;
  int level = 0;  // run_order
  std::function<SpawnSpec(int port)> spawn;
  // strata rows: the `strata profile` arguments that run the same code in
  // process (tier, ablations), for the instruction count; empty otherwise.
  std::vector<std::string> profile;
};

// A row before it runs: what it is called and where it sorts.
RowPlan plan_row(const Route* route, int level, const std::string& id, const std::string& chain,
                 const std::string& stack, const std::string& tier, const std::string& label) {
  RowPlan p;
  p.result.id = id;
  p.result.chain = chain;
  p.result.stack = stack;
  p.result.tier = tier;
  p.result.label = label;
  p.result.route = route->label;
  p.result.target = route->target;
  p.route = route;
  p.level = level;
  return p;
}

// --ablations: beside the chains, a baseline and an ablated row per entry
// of ablation::table_rows() and of the --routes sweep, each pair run back
// to back. Ids pair them for render_ablations (ablations.hpp):
// "ablation/<tier>[@routes=N]/baseline" and ".../<ablation>".
void plan_ablation_rows(std::vector<RowPlan>& plans, const Route* route, const std::string& bin,
                        const std::string& host, int level, const std::vector<std::string>& only) {
  std::vector<std::string> planned;
  auto add = [&](const std::string& tier, unsigned routes, const ablation::Set& set) {
    const std::string group = ablation_group_id(tier, routes);
    const std::string id = group + "/" + (set.empty() ? "baseline" : ablation::describe(set));
    if (std::find(planned.begin(), planned.end(), id) != planned.end()) return;
    planned.push_back(id);
    std::string label = "strata " + tier + (routes ? " --routes " + std::to_string(routes) : "") + ", " +
                        ablation::describe(set);
    RowPlan p = plan_row(route, level, id, "", "strata", tier, label);
    std::vector<std::string> extra = ablation::as_args(set);
    if (routes) extra.insert(extra.end(), {"--routes", std::to_string(routes)});
    p.profile = {"--tier", tier};
    p.profile.insert(p.profile.end(), extra.begin(), extra.end());
    p.spawn = [bin, tier, host, extra](int port) {
      SpawnSpec spec;
      spec.argv = {bin, "serve", "--tier", tier, "--host", host, "--port", std::to_string(port)};
      spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
      return spec;
    };
    plans.push_back(std::move(p));
  };
  for (const ablation::TableRow& r : ablation::table_rows()) {
    if (r.scenario != route->label || !ablation_selected(r.set, only)) continue;
    add(r.tier, r.routes, {});
    add(r.tier, r.routes, r.set);
  }
  if (!ablation_selected({{"router", "linear"}}, only)) return;
  for (unsigned routes : ablation::route_sweep()) {
    add("app", routes, {});
    add("app", routes, {{"router", "linear"}});
  }
}

class Runner {
 public:
  explicit Runner(const Options& o) : o_(o) {}
  ~Runner() {
    if (!db_.pg_dir.empty()) capture({db_.script, "destroy", db_.pg_dir}, 60s);
    if (!db_.sqlite_dir.empty()) {
      for (const char* suffix : {"", "-wal", "-shm"}) unlink((db_.sqlite_file + suffix).c_str());
      rmdir(db_.sqlite_dir.c_str());
    }
    for (const auto& f : temp_files_) unlink(f.c_str());
    if (!go_dir_.empty()) capture({"/bin/rm", "-rf", go_dir_}, 60s);  // the binary and its build cache
    if (!rust_dir_.empty()) capture({"/bin/rm", "-rf", rust_dir_}, 60s);
    if (!beast_dir_.empty()) capture({"/bin/rm", "-rf", beast_dir_}, 60s);
  }

  int run();

 private:
  const Options& o_;
  const Scenario* scenario_ = nullptr;
  Scenario loaded_;  // the chosen scenario, its routes set for --delay and --work
  RunResult run_;
  std::vector<RowPlan> plans_;
  std::vector<std::string> temp_files_;
  std::map<const Route*, std::string> scripts_;
  std::deque<Route> variant_routes_;  // a route with another expected answer (stable addresses)
  std::string go_dir_;
  std::string rust_dir_;  // a copy of bench/reference/rust, built there
  std::string beast_dir_;  // the Beast peer's binary, compiled there
  std::string reference_dir_;
  // Seed 001: the private cluster and the SQLite file every row reads.
  struct Databases {
    std::string script, pg_dir, pg_url, sqlite_dir, sqlite_file, sqlite_url;
    pid_t postmaster = 0;
  } db_;
  std::vector<int> server_cpus_, client_cpus_;
  int connections_ = 10, threads_ = 1;
  std::unique_ptr<Progress> progress_;

  void resolve_settings();
  void collect_versions();
  void plan_rows();
  void plan_database_rows();
  void prepare_databases();
  void preflight();
  void measure(RowPlan& plan, int trial);
  void count_syscalls(RowPlan& plan);
  void count_instructions();
  Millis check_timeout(const Route& route) const;
  StartResult launch(const RowPlan& plan);
  std::unique_ptr<Child> verify(const RowPlan& plan, StartResult& started, ListenLine& listen);
  struct WrkOutcome {
    bool ok = false;
    std::string error;
    WrkReport report;
  };
  WrkOutcome run_wrk(const RowPlan& plan, uint16_t port, int seconds, Child& server);
  const std::string& script_for(const Route& route);
  void note(const std::string& line, bool also_stderr = true) {
    run_.notes.push_back(line);
    if (also_stderr) {
      if (progress_) progress_->clear();
      std::fprintf(stderr, "bench: %s\n", line.c_str());
    }
  }
  int finish();
};

void Runner::resolve_settings() {
  scenario_ = find_scenario(o_.scenario);
  if (!scenario_) {
    std::string names;
    for (const auto& n : scenario_names()) names += (names.empty() ? "" : ", ") + n;
    throw Fatal{"unknown scenario '" + o_.scenario + "' (choose from " + names + ")", 2};
  }
  for (const auto& t : o_.tiers)
    if (!contains(kTierNames, t)) throw Fatal{"unknown tier '" + t + "' (choose from floor, raw, http, app, typed, typed-novalidate)", 2};
  if (o_.tiers.empty()) throw Fatal{"--tiers names no row", 2};
  for (const auto& a : o_.ablations_only) {
    const auto& known = ablation::known();
    if (std::any_of(known.begin(), known.end(), [&](const ablation::Known& k) { return k.name == a; })) continue;
    std::string names;
    for (const ablation::Known& k : known) names += (names.empty() ? "" : ", ") + std::string(k.name);
    throw Fatal{"unknown ablation '" + a + "' in --ablations-only (known: " + names + ")", 2};
  }
  if (!o_.ablations_only.empty() && !o_.ablations) throw Fatal{"--ablations-only needs --ablations", 2};
  if (!o_.reference.empty() && o_.reference != "python")
    throw Fatal{"unknown reference stack '" + o_.reference + "' (only: python)", 2};
  for (const auto& p : o_.peers)
    if (!contains(kPeerNames, p)) throw Fatal{"unknown peer '" + p + "' (choose from node, go, rust, nginx, h2o, beast)", 2};
  if (o_.trials < 1 || o_.duration_s < 1 || o_.warmup_s < 0 || o_.connections < 1)
    throw Fatal{"--trials, --duration and --connections must be at least 1, --warmup at least 0", 2};
  if (const std::string wrong = check_load(o_.load); !wrong.empty()) throw Fatal{wrong, 2};
  loaded_ = with_load(*scenario_, o_.load);
  scenario_ = &loaded_;
  if (const Load seed; !scenario_->takes_load && (o_.load.delay_s != seed.delay_s || o_.load.work != seed.work))
    note("--delay and --work apply to the concurrency scenario only: ignored for " + scenario_->name);

  auto& s = run_.settings;
  s.scenario = scenario_->name;
  s.scenario_description = scenario_->description;
  s.tiers = o_.tiers;
  s.reference = o_.reference;
  s.peers = o_.peers;
  s.warmup_s = o_.warmup_s;
  s.duration_s = o_.duration_s;
  s.trials = o_.trials;
  s.pipeline_depth = scenario_->pipeline_depth;
  s.wrk_timeout_s = scenario_->wrk_timeout_s;
  if (scenario_->takes_load) {
    s.delay_s = o_.load.delay_s;
    s.work = o_.load.work;
  }
  if (o_.workers < 1 || o_.workers > 64) throw Fatal{"--workers must be from 1 to 64", 2};
  s.workers = o_.workers;
  if (o_.wrk_threads < 0 || o_.wrk_threads > 64) throw Fatal{"--wrk-threads must be from 1 to 64", 2};
  if (scenario_->database) {
    if (o_.contacts < 1 || o_.contacts > 10'000'000) throw Fatal{"--contacts must be from 1 to 10000000", 2};
    if (o_.page_size < 1 || o_.page_size > 100) throw Fatal{"--page-size must be from 1 to 100", 2};
    s.contacts = o_.contacts;
    if (scenario_->name == "contacts") {
      s.page_size = o_.page_size;
      if (o_.page_size != Options{}.page_size) {
        loaded_.routes.front().target += "&page_size=" + std::to_string(o_.page_size);
        s.scenario_description += ", " + std::to_string(o_.page_size) + " per page";
      }
    } else if (o_.page_size != Options{}.page_size) {
      note("--page-size applies to the contacts scenario only: ignored for " + scenario_->name);
    }
  } else {
    if (o_.contacts != Options{}.contacts || o_.page_size != Options{}.page_size)
      note("--contacts and --page-size apply to the database scenarios only: ignored for " + scenario_->name);
    if (o_.workers > 1) {
      note("--workers " + std::to_string(o_.workers) +
           ": strata serve --workers and uvicorn --workers for the http, app and typed twins; the floor, "
           "asyncio's raw twin and the peers run one process as before");
    }
  }

  s.wrk_binary = find_executable(o_.wrk);
  if (s.wrk_binary.empty())
    throw Fatal{"wrk not found (" + o_.wrk + "): install it with `apt-get install wrk` (or `make deps`)", 1};

  if (o_.syscalls) {
    s.perf_binary = find_executable(o_.perf);
    s.syscall_seconds = std::min(o_.duration_s, kSyscallCountS);
    if (s.perf_binary.empty())
      note("system calls per request not counted: perf not found (" + o_.perf +
           "; Debian's linux-perf, installed by `make deps`)");
  }

  s.strata_binary = o_.strata_binary.empty() ? self_exe() : o_.strata_binary;
  if (!is_executable(s.strata_binary)) throw Fatal{"strata binary " + s.strata_binary + " is not executable", 1};
  s.floor_binary = o_.floor_binary;
  if (s.floor_binary.empty()) {
    for (const std::string& candidate : {std::string(STRATA_FLOOR_BIN), dirname_of(s.strata_binary) + "/bench/strata-floor",
                                         dirname_of(s.strata_binary) + "/strata-floor"})
      if (is_executable(candidate)) {
        s.floor_binary = candidate;
        break;
      }
  }
  s.floor_uring_binary = o_.floor_uring_binary;
  if (s.floor_uring_binary.empty()) {
    for (const std::string& candidate : {std::string(STRATA_FLOOR_URING_BIN),
                                         dirname_of(s.floor_binary) + "/strata-floor-uring",
                                         dirname_of(s.strata_binary) + "/bench/strata-floor-uring"})
      if (is_executable(candidate)) {
        s.floor_uring_binary = candidate;
        break;
      }
  }
  reference_dir_ = o_.reference_dir.empty() ? std::string(STRATA_BENCH_REFERENCE_DIR) : o_.reference_dir;
  s.python_binary = o_.python;

  // Cores: the server gets the first allowed CPU, wrk the rest.
  const auto allowed = allowed_cpus();
  if (allowed.empty()) throw Fatal{"cannot read this process's CPU affinity", 1};
  std::string error;
  if (o_.server_cores.empty()) {
    server_cpus_ = {allowed.front()};
  } else {
    auto v = parse_cpu_list(o_.server_cores, error);
    if (!v) throw Fatal{"--server-cores: " + error, 2};
    server_cpus_ = *v;
  }
  if (o_.client_cores.empty()) {
    for (int c : allowed)
      if (!std::count(server_cpus_.begin(), server_cpus_.end(), c)) client_cpus_.push_back(c);
    if (client_cpus_.empty()) client_cpus_ = {allowed.back()};
  } else {
    auto v = parse_cpu_list(o_.client_cores, error);
    if (!v) throw Fatal{"--client-cores: " + error, 2};
    client_cpus_ = *v;
  }
  for (const auto* set : {&server_cpus_, &client_cpus_})
    for (int c : *set)
      if (!std::count(allowed.begin(), allowed.end(), c))
        throw Fatal{"CPU " + std::to_string(c) + " is not available here (allowed: " + format_cpu_list(allowed) + ")", 2};
  for (int c : server_cpus_)
    if (std::count(client_cpus_.begin(), client_cpus_.end(), c))
      note("server and wrk share CPU " + std::to_string(c) + ": the figures are not isolated from the load generator");

  connections_ = scenario_->connections > 0 ? scenario_->connections : o_.connections;
  threads_ = o_.wrk_threads > 0 ? std::min(o_.wrk_threads, connections_)
                                : std::max(1, std::min(static_cast<int>(client_cpus_.size()), connections_));
  s.connections = connections_;
  s.wrk_threads = threads_;
  if (o_.workers > static_cast<int>(server_cpus_.size()))
    note("--workers " + std::to_string(o_.workers) + " on " + std::to_string(server_cpus_.size()) +
         " server CPU(s): the workers take turns there, so the run shows what the extra processes cost (and how "
         "evenly the kernel spreads connections between them), not what they would gain with a core each");
  // A blocked loop answers its last connection after one sleep for each of
  // the others: wrk must wait that long before calling it a timeout (the
  // seed: 100 connections, 1 s sleeps, --timeout 100).
  if (scenario_->takes_load)
    s.wrk_timeout_s = std::max(s.wrk_timeout_s, static_cast<int>(std::ceil(connections_ * o_.load.delay_s)));
  s.server_cpus = server_cpus_;
  s.client_cpus = client_cpus_;
  run_.machine = machine_info();
  run_.started_at = utc_now();
}

void Runner::collect_versions() {
  auto& v = run_.versions;
  auto strata = capture({run_.settings.strata_binary, "--version"}, 5s);
  v["strata"] = strata.ran && strata.code == 0 ? first_line(strata.out) : "unknown";
  auto wrk = capture({run_.settings.wrk_binary, "-v"}, 5s);
  std::string wv = parse_wrk_version(wrk.out);
  v["wrk"] = wv.empty() ? "unknown" : wv;
}

void Runner::plan_rows() {
  const auto& s = run_.settings;
  const std::string host = "127.0.0.1";
  auto port_str = [](int p) { return std::to_string(p); };

  // What every row of a chain shares; the caller adds how to start it.
  auto chain_row = [&](const std::string& stack, const std::string& tier, const std::string& label,
                       const Route* route, int level) {
    return plan_row(route, level, stack + "/" + tier, scenario_->typed_only ? "" : stack, stack, tier, label);
  };

  // A floor binary, or skipped with the target that builds it.
  auto spawn_floor = [&](RowPlan& p, const std::string& bin, const std::string& target) {
    if (bin.empty()) {
      p.result.available = false;
      p.result.skip_reason = target + " is not built (cmake --build ... --target " + target + ")";
    }
    p.spawn = [bin, host, port_str](int port) {
      SpawnSpec spec;
      spec.argv = {bin, "--host", host, "--port", port_str(port)};
      return spec;
    };
  };
  // `strata serve --tier T` on transport `io` ("" for the default), with the
  // `strata bench --ablate` switches that apply to that tier.
  auto spawn_strata = [&](RowPlan& p, const std::string& tier, const std::string& io) {
    std::vector<std::string> extra = ablation::as_args(ablation::applying_to(ablation::active(), tier));
    if (ablation::extra_routes() > 0 && (tier == "app" || tier == "typed"))
      extra.insert(extra.end(), {"--routes", std::to_string(ablation::extra_routes())});
    // In process the transport is a memory stream: the count is the
    // tier's own code, the same over libuv and io_uring.
    p.profile = {"--tier", tier};
    p.profile.insert(p.profile.end(), extra.begin(), extra.end());
    if (!io.empty()) extra.insert(extra.end(), {"--io", io});
    if (o_.workers > 1) extra.insert(extra.end(), {"--workers", std::to_string(o_.workers)});
    p.spawn = [bin = s.strata_binary, tier, host, port_str, extra](int port) {
      SpawnSpec spec;
      spec.argv = {bin, "serve", "--tier", tier, "--host", host, "--port", port_str(port)};
      spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
      return spec;
    };
  };

  auto strata_row = [&](const std::string& tier, const std::string& label, const Route* route, int level) {
    RowPlan p = chain_row("strata", tier, label, route, level);
    if (tier == "floor") {
      p.result.id = p.result.stack = "floor";  // first row of strata's chain, but not strata's code
      spawn_floor(p, s.floor_binary, "strata-floor");
    } else {
      spawn_strata(p, tier, "");
    }
    return p;
  };

  const std::string py = o_.python;
  const std::string py_dir = reference_dir_ + "/python";
  auto python_row = [&](const std::string& tier, const std::string& label, const Route* route, int level) {
    RowPlan p = chain_row("python", tier, label, route, level);
    const int workers = tier == "raw" ? 1 : o_.workers;  // asyncio's twin is one loop
    p.spawn = [py, py_dir, tier, host, port_str, workers](int port) {
      SpawnSpec spec;
      // -E -s: ignore PYTHON* variables and the user's site-packages, so
      // Debian's packages are what runs; -B: no __pycache__ in the tree.
      spec.argv = {py, "-E", "-s", "-B", py_dir + "/serve.py", "--tier", tier, "--host", host, "--port", port_str(port)};
      if (workers > 1) spec.argv.insert(spec.argv.end(), {"--workers", std::to_string(workers)});
      return spec;
    };
    return p;
  };

  static const std::vector<std::pair<std::string, std::string>> strata_labels = {
      {"floor", "floor: C epoll loop, fixed reply"},
      {"raw", "strata raw: libuv, crude framing"},
      {"http", "strata http: llhttp, ASGI-like app"},
      {"app", "strata app: Request/Response, routing"},
      {"typed", "strata typed: typed router, validation"},
  };
  // The same chain over io_uring: its own floor, strata's tiers with
  // `serve --io uring`. Each row runs right after its libuv twin.
  auto uring_row = [&](const std::string& tier, const std::string& label, const Route* route, int level) {
    RowPlan p = plan_row(route, level, "strata-uring/" + tier, scenario_->typed_only ? "" : "strata-uring", "strata",
                         tier, label);
    if (tier == "floor") {
      p.result.id = "floor-uring";
      p.result.stack = "floor";
      spawn_floor(p, s.floor_uring_binary, "strata-floor-uring");
    } else {
      spawn_strata(p, tier, "uring");
    }
    return p;
  };
  const bool on_libuv = o_.io != "uring", on_uring = o_.io != "libuv";
  static const std::vector<std::pair<std::string, std::string>> uring_labels = {
      {"floor", "floor: C io_uring loop, fixed reply"},
      {"raw", "strata raw over io_uring"},
      {"http", "strata http over io_uring"},
      {"app", "strata app over io_uring"},
      {"typed", "strata typed over io_uring"},
  };

  static const std::vector<std::pair<std::string, std::string>> python_labels = {
      {"raw", "asyncio + uvloop, split on CRLF"},
      {"http", "uvicorn + httptools, bare ASGI"},
      {"app", "Starlette, Request/Response"},
      {"typed", "FastAPI + pydantic"},
  };

  // Peers: Node's http module, Go's net/http and Rust's hyper, when installed.
  auto peer_row = [&](const std::string& peer, const Route* route, int level) {
    RowPlan p = plan_row(route, level, "peer/" + peer, "", peer, "peer", "");
    if (peer == "node") {
      p.result.label = "(peer) Node.js http: libuv + llhttp";
      const std::string node = find_executable("node");
      const std::string script = reference_dir_ + "/node/server.js";
      if (node.empty()) {
        p.result.available = false;
        p.result.skip_reason = "node is not installed (apt-get install nodejs)";
      }
      p.spawn = [node, script, host, port_str](int port) {
        SpawnSpec spec;
        spec.argv = {node, script, "--host", host, "--port", port_str(port)};
        return spec;
      };
    } else if (peer == "nginx" || peer == "h2o") {
      // nginx answers from its configuration, h2o from an mruby handler:
      // seed 002's greetings only.
      p.result.label = peer == "nginx" ? "(peer) nginx, one worker, answers from its configuration"
                                       : "(peer) h2o, one thread, an mruby handler";
      const std::string script = reference_dir_ + "/" + peer + "/serve.sh";
      const std::string& sc = scenario_->name;
      const std::string installed_at = peer == "nginx" ? "/usr/sbin/nginx" : "/usr/bin/h2o";
      if (sc != "hello" && sc != "root" && sc != "pipelined") {
        p.result.available = false;
        p.result.skip_reason = peer + " answers seed 002's greetings only: no peer for the " + sc + " scenario";
      } else if (find_executable(peer).empty() && !is_executable(installed_at)) {
        p.result.available = false;
        p.result.skip_reason = peer + " is not installed (make bench-" + peer + ")";
      }
      p.spawn = [script, host, port_str](int port) {
        SpawnSpec spec;
        spec.argv = {"/bin/bash", script, "--host", host, "--port", port_str(port)};
        return spec;
      };
    } else if (peer == "beast") {
      p.result.label = "(peer) Boost.Beast fast-server pattern, one thread, simdjson";
      if (find_executable("g++").empty()) {
        p.result.available = false;
        p.result.skip_reason = "g++ is not installed (make deps)";
      } else if (scenario_->name != "user" && scenario_->name != "hello" && scenario_->name != "root" &&
                 scenario_->name != "pipelined") {
        p.result.available = false;
        p.result.skip_reason = "the Beast peer answers seed 002's and 003's requests only";
      }
      p.spawn = [this, host, port_str](int port) {
        SpawnSpec spec;
        spec.argv = {beast_dir_ + "/strata-beast-peer", "--host", host, "--port", port_str(port)};
        return spec;
      };
    } else if (peer == "rust") {
      const int procs = static_cast<int>(server_cpus_.size());
      p.result.label = "(peer) Rust hyper 0.14 + serde_json, axum's engine (axum not packaged), " +
                       std::to_string(procs) + " tokio worker" + (procs == 1 ? "" : "s");
      if (find_executable("cargo").empty() || !is_directory("/usr/share/cargo/registry")) {
        p.result.available = false;
        p.result.skip_reason = "cargo or Debian's Rust crates are not installed (make bench-rust)";
      }
      p.spawn = [this, host, port_str, procs](int port) {
        SpawnSpec spec;
        spec.argv = {rust_dir_ + "/target/release/strata-rust-peer", "--host", host, "--port", port_str(port)};
        spec.env = {"TOKIO_WORKER_THREADS=" + std::to_string(procs)};
        return spec;
      };
    } else {
      const int procs = static_cast<int>(server_cpus_.size());
      p.result.label = "(peer) Go net/http, GOMAXPROCS=" + std::to_string(procs);
      if (find_executable("go").empty()) {
        p.result.available = false;
        p.result.skip_reason = "go is not installed (apt-get install golang-go)";
      }
      p.spawn = [this, host, port_str, procs](int port) {
        SpawnSpec spec;
        spec.argv = {go_dir_ + "/strata-go-peer", "--host", host, "--port", port_str(port)};
        spec.env = {"GOMAXPROCS=" + std::to_string(procs)};
        return spec;
      };
    }
    return p;
  };

  if (scenario_->database) {
    plan_database_rows();
  } else if (scenario_->typed_only) {
    // One row per route of the typed tier (and of FastAPI with --reference
    // python); seed 004's Flask routes with --reference python, its Go
    // routes with --peers go, each served by that stack alone.
    int index = 0;
    for (const auto& route : scenario_->routes) {
      const int level = run_order::chain(index++, run_order::kStrataRow);
      if (route.framework == "flask") {
        if (o_.reference == "python") {
          RowPlan p = python_row("flask", "Flask (gunicorn sync worker) " + route.target, &route, level);
          p.result.chain = "";
          plans_.push_back(std::move(p));
        }
        continue;
      }
      if (route.framework == "go") {
        if (contains(o_.peers, "go")) {
          RowPlan p = peer_row("go", &route, level);
          p.result.id = "go/" + route.label;
          p.result.label = "Go net/http " + route.target;
          plans_.push_back(std::move(p));
        }
        continue;
      }
      --index;
      plans_.push_back(
          strata_row("typed", "strata typed " + route.target, &route, run_order::chain(index, run_order::kStrataRow)));
      if (o_.reference == "python")
        plans_.push_back(
            python_row("typed", "FastAPI " + route.target, &route, run_order::chain(index, run_order::kTwinRow)));
      ++index;
    }
  } else {
    const Route* route = &scenario_->routes.front();
    static_assert(run_order::kChainTiers == 5, "strata_labels holds one label per chain tier");
    for (size_t i = 0; i < strata_labels.size(); ++i) {
      const auto& [tier, label] = strata_labels[i];
      if (!contains(o_.tiers, tier)) continue;
      const int level = run_order::chain(static_cast<int>(i), run_order::kStrataRow);
      // The epoll floor stays with --io uring: it is the bar the ring is measured against.
      if (on_libuv || tier == "floor") plans_.push_back(strata_row(tier, label, route, level));
      if (on_uring) plans_.push_back(uring_row(tier, uring_labels[i].second, route, level));
    }
    // FastAPI always re-validates a response against its model; the typed
    // tier can skip it. Measured beside the chain (no decay), so the typed
    // row's decay stays the tier's own, and the difference is what the
    // re-validation costs.
    if (contains(o_.tiers, "typed-novalidate")) {
      RowPlan p = strata_row("typed", "strata typed, responses not re-validated", route,
                             run_order::kBesideChains);
      p.result.id = "strata/typed-novalidate";
      p.result.chain = "";
      p.result.tier = "typed-novalidate";
      const auto typed = p.spawn;
      p.spawn = [typed](int port) {
        SpawnSpec spec = typed(port);
        spec.argv.push_back("--no-validate-responses");
        return spec;
      };
      p.profile.insert(p.profile.end(), {"--ablate", "validate-response=off"});
      plans_.push_back(std::move(p));
    }
    if (o_.ablations)
      plan_ablation_rows(plans_, route, s.strata_binary, host, run_order::kBesideChains, o_.ablations_only);
    // Starlette's twins of the middleware and router rows: the same app
    // twin, told by its environment how many middlewares of which style,
    // or how many extra routes, to add; and, beside the --routes sweep,
    // Starlette with each of its route counts.
    if (o_.ablations && o_.reference == "python") {
      std::vector<std::string> planned;
      auto plan_starlette = [&](const ablation::Set& set, unsigned routes) {
        const std::string id = starlette_id(set, routes);
        if (std::find(planned.begin(), planned.end(), id) != planned.end()) return;
        planned.push_back(id);
        RowPlan p = python_row("app", starlette_label(set, routes), route, run_order::kBesideChains);
        p.result.id = id;
        p.result.chain = "";
        p.spawn = [app = p.spawn, env = starlette_env(set, routes)](int port) {
          SpawnSpec spec = app(port);
          spec.env = env;
          return spec;
        };
        plans_.push_back(std::move(p));
      };
      for (const ablation::TableRow& r : ablation::table_rows()) {
        if (r.scenario != route->label || !has_starlette_twin(r) || !ablation_selected(r.set, o_.ablations_only))
          continue;
        plan_starlette({}, 0);
        plan_starlette(r.set, r.routes);
      }
      if (ablation_selected({{"router", "linear"}}, o_.ablations_only))
        for (unsigned routes : ablation::route_sweep()) plan_starlette({{"router", "linear"}}, routes);
    }
    if (o_.reference == "python")
      for (size_t i = 0; i < python_labels.size(); ++i) {
        const auto& [tier, label] = python_labels[i];
        // Python has no floor: its first tier is strata's second.
        const int tier_index = static_cast<int>(i) + 1;
        if (contains(o_.tiers, tier))
          plans_.push_back(python_row(tier, label, route, run_order::chain(tier_index, run_order::kTwinRow)));
      }
    // Seed 002 ran FastAPI's defaults: the answer is a JSON string (two
    // quotes more, application/json), and /index without a name says
    // "Hello FastAPI World!". The chain's twin answers plain text, byte for
    // byte as strata does; this row answers as the seed's did, beside it.
    // MicroPie, the seed's other framework, has no Debian package.
    // Seed 003's "why?" rows: FastAPI with its per-request machinery
    // bypassed by the seed's DumpRoute (bench/reference/python/fastapi_why.py),
    // with pydantic's codec, then with the fastest one Debian packages.
    if (scenario_->name == "user" && o_.reference == "python" && contains(o_.tiers, "typed")) {
      for (const auto& [tier, label] : std::vector<std::pair<std::string, std::string>>{
               {"typed-dumproute", "FastAPI, seed 003's DumpRoute bypass (pydantic 1 codec)"},
               {"typed-dumproute-ujson", "FastAPI, DumpRoute + ujson codec (the seed's msgspec row; msgspec not packaged)"}}) {
        RowPlan p = python_row(tier, label, route, run_order::kBesideChains);
        p.result.chain = "";
        plans_.push_back(std::move(p));
      }
    }
    const bool seed002 = scenario_->name == "hello" || scenario_->name == "root";
    if (seed002 && o_.reference == "python" && contains(o_.tiers, "typed")) {
      Route& json = variant_routes_.emplace_back(*route);
      json.expected_body = "\"" + route->expected_body + "\"";
      RowPlan p = python_row("typed-seed002", "FastAPI as seed 002 ran it (JSON answer)", &json, run_order::kBesideChains);
      p.result.id = "python/typed-seed002";
      p.result.chain = "";
      plans_.push_back(std::move(p));
      RowPlan micropie = plan_row(route, run_order::kBesideChains, "python/micropie", "", "python", "peer",
                                  "MicroPie (seed 002)");
      micropie.result.available = false;
      micropie.result.skip_reason = "MicroPie is not packaged in Debian (pip only); seed 002's figures for it are "
                                    "in the published table";
      plans_.push_back(std::move(micropie));
    }
  }

  const Route* route = &scenario_->routes.front();
  if (!scenario_->typed_only && !scenario_->database)
    for (const auto& peer : o_.peers) plans_.push_back(peer_row(peer, route, run_order::kPeers));

  // Python rows: Debian's interpreter and packages, checked module by module.
  bool any_python = std::any_of(plans_.begin(), plans_.end(), [](const RowPlan& p) { return p.result.stack == "python"; });
  if (any_python) {
    std::string missing;
    if (!is_executable(py)) {
      missing = "*";
    } else {
      auto probe = capture({py, "-E", "-s", "-c",
                            "import importlib.util, sys\n"
                            "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))",
                            "uvloop", "httptools", "uvicorn", "starlette", "fastapi", "pydantic", "asyncpg",
                            "sqlalchemy", "greenlet", "django", "rest_framework", "psycopg2", "gunicorn", "ujson", "flask"},
                           30s);
      missing = probe.ran && probe.code == 0 ? " " + first_line(probe.out) + " " : "*";
    }
    static const std::map<std::string, std::vector<std::string>> needs = {
        {"raw", {"uvloop"}},
        {"http", {"uvloop", "httptools", "uvicorn"}},
        {"app", {"uvloop", "httptools", "uvicorn", "starlette"}},
        {"typed", {"uvloop", "httptools", "uvicorn", "starlette", "fastapi", "pydantic"}},
        {"typed-seed002", {"uvloop", "httptools", "uvicorn", "starlette", "fastapi", "pydantic"}},
        {"typed-dumproute", {"uvloop", "httptools", "uvicorn", "starlette", "fastapi", "pydantic", "ujson"}},
        {"typed-dumproute-ujson", {"uvloop", "httptools", "uvicorn", "starlette", "fastapi", "pydantic", "ujson"}},
        {"flask", {"flask", "gunicorn"}},
        {"contacts-asyncpg", {"uvloop", "httptools", "uvicorn", "fastapi", "pydantic", "asyncpg"}},
        {"contacts-orm", {"uvloop", "httptools", "uvicorn", "fastapi", "pydantic", "sqlalchemy", "greenlet", "asyncpg"}},
        {"contacts-django", {"uvloop", "httptools", "uvicorn", "gunicorn", "django", "rest_framework", "psycopg2"}},
    };
    for (auto& p : plans_) {
      if (p.result.stack != "python" || !p.result.available) continue;  // MicroPie: skipped already
      std::vector<std::string> lacking;
      if (missing != "*")
        for (const auto& m : needs.at(p.result.tier))
          if (missing.find(" " + m + " ") != std::string::npos) lacking.push_back(m);
      if (missing == "*" || !lacking.empty()) {
        p.result.available = false;
        std::string what = missing == "*" ? py + " is not there" : py + " lacks";
        for (const auto& m : lacking) what += " " + m;
        p.result.skip_reason = what + " (install with: make bench-python)";
      }
    }
    if (is_executable(py)) {
      auto ver = capture({py, "-E", "-s", "-c",
                          "import importlib.metadata as m, platform\n"
                          "print('python', platform.python_version())\n"
                          "for n in ('uvloop', 'httptools', 'uvicorn', 'starlette', 'fastapi', 'pydantic',\n"
                          "          'asyncpg', 'SQLAlchemy', 'Django', 'djangorestframework', 'psycopg2', 'gunicorn'):\n"
                          "    try: print(n, m.version(n))\n"
                          "    except Exception: pass\n"},
                         30s);
      for (size_t pos = 0; pos < ver.out.size();) {
        size_t eol = ver.out.find('\n', pos);
        if (eol == std::string::npos) eol = ver.out.size();
        std::string line = ver.out.substr(pos, eol - pos);
        pos = eol + 1;
        const size_t sp = line.find(' ');
        if (sp != std::string::npos) run_.versions[line.substr(0, sp)] = line.substr(sp + 1);
      }
    }
  }
  for (auto& p : plans_) {
    if (p.result.stack == "node" && p.result.available) {
      auto v = capture({find_executable("node"), "--version"}, 10s);
      run_.versions["node"] = first_line(v.out);
    }
  }
}

// Seed 001's rows: strata's app and typed tiers over PostgreSQL (the chain:
// what tier 4 costs with a database under it), the typed tier over SQLite,
// and the seed's own stacks, each against the same loaded rows.
void Runner::plan_database_rows() {
  const Route* route = &scenario_->routes.front();
  const std::string host = "127.0.0.1";
  auto row = [&](const std::string& id, const std::string& chain, const std::string& stack, const std::string& tier,
                 const std::string& database, const std::string& label, int level) {
    RowPlan p = plan_row(route, level, id, chain, stack, tier, label);
    p.result.database = database;
    return p;
  };
  // The database URL is known only once the cluster runs: the spawn
  // functions read it from db_ when they are called.
  auto strata = [&](const std::string& tier, const std::string& database, const std::string& label, int level,
                    const std::string& chain) {
    RowPlan p = row("strata/" + tier + "+" + database, chain, "strata", tier, database, label, level);
    const std::string bin = run_.settings.strata_binary;
    p.spawn = [this, bin, tier, database, host](int port) {
      SpawnSpec spec;
      spec.argv = {bin, "serve", "--tier", tier, "--host", host, "--port", std::to_string(port), "--database-url",
                   database == "postgresql" ? db_.pg_url : db_.sqlite_url, "--workers",
                   std::to_string(o_.workers)};
      return spec;
    };
    return p;
  };
  plans_.push_back(strata("app", "postgresql", "strata app + PostgreSQL (libpq pipeline, pool)",
                          run_order::chain(3, run_order::kStrataRow), "strata"));
  plans_.push_back(strata("typed", "postgresql", "strata typed + PostgreSQL (libpq pipeline, pool)",
                          run_order::chain(4, run_order::kStrataRow), "strata"));
  plans_.push_back(strata("typed", "sqlite", "strata typed + SQLite (thread pool)", run_order::kBesideChains, ""));

  const std::string py = o_.python;
  const std::string py_dir = reference_dir_ + "/python";
  const std::pair<const char*, const char*> twins[] = {
      {"contacts-asyncpg", "FastAPI + asyncpg"},
      {"contacts-orm", "FastAPI + SQLAlchemy 1.4 ORM + asyncpg"},
      {"contacts-django", "Django 3.2 + DRF + psycopg2 (gunicorn, uvicorn workers)"},
  };
  for (const auto& [tier, label] : twins) {
    RowPlan p = row(std::string("python/") + tier, "", "python", tier, "postgresql", label, run_order::kPeers);
    p.spawn = [this, py, py_dir, tier = std::string(tier), host](int port) {
      SpawnSpec spec;
      spec.argv = {py, "-E", "-s", "-B", py_dir + "/serve.py", "--tier", tier, "--host", host, "--port",
                   std::to_string(port), "--workers", std::to_string(o_.workers)};
      spec.env = {"DATABASE_URL=" + db_.pg_url};
      return spec;
    };
    plans_.push_back(std::move(p));
  }

  RowPlan go = row("go/contacts", "", "go", "contacts-go", "postgresql",
                   "Go net/http + database/sql + lib/pq (the seed's bun ORM is not packaged)", run_order::kPeers + 1);
  if (find_executable("go").empty()) {
    go.result.available = false;
    go.result.skip_reason = "go is not installed (make bench-go)";
  } else if (access("/usr/share/gocode/src/github.com/lib/pq/conn.go", R_OK) != 0) {
    go.result.available = false;
    go.result.skip_reason = "lib/pq is not installed (make bench-go: golang-github-lib-pq-dev)";
  }
  const int procs = std::max(o_.workers, static_cast<int>(server_cpus_.size()));
  go.spawn = [this, host, procs](int port) {
    SpawnSpec spec;
    spec.argv = {go_dir_ + "/strata-go-contacts", "--host", host, "--port", std::to_string(port), "--database-url",
                 db_.pg_url};
    spec.env = {"GOMAXPROCS=" + std::to_string(procs)};
    return spec;
  };
  plans_.push_back(std::move(go));

  RowPlan java = row("java/spring", "", "java", "contacts-spring", "postgresql",
                     "Java 17 + Spring Boot (the seed's control)", run_order::kPeers + 2);
  java.result.available = false;
  java.result.skip_reason = "not measured: Spring Boot is not packaged in Debian, and nothing here downloads it";
  plans_.push_back(std::move(java));
}

// Starts the private cluster, loads the same rows into it and into a SQLite
// file with `strata db load`, and takes strata's answer as the one every
// stack must give.
void Runner::prepare_databases() {
  db_.script = STRATA_PG_TEMP_SCRIPT;
  if (!is_executable(db_.script))
    throw Fatal{"scripts/pg-temp.sh not found (" + db_.script + "): the database scenarios start PostgreSQL with it", 1};
  char pg_dir[] = "/tmp/strata-bench-pg-XXXXXX";
  if (!mkdtemp(pg_dir)) throw Fatal{std::string("mkdtemp: ") + std::strerror(errno), 1};
  db_.pg_dir = pg_dir;
  progress_->phase("PostgreSQL", 0, run_.settings.trials, "starting a private cluster", 0);
  auto started = capture({db_.script, "start", db_.pg_dir}, 120s);
  if (!started.ran || started.code != 0)
    throw Fatal{"cannot start PostgreSQL: " + last_line(started.err + "\n" + started.out), 1};
  db_.pg_url = last_line(started.out);
  std::ifstream pidfile(db_.pg_dir + "/data/postmaster.pid");
  pidfile >> db_.postmaster;
  if (db_.postmaster <= 0) throw Fatal{"PostgreSQL started but wrote no postmaster.pid in " + db_.pg_dir, 1};
  auto version = capture({"/usr/bin/env", "psql", "--version"}, 10s);
  if (version.ran && version.code == 0) run_.versions["postgresql"] = first_line(version.out);

  char sqlite_dir[] = "/tmp/strata-bench-sqlite-XXXXXX";
  if (!mkdtemp(sqlite_dir)) throw Fatal{std::string("mkdtemp: ") + std::strerror(errno), 1};
  db_.sqlite_dir = sqlite_dir;
  db_.sqlite_file = db_.sqlite_dir + "/contacts.db";
  db_.sqlite_url = "sqlite:///" + db_.sqlite_file;

  for (const std::string& url : {db_.pg_url, db_.sqlite_url}) {
    progress_->phase("data", 0, run_.settings.trials, "loading " + std::to_string(o_.contacts) + " contacts", 0);
    auto loaded = capture({run_.settings.strata_binary, "db", "load", "--database-url", url, "--contacts",
                           std::to_string(o_.contacts)},
                          600s);
    if (!loaded.ran || loaded.code != 0) throw Fatal{"strata db load failed: " + last_line(loaded.err), 1};
    note(first_line(loaded.out), false);
  }

  // The reference answer: strata's typed tier over PostgreSQL.
  SpawnSpec spec;
  spec.argv = {run_.settings.strata_binary, "serve", "--tier", "typed", "--host", "127.0.0.1", "--port", "0",
               "--database-url", db_.pg_url};
  auto server = start_server(spec, kStartTimeout, interrupted);
  if (!server.child) throw Fatal{"strata serve over the loaded database did not start: " + server.error, 1};
  Route& r = loaded_.routes.front();
  const auto answer = kit::round_trip(server.banner.port, request_bytes(r, "127.0.0.1"), false, kCheckTimeout);
  stop_server(*server.child, kStopDeadline);
  if (!answer || answer->status != 200)
    throw Fatal{"strata's own answer to " + r.target + " over the loaded database is not a 200", 1};
  r.expected_body = answer->body;
}

const std::string& Runner::script_for(const Route& route) {
  auto it = scripts_.find(&route);
  if (it != scripts_.end()) return it->second;
  char name[] = "/tmp/strata-bench-XXXXXX.lua";
  const int fd = mkostemps(name, 4, O_CLOEXEC);
  if (fd < 0) throw Fatal{std::string("cannot create the wrk script: ") + std::strerror(errno), 1};
  temp_files_.push_back(name);
  const std::string text = wrk_script(route, scenario_->pipeline_depth);
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok) throw Fatal{std::string("cannot write the wrk script ") + name, 1};
  return scripts_[&route] = name;
}

Millis Runner::check_timeout(const Route& route) const {
  // The check's request queues behind what the server already holds: after
  // a measured run, up to one request per connection, each as slow as the
  // handler. A bound, not a wait: a quick answer ends it.
  double per_request_s = 0;
  if (route.knob == "delay") per_request_s = o_.load.delay_s;
  else if (route.knob == "n") per_request_s = static_cast<double>(o_.load.work) * kSecondsPerCount;
  return kCheckTimeout + Millis(std::llround((connections_ + 1) * per_request_s * 1000));
}

StartResult Runner::launch(const RowPlan& plan) {
  SpawnSpec spec = plan.spawn(o_.port);
  spec.cpus = server_cpus_;
  auto started = start_server(spec, kStartTimeout, interrupted);
  if (interrupted()) throw Fatal{"interrupted", 130};
  return started;
}

std::unique_ptr<Child> Runner::verify(const RowPlan& plan, StartResult& started, ListenLine& listen) {
  if (!started.child) throw Fatal{plan.result.label + " did not start: " + started.error, 1};
  listen = started.banner;
  // A variant row runs its tier with other flags: "typed-novalidate" is typed.
  const std::string tier = plan.result.tier == "typed-novalidate" ? "typed" : plan.result.tier;
  if ((plan.result.stack == "strata" || plan.result.stack == "python") && listen.tier != tier)
    throw Fatal{plan.result.label + " said tier=" + listen.tier + ", expected tier=" + tier, 1};
  const std::string wrong =
      check_answer(listen.port, *plan.route, scenario_->pipeline_depth, check_timeout(*plan.route));
  if (!wrong.empty()) throw Fatal{plan.result.label + " answers wrongly: " + wrong, 1};
  return std::move(started.child);
}

void Runner::preflight() {
  // The Beast peer: one C++ file against Debian's Boost and simdjson,
  // compiled here so the project's own build does not pay for it.
  for (auto& p : plans_) {
    if (p.result.stack != "beast" || !p.result.available || !beast_dir_.empty()) continue;
    char dir[] = "/tmp/strata-bench-beast-XXXXXX";
    if (!mkdtemp(dir)) throw Fatal{std::string("mkdtemp: ") + std::strerror(errno), 1};
    beast_dir_ = dir;
    progress_->phase(p.result.label, 0, o_.trials, "compiling", 0);
    auto built = capture({find_executable("g++"), "-std=c++20", "-O2", "-o", beast_dir_ + "/strata-beast-peer",
                          reference_dir_ + "/beast/server.cpp", "-lsimdjson", "-pthread"},
                         600s);
    progress_->clear();
    if (!built.ran || built.code != 0)
      throw Fatal{"cannot build the Beast peer (" + reference_dir_ + "/beast): " + last_line(built.err), 1};
    run_.versions["beast"] = "Boost " + std::to_string(BOOST_VERSION / 100000) + "." +
                             std::to_string(BOOST_VERSION / 100 % 1000) + " (Beast " +
                             std::to_string(BOOST_BEAST_VERSION) + ")";
  }
  // The Go peer (or seed 001's Go twin) is compiled once, into a temporary
  // directory; the twin in GOPATH mode against Debian's lib/pq, offline.
  for (auto& p : plans_) {
    if (p.result.stack != "rust" || !p.result.available) continue;
    // Built in a copy, so the source tree gets no Cargo.lock or target/:
    // the crates are Debian's (.cargo/config.toml), never the network's.
    char dir[] = "/tmp/strata-bench-rust-XXXXXX";
    if (!mkdtemp(dir)) throw Fatal{std::string("mkdtemp: ") + std::strerror(errno), 1};
    rust_dir_ = dir;
    auto copied = capture({"/bin/cp", "-r", reference_dir_ + "/rust/.", rust_dir_}, 60s);
    if (!copied.ran || copied.code != 0) throw Fatal{"cannot copy the Rust peer: " + last_line(copied.err), 1};
    auto built = capture({find_executable("cargo"), "build", "--release", "--offline", "--quiet"}, 600s,
                         {"CARGO_TARGET_DIR=" + rust_dir_ + "/target", "CARGO_HOME=" + rust_dir_ + "/cargo-home"},
                         rust_dir_);
    if (!built.ran || built.code != 0)
      throw Fatal{"cannot build the Rust peer (" + reference_dir_ + "/rust): " + last_line(built.err), 1};
    auto v = capture({find_executable("rustc"), "--version"}, 10s);
    run_.versions["rust"] = first_line(v.out) + ", hyper " + installed_crate("hyper") + ", tokio " +
                            installed_crate("tokio") + ", serde_json " + installed_crate("serde_json");
  }
  for (auto& p : plans_) {
    if (p.result.stack != "go" || !p.result.available) continue;
    if (p.result.tier == "contacts-go") {
      char dir[] = "/tmp/strata-bench-go-XXXXXX";
      if (!mkdtemp(dir)) throw Fatal{std::string("mkdtemp: ") + std::strerror(errno), 1};
      go_dir_ = dir;
      auto built = capture({find_executable("go"), "build", "-o", go_dir_ + "/strata-go-contacts", "."}, 300s,
                           {"GO111MODULE=off", "GOPATH=/usr/share/gocode", "GOCACHE=" + go_dir_ + "/cache"},
                           reference_dir_ + "/go-contacts");
      if (!built.ran || built.code != 0)
        throw Fatal{"cannot build the Go twin (" + reference_dir_ + "/go-contacts): " + last_line(built.err), 1};
      auto v = capture({find_executable("go"), "version"}, 10s);
      run_.versions["go"] = first_line(v.out);
      continue;
    }
    if (!go_dir_.empty()) continue;  // built for an earlier row (seed 004 has two Go routes)
    char dir[] = "/tmp/strata-bench-go-XXXXXX";
    if (!mkdtemp(dir)) throw Fatal{std::string("mkdtemp: ") + std::strerror(errno), 1};
    go_dir_ = dir;
    auto built = capture({find_executable("go"), "build", "-o", go_dir_ + "/strata-go-peer", "."}, 300s, {},
                         reference_dir_ + "/go");
    if (!built.ran || built.code != 0)
      throw Fatal{"cannot build the Go peer (" + reference_dir_ + "/go): " + last_line(built.err), 1};
    auto v = capture({find_executable("go"), "version"}, 10s);
    run_.versions["go"] = first_line(v.out);
  }
  // Every row once: is it there, does it answer right? A broken row stops
  // the run here, before minutes of load.
  for (auto& p : plans_) {
    if (!p.result.available) {
      note("skipping " + p.result.label + ": " + p.result.skip_reason);
      continue;
    }
    progress_->phase(p.result.label, 0, run_.settings.trials, "checking its answer", 0);
    auto started = launch(p);
    if (p.result.stack == "strata" && !started.child && started.exited_early && started.exit_code == 2 &&
        started.error.find("tier") != std::string::npos) {
      // A tier still being built: the CLI rejects an unknown tier with exit 2.
      p.result.available = false;
      p.result.skip_reason =
          "this build has no tier " + p.result.tier + " (`strata serve --tier " + p.result.tier + "` exits 2)";
      if (scenario_->typed_only)
        throw Fatal{"scenario " + scenario_->name + " needs the typed tier (`strata serve --tier typed`), which " +
                        "this build does not have",
                    2};
      note("skipping " + p.result.label + ": " + p.result.skip_reason);
      continue;
    }
    ListenLine listen;
    std::unique_ptr<Child> child;
    try {
      child = verify(p, started, listen);
    } catch (const Fatal& f) {
      // Seed 001's twins are other people's stacks: one that does not start
      // or answers differently loses its row, and the others still run.
      if (!scenario_->database || p.result.stack == "strata") throw;
      if (started.child) stop_server(*started.child, kStopDeadline);
      p.result.available = false;
      p.result.skip_reason = "not timed: " + f.line;
      note("skipping " + p.result.label + ": " + p.result.skip_reason);
      continue;
    }
    const std::string stop_note = stop_server(*child, kStopDeadline);
    if (!stop_note.empty()) note(p.result.label + ": " + stop_note);
    progress_->overhead_done();
  }
  if (std::none_of(plans_.begin(), plans_.end(), [](const RowPlan& p) { return p.result.available; }))
    throw Fatal{"no row to run: every row was skipped", 1};
}

Runner::WrkOutcome Runner::run_wrk(const RowPlan& plan, uint16_t port, int seconds, Child& server) {
  WrkOutcome w;
  SpawnSpec spec;
  spec.argv = {run_.settings.wrk_binary,
               "-t", std::to_string(threads_),
               "-c", std::to_string(connections_),
               "-d", std::to_string(seconds) + "s",
               "--timeout", std::to_string(run_.settings.wrk_timeout_s) + "s",
               "--latency",
               "-s", script_for(*plan.route),
               "http://127.0.0.1:" + std::to_string(port) + plan.route->target};
  spec.cpus = client_cpus_;
  std::string error;
  auto wrk = Child::spawn(spec, error);
  if (!wrk) throw Fatal{"cannot run wrk: " + error, 1};
  const auto deadline = Clock::now() + std::chrono::seconds(seconds + 30);
  while (!wrk->wait_exit(1000ms, interrupted)) {
    if (interrupted()) throw Fatal{"interrupted", 130};
    progress_->tick();
    if (Clock::now() > deadline) {
      wrk->kill_and_reap();
      w.error = "wrk did not finish within " + std::to_string(seconds + 30) + " s";
      return w;
    }
  }
  if (!wrk->status()->exited || wrk->status()->code != 0) {
    const std::string why = last_line(wrk->stderr_text() + "\n" + wrk->stdout_text());
    w.error = "wrk " + wrk->describe_exit() + (why.empty() ? "" : ": " + why);
    if (!server.running()) w.error += "; the server had ended (" + server.describe_exit() + ")";
    return w;
  }
  auto report = parse_wrk_report(wrk->stdout_text(), w.error);
  if (!report) return w;
  w.ok = true;
  w.report = *report;
  return w;
}

void Runner::measure(RowPlan& plan, int trial) {
  TrialFigures t;
  t.trial = trial;
  const int trials = run_.settings.trials;
  progress_->phase(plan.result.label, trial, trials, "starting", 0);
  ListenLine listen;
  auto started = launch(plan);
  auto server = verify(plan, started, listen);

  if (o_.warmup_s > 0) {
    progress_->phase(plan.result.label, trial, trials, "warming up", o_.warmup_s);
    auto warm = run_wrk(plan, listen.port, o_.warmup_s, *server);  // figures discarded
    progress_->finished_phase();
    if (!warm.ok) {
      t.invalid_reason = "warm-up failed: " + warm.error;
    }
  }
  if (t.invalid_reason.empty()) {
    progress_->phase(plan.result.label, trial, trials, "measuring", o_.duration_s);
    // The server's whole process tree (gunicorn's workers are children),
    // and the database cluster's over the same run.
    const bool pg = plan.result.database == "postgresql" && db_.postmaster > 0;
    const auto db_before = pg ? read_tree_cpu_ticks(db_.postmaster) : std::nullopt;
    const auto before = read_tree_cpu_ticks(server->pid());
    const auto t0 = Clock::now();
    auto measured = run_wrk(plan, listen.port, o_.duration_s, *server);
    const auto t1 = Clock::now();
    const auto after = read_tree_cpu_ticks(server->pid());
    const auto db_after = pg ? read_tree_cpu_ticks(db_.postmaster) : std::nullopt;
    progress_->finished_phase();
    if (!measured.ok) {
      t.invalid_reason = measured.error;
    } else if (!before || !after) {
      t.invalid_reason = "the server ended during the run (" + server->describe_exit() + ")";
    } else {
      t.measured = true;
      t.wrk = measured.report;
      t.ticks_before = before->total();
      t.ticks_after = after->total();
      t.cpu_s = static_cast<double>(t.ticks_after - t.ticks_before) / static_cast<double>(clock_ticks_per_second());
      t.wall_s = std::chrono::duration<double>(t1 - t0).count();
      t.busy = t.wall_s > 0 ? t.cpu_s / t.wall_s : 0;
      t.cpu_us_per_request = t.wrk.requests ? t.cpu_s * 1e6 / static_cast<double>(t.wrk.requests) : 0;
      if (t.wrk.requests) {
        const double us_per_tick = 1e6 / static_cast<double>(clock_ticks_per_second()) /
                                   static_cast<double>(t.wrk.requests);
        t.user_us_per_request = static_cast<double>(after->utime - before->utime) * us_per_tick;
        t.sys_us_per_request = static_cast<double>(after->stime - before->stime) * us_per_tick;
      }
      if (db_before && db_after && t.wrk.requests)
        t.db_cpu_us_per_request = static_cast<double>(db_after->total() - db_before->total()) /
                                  static_cast<double>(clock_ticks_per_second()) * 1e6 /
                                  static_cast<double>(t.wrk.requests);
      if (t.wrk.requests == 0 && scenario_->takes_load && !t.wrk.socket_errors() && !t.wrk.non2xx &&
          server->running()) {
        // Seed 004's blocking rows on an asyncio loop: each of the
        // connections' requests runs its blocking part before any answer
        // is written, so the first answer comes after connections x block
        // (100 s for a 1 s sleep). Reported as such, not as invalid; the
        // answer itself was checked before the run, and checking it again
        // now would wait behind the queue.
        t.unanswered = true;
        note(plan.result.label + ", trial " + std::to_string(trial) + ": no answer within the " +
             std::to_string(o_.duration_s) +
             " s run (every connection waits behind the blocked loop; a --duration past connections x the "
             "block measures its steady rate)");
      } else if (t.wrk.requests == 0) {
        t.invalid_reason = "wrk completed no request";
      } else if (t.wrk.socket_errors()) {
        t.invalid_reason = "socket errors: connect " + std::to_string(t.wrk.errors_connect) + ", read " +
                           std::to_string(t.wrk.errors_read) + ", write " + std::to_string(t.wrk.errors_write) +
                           ", timeout " + std::to_string(t.wrk.errors_timeout);
      } else if (t.wrk.non2xx) {
        t.invalid_reason = std::to_string(t.wrk.non2xx) + " non-2xx/3xx responses";
      } else if (!server->running()) {
        t.invalid_reason = "the server ended during the run (" + server->describe_exit() + ")";
      } else {
        const std::string wrong =
            check_answer(listen.port, *plan.route, scenario_->pipeline_depth, check_timeout(*plan.route));
        if (!wrong.empty()) t.invalid_reason = "answers wrongly after the run: " + wrong;
      }
    }
  }
  t.valid = t.measured && t.invalid_reason.empty();
  progress_->phase(plan.result.label, trial, trials, "stopping", 0);
  t.stop_note = stop_server(*server, kStopDeadline);
  progress_->overhead_done();
  if (!t.stop_note.empty()) note(plan.result.label + ", trial " + std::to_string(trial) + ": " + t.stop_note);
  if (!t.valid) note(plan.result.label + ", trial " + std::to_string(trial) + " is invalid: " + t.invalid_reason);
  plan.result.trials.push_back(std::move(t));
}

// A run of its own, after the trials, so that counting cannot touch a
// timed figure: the server under the row's load with perf stat attached.
void Runner::count_syscalls(RowPlan& plan) {
  RowResult& r = plan.result;
  const int seconds = run_.settings.syscall_seconds;
  progress_->phase(r.label, o_.trials, o_.trials, "counting system calls", seconds);
  ListenLine listen;
  auto started = launch(plan);
  auto server = verify(plan, started, listen);
  std::string error;
  if (auto counter = SyscallCounter::start(run_.settings.perf_binary, process_tree(server->pid()), client_cpus_, error)) {
    const WrkOutcome w = run_wrk(plan, listen.port, seconds, *server);
    auto counts = counter->stop(error);
    if (!w.ok) {
      error = w.error;
    } else if (counts && w.report.requests == 0) {
      error = "wrk completed no request";
    } else if (counts) {
      r.syscalls = std::move(counts);
      r.syscall_requests = w.report.requests;
    }
  }
  progress_->finished_phase();
  stop_server(*server, kStopDeadline);
  progress_->overhead_done();
  if (!error.empty()) {
    r.syscalls_note = error;
    note(r.label + ": system calls not counted: " + error);
  }
}

// The layers' own cost, exact where the wire figures are noisy: the
// instructions per request `strata profile --instructions` counts under
// callgrind for the same tier and switches, in process.
void Runner::count_instructions() {
  if (scenario_->name != "user" && scenario_->name != "hello") return;  // the workloads profile drives
  std::vector<RowPlan*> rows;
  for (auto& p : plans_)
    if (p.result.available && !p.profile.empty()) rows.push_back(&p);
  if (rows.empty()) return;
  if (find_executable("valgrind").empty()) {
    note("instructions per request not counted: valgrind not found (Debian's valgrind, installed by `make deps`)");
    return;
  }
  std::map<std::vector<std::string>, std::optional<double>> counted;
  for (RowPlan* p : rows) {
    if (counted.count(p->profile)) continue;
    progress_->phase(p->result.label, o_.trials, o_.trials, "counting instructions", 0);
    std::vector<std::string> argv = {run_.settings.strata_binary, "profile", "--instructions-total", "--scenario",
                                     scenario_->name, "--requests", "2000"};
    argv.insert(argv.end(), p->profile.begin(), p->profile.end());
    const Captured c = capture(argv, 600s);
    std::string error;
    std::optional<double> n;
    if (!c.ran || c.code != 0) error = "strata profile " + (c.ran ? "exit " + std::to_string(c.code) : std::string("did not finish")) + ": " + last_line(c.err);
    else n = parse_profile_instructions(c.out, p->profile[1], error);
    if (!n) note(p->result.label + ": instructions not counted: " + error);
    counted[p->profile] = n;
  }
  progress_->clear();
  for (RowPlan* p : rows) p->result.instructions_per_request = counted[p->profile];
}

int Runner::run() {
  resolve_settings();
  collect_versions();
  plan_rows();

  const auto original_affinity = allowed_cpus();
  // The harness's own waiting and checking stays off the server's cores.
  pin_self(client_cpus_);
  struct Restore {
    std::vector<int> cpus;
    ~Restore() { pin_self(cpus); }
  } restore{original_affinity};

  size_t available = 0;
  for (const auto& p : plans_) available += p.result.available;
  const double per_run = o_.warmup_s + o_.duration_s + kRunOverheadS;
  const double counting = run_.settings.perf_binary.empty() ? 0 : run_.settings.syscall_seconds + kRunOverheadS;
  progress_ = std::make_unique<Progress>(static_cast<double>(available) *
                                         (kRunOverheadS + per_run * o_.trials + counting));

  if (scenario_->database) prepare_databases();
  preflight();

  std::vector<RowPlan*> order;
  for (auto& p : plans_)
    if (p.result.available) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(), [](const RowPlan* a, const RowPlan* b) { return a->level < b->level; });
  for (int trial = 1; trial <= o_.trials; ++trial)
    for (auto* p : order) measure(*p, trial);
  if (!run_.settings.perf_binary.empty())
    for (auto* p : order) count_syscalls(*p);
  if (o_.instructions) count_instructions();
  progress_->clear();
  return finish();
}

int Runner::finish() {
  for (auto& p : plans_) run_.rows.push_back(p.result);
  summarize_rows(run_.rows);
  // A handler that sleeps leaves its server idle by design: there, low CPU
  // does not mean wrk set the pace.
  if (o_.load.delay_s > 0)
    for (size_t i = 0; i < plans_.size(); ++i)
      if (plans_[i].route->knob == "delay") run_.rows[i].client_bound = false;
  std::string md = render_markdown(run_);
  if (o_.ablations) md += render_ablations(run_);
  if (scenario_->takes_load) md += render_seed004(run_, scenario_->routes);
  if (scenario_->name == "hello" || scenario_->name == "root") md += render_seed002(run_);
  if (scenario_->database) md += render_seed001(run_);
  std::fwrite(md.data(), 1, md.size(), stdout);
  std::fflush(stdout);

  int status = 0;
  for (const auto& r : run_.rows)
    if (r.available && !r.valid) status = 1;
  auto write_file = [&](const std::string& path, const std::string& text) {
    if (path.empty()) return;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      std::fprintf(stderr, "bench: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
      status = 1;
    }
  };
  write_file(o_.json_file, render_json(run_));
  write_file(o_.chart_file, render_svg(run_));
  write_file(o_.markdown_file, md);
  if (status == 1)
    for (const auto& r : run_.rows)
      if (r.available && !r.valid) std::fprintf(stderr, "bench: %s is invalid: %s\n", r.label.c_str(), r.invalid_reason.c_str());
  return status;
}

}  // namespace

int run_bench(const Options& options) {
  InterruptGuard guard;
  Runner runner(options);
  try {
    return runner.run();
  } catch (const Fatal& f) {
    std::fprintf(stderr, "%sbench: %s\n", isatty(2) ? "\r\033[K" : "", f.line.c_str());
    return f.code;
  }
}

}  // namespace strata::bench
