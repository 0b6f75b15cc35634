#include "cli/profile.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define STRATA_HAVE_CALLGRIND 1
#else
#define STRATA_HAVE_CALLGRIND 0
#endif

#include <uv.h>

#include "app/application.hpp"
#include "app/workload_app.hpp"
#include "common/probe.hpp"
#include "loop/memory_stream.hpp"
#include "loop/raw.hpp"
#include "parser/bare_app.hpp"
#include "parser/http1.hpp"
#include "parser/http_server.hpp"
#include "router/api.hpp"
#include "router/workload.hpp"

extern char** environ;

namespace strata::cli {

namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kTiers = {"raw", "http", "app", "typed"};

// ---------------------------------------------------------------- scenarios

struct Scenario {
  std::string name;
  std::string request;   // one request's bytes, keep-alive
  std::string expected;  // in the body of a correct answer
};

Scenario scenario(const std::string& name) {
  if (name == "hello")
    return {"hello", "GET /index?name=strata HTTP/1.1\r\nHost: x\r\n\r\n", "Hello strata"};
  return {"user",
          "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
          R"({"id": 1, "name": "user", "email": "user@email.com"})",
          "user@email.com"};
}

// A whole response at the start of `bytes`: status 200, a Content-Length,
// and a body holding `expected`. Returns the response's size, 0 if not whole
// yet, -1 if wrong.
long check_response(std::string_view bytes, std::string_view expected) {
  const size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  const std::string_view head = bytes.substr(0, end + 2);
  if (head.size() < 12 || head.substr(9, 3) != "200") return -1;
  size_t length = 0;
  bool have_length = false;
  for (size_t pos = head.find("\r\n") + 2; pos < head.size();) {
    const size_t eol = head.find("\r\n", pos);
    std::string_view line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
      line.remove_prefix(15);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      length = std::strtoul(std::string(line).c_str(), nullptr, 10);
      have_length = true;
    }
  }
  if (!have_length) return -1;
  if (bytes.size() < end + 4 + length) return 0;
  if (bytes.substr(end + 4, length).find(expected) == std::string_view::npos) return -1;
  return static_cast<long>(end + 4 + length);
}

// ---------------------------------------------------------------- in-process drivers

// One tier, one keep-alive connection, in memory.
class Driver {
 public:
  virtual ~Driver() = default;
  // Sends one request; returns the bytes answered (valid until the next call).
  virtual std::string_view once(std::string_view request) = 0;
};

class RawDriver final : public Driver {
 public:
  RawDriver() : stream_(loop::raw::read_capacity), proto_(stream_, ctx_) {}
  std::string_view once(std::string_view request) override {
    stream_.written.clear();
    stream_.feed(request);
    proto_.on_data();
    return stream_.written;
  }

 private:
  loop::raw::Protocol::Context ctx_;
  loop::MemoryStream stream_;
  loop::raw::Protocol proto_;
};

// Tiers 2 to 4: the HTTP/1.1 engine with the tier's app behind it.
class HttpDriver final : public Driver {
 public:
  explicit HttpDriver(const std::string& tier) : stream_(http::Options{}.read_capacity()) {
    uv_loop_init(&loop_);
    host_.loop = &loop_;
    app::AppConfig config;
    config.threads = 1;  // the workloads never use the pool; one idle thread is noise enough
    if (tier == "app") {
      application_ = std::make_unique<app::Application>(config);
      app::add_workload_routes(*application_);
      ctx_.app = application_->build(host_);
    } else if (tier == "typed") {
      router::APIConfig api_config;
      api_config.app = config;
      api_ = std::make_unique<router::API>(api_config);
      router::add_workload_routes(*api_);
      ctx_.app = api_->factory()(host_);
    } else {
      ctx_.app = http::make_bare_app();
    }
    ctx_.refresh_date(784111777);  // no timer runs here; any fixed Date will do
    proto_ = std::make_unique<http::Protocol>(stream_, ctx_);
  }
  ~HttpDriver() override {
    proto_.reset();
    for (auto& hook : host_.on_shutdown) hook();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  std::string_view once(std::string_view request) override {
    stream_.written.clear();
    stream_.feed(request);
    proto_->on_data();
    // An endpoint that went to the thread pool answers from the loop.
    while (stream_.written.empty() && !stream_.closed()) uv_run(&loop_, UV_RUN_ONCE);
    return stream_.written;
  }

 private:
  uv_loop_t loop_{};
  http::AppHost host_;
  http::Context ctx_;
  std::unique_ptr<app::Application> application_;
  std::unique_ptr<router::API> api_;
  loop::MemoryStream stream_;
  std::unique_ptr<http::Protocol> proto_;
};

std::unique_ptr<Driver> make_driver(const std::string& tier) {
  if (tier == "raw") return std::make_unique<RawDriver>();
  return std::make_unique<HttpDriver>(tier);
}

struct Failure {
  std::string why;
};

void run_requests(Driver& d, const Scenario& sc, long n, const std::string& tier) {
  for (long i = 0; i < n; ++i) {
    const std::string_view got = d.once(sc.request);
    // Checking every answer would be measured too; the first and the last
    // stand for the rest (the state between them is the same keep-alive loop).
    if (i == 0 || i == n - 1) {
      if (check_response(got, sc.expected) != static_cast<long>(got.size()))
        throw Failure{"tier " + tier + " answered wrongly: " + std::string(got.substr(0, 200))};
    }
  }
}

double ns_per_request(Driver& d, const Scenario& sc, long n, const std::string& tier) {
  const auto t0 = Clock::now();
  run_requests(d, sc, n, tier);
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

struct TierTimes {
  std::string tier;
  double off_ns = 0, on_ns = 0;  // the fastest batch's
  probe::Totals totals;          // the probes-on batch
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

constexpr int kRounds = 5;

TierTimes time_tier(const std::string& tier, const Scenario& sc, long n) {
  TierTimes t;
  t.tier = tier;
  auto d = make_driver(tier);
  probe::set_enabled(false);
  run_requests(*d, sc, std::max(200L, n / 10), tier);  // warm-up: buffers, pools and codecs grow once
  // Off and on alternate, so drift (frequency, a neighbour) hits both alike.
  std::vector<double> off, on;
  for (int round = 0; round < kRounds; ++round) {
    off.push_back(ns_per_request(*d, sc, n, tier));
    if (probe::compiled_in()) {
      probe::set_enabled(true);
      probe::clear_totals();
      on.push_back(ns_per_request(*d, sc, n, tier));
      t.totals = probe::read_totals();
      probe::set_enabled(false);
    }
  }
  // The fastest batch is the one least disturbed by the rest of the machine.
  t.off_ns = *std::min_element(off.begin(), off.end());
  t.on_ns = on.empty() ? 0 : *std::min_element(on.begin(), on.end());
  return t;
}

// ---------------------------------------------------------------- printing

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

std::string group(double v) {
  // 12345.6 -> "12,346": figures people compare by eye.
  std::string digits = std::to_string(static_cast<long long>(v + 0.5));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void print_times(const std::vector<TierTimes>& all, long n) {
  std::printf("ns per request, in process (no sockets), %ld requests per batch, fastest of %d batches;\n"
              "phases: probe self time per request (clock: %s)\n\n",
              n, kRounds, std::string(probe::clock_name()).c_str());
  for (const TierTimes& t : all) {
    std::printf("tier %s: %s ns/request with probes off, %s ns/request with probes on\n", t.tier.c_str(),
                group(t.off_ns).c_str(), probe::compiled_in() ? group(t.on_ns).c_str() : "(compiled out)");
    if (!probe::compiled_in()) continue;
    std::printf("  %-11s %12s %8s\n", "phase", "ns/request", "share");
    double attributed = 0;
    const double requests = static_cast<double>(std::max<uint64_t>(t.totals.requests, 1));
    for (probe::Phase p : probe::all_phases) {
      const probe::Summary& s = t.totals.phases[static_cast<size_t>(p)];
      if (s.count == 0) continue;
      const double per = static_cast<double>(s.sum) / requests;
      attributed += per;
      std::printf("  %-11s %12.1f %7.1f%%\n", std::string(probe::name(p)).c_str(), per, 100.0 * per / t.on_ns);
    }
    // The driver, the stream and the code between spans (and the spans themselves).
    std::printf("  %-11s %12.1f %7.1f%%\n\n", "(untimed)", t.on_ns - attributed, 100.0 * (t.on_ns - attributed) / t.on_ns);
  }
  std::printf("%-6s %12s %12s %12s\n", "tier", "ns/request", "+ vs above", "probes on");
  for (size_t i = 0; i < all.size(); ++i) {
    std::printf("%-6s %12s %12s %12s\n", all[i].tier.c_str(), group(all[i].off_ns).c_str(),
                i ? (all[i].off_ns >= all[i - 1].off_ns ? "+" + group(all[i].off_ns - all[i - 1].off_ns)
                                                         : "-" + group(all[i - 1].off_ns - all[i].off_ns))
                        .c_str()
                  : "",
                probe::compiled_in() ? group(all[i].on_ns).c_str() : "-");
  }
}

// ---------------------------------------------------------------- child processes

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "strata";
  return std::string(buf, static_cast<size_t>(n));
}

std::string find_on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  for (size_t pos = 0; pos <= p.size();) {
    size_t colon = p.find(':', pos);
    if (colon == std::string::npos) colon = p.size();
    const std::string cand = p.substr(pos, colon - pos) + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    pos = colon + 1;
  }
  return "";
}

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (auto& a : argv) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

std::string read_fd(int fd) {
  std::string out;
  char buf[4096];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, std::min<size_t>(end + 1 - start, 200));
}

// Runs argv to its end with stdout and stderr in memory files; returns the
// exit status (-1: could not run, or killed) and fills `err` with stderr.
int run_quiet(std::vector<std::string> argv, std::string& out, std::string& err) {
  const int out_fd = ::memfd_create("strata-profile-out", MFD_CLOEXEC);
  const int err_fd = ::memfd_create("strata-profile-err", MFD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  auto args = c_argv(argv);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  if (rc == 0) ::waitpid(pid, &status, 0);
  out = read_fd(out_fd);
  err = read_fd(err_fd);
  ::close(out_fd);
  ::close(err_fd);
  if (rc != 0) {
    err = std::string("cannot run ") + argv[0] + ": " + std::strerror(rc);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---------------------------------------------------------------- instructions

#if STRATA_HAVE_CALLGRIND
int g_collect_phase = -1;
bool g_collecting = false;
long g_switched_on = 0;

// Collection on exactly while the phase being counted is the innermost open span.
void toggle_collect(int top) {
  const bool want = top == g_collect_phase;
  if (want == g_collecting) return;
  g_collecting = want;
  g_switched_on += want;
  CALLGRIND_TOGGLE_COLLECT;
}
#endif

// Calibration spans for --instructions: nothing inside, so what callgrind
// counts in them is only what leaks past the switch at each edge.
constexpr long kEdgeSpans = 1000;

// The child side: one tier, instrumented only around the measured loop.
int callgrind_child(const std::string& tier, const Scenario& sc, long n, const std::string& what) {
#if STRATA_HAVE_CALLGRIND
  if (!RUNNING_ON_VALGRIND) {
    std::fprintf(stderr, "strata: --callgrind-child is for `strata profile --instructions`, under callgrind\n");
    return 2;
  }
  auto d = make_driver(tier);
  const bool per_phase = what != "total";
  probe::set_enabled(per_phase);
  run_requests(*d, sc, 200, tier);  // warm-up, uninstrumented
  if (per_phase) {
    for (probe::Phase p : probe::all_phases)
      if (probe::name(p) == what) g_collect_phase = static_cast<int>(p);
    probe::set_top_hook(toggle_collect);
  }
  CALLGRIND_ZERO_STATS;
  CALLGRIND_START_INSTRUMENTATION;
  run_requests(*d, sc, n, tier);
  if (per_phase) {
    // Switching collection happens inside a function call, so each time
    // the phase comes on top a few instructions of the probe's own call
    // and return are counted. Measure that in a second dump (empty spans
    // of the same phase) and say how often it happened, so the parent can
    // take it out.
    const long switched = g_switched_on;
    CALLGRIND_DUMP_STATS_AT("measured");
    probe::Record r;
    probe::Bind bind(r);
    for (long i = 0; i < kEdgeSpans; ++i) probe::Span span(static_cast<probe::Phase>(g_collect_phase));
    std::printf("switched-on %ld\n", switched);
  }
  CALLGRIND_STOP_INSTRUMENTATION;
  probe::set_top_hook(nullptr);
  return 0;
#else
  (void)tier, (void)sc, (void)n, (void)what;
  std::fprintf(stderr, "strata: built without <valgrind/callgrind.h>\n");
  return 1;
#endif
}

// Ir collected in a callgrind output file ("summary: N" or "totals: N").
std::optional<uint64_t> read_callgrind_total(const std::string& file) {
  std::ifstream in(file);
  std::string line;
  std::optional<uint64_t> total;
  while (std::getline(in, line)) {
    for (const char* key : {"summary:", "totals:"}) {
      if (line.rfind(key, 0) == 0) total = std::strtoull(line.c_str() + std::strlen(key), nullptr, 10);
    }
  }
  return total;
}

struct TierInstructions {
  std::string tier;
  double total = 0;                      // instructions per request, probes off
  std::vector<std::pair<probe::Phase, double>> phases;  // per request, probes on
};

double count_instructions(const std::string& valgrind, const std::string& tier, const Scenario& sc, long n,
                          const std::string& what) {
  char file[] = "/tmp/strata-callgrind-XXXXXX";
  const int fd = ::mkstemp(file);
  if (fd < 0) throw Failure{std::string("cannot create a temporary file: ") + std::strerror(errno)};
  ::close(fd);
  std::vector<std::string> argv = {valgrind,
                                   "--tool=callgrind",
                                   "--instr-atstart=no",
                                   what == "total" ? "--collect-atstart=yes" : "--collect-atstart=no",
                                   std::string("--callgrind-out-file=") + file,
                                   self_exe(),
                                   "profile",
                                   "--tier",
                                   tier,
                                   "--scenario",
                                   sc.name,
                                   "--requests",
                                   std::to_string(n),
                                   "--callgrind-child",
                                   what};
  std::string out, err;
  const int rc = run_quiet(argv, out, err);
  const std::string measured_file = std::string(file) + ".1";
  // Per phase, the measured loop is the first dump and the edge calibration
  // the final one; the total has one dump only.
  const auto measured = read_callgrind_total(what == "total" ? file : measured_file);
  const auto edges = read_callgrind_total(file);
  ::unlink(file);
  ::unlink(measured_file.c_str());
  if (rc != 0 || !measured)
    throw Failure{"callgrind run for tier " + tier + " (" + what + ") failed: " + last_line(err)};
  double ir = static_cast<double>(*measured);
  if (what != "total") {
    const size_t at = out.find("switched-on ");
    if (at == std::string::npos || !edges)
      throw Failure{"callgrind run for tier " + tier + " (" + what + ") gave no edge count: " + last_line(out)};
    const double switched = std::strtod(out.c_str() + at + 12, nullptr);
    ir -= switched * static_cast<double>(*edges) / static_cast<double>(kEdgeSpans);
  }
  return ir / static_cast<double>(n);
}

std::vector<TierInstructions> measure_instructions(const std::vector<TierTimes>& times, const Scenario& sc, long n) {
  const std::string valgrind = find_on_path("valgrind");
  if (valgrind.empty()) throw Failure{"--instructions needs valgrind (apt-get install valgrind)"};
  if (!STRATA_HAVE_CALLGRIND) throw Failure{"--instructions: this strata was built without <valgrind/callgrind.h>"};
  std::vector<TierInstructions> out;
  for (const TierTimes& t : times) {
    TierInstructions ti;
    ti.tier = t.tier;
    ti.total = count_instructions(valgrind, t.tier, sc, n, "total");
    for (probe::Phase p : probe::all_phases)
      if (t.totals.phases[static_cast<size_t>(p)].count > 0)
        ti.phases.emplace_back(p, count_instructions(valgrind, t.tier, sc, n, std::string(probe::name(p))));
    out.push_back(std::move(ti));
  }
  return out;
}

void print_instructions(const std::vector<TierInstructions>& all, long n) {
  std::printf("\ninstructions per request (callgrind, %ld requests, instrumented only around the measured loop;\n"
              "total with probes off; each phase counted alone, without the probes' own instructions)\n\n", n);
  for (const TierInstructions& t : all) {
    std::printf("tier %s: %s instructions/request\n", t.tier.c_str(), group(t.total).c_str());
    std::printf("  %-11s %12s %8s\n", "phase", "instr/req", "share");
    double attributed = 0;
    for (const auto& [p, v] : t.phases) {
      attributed += v;
      std::printf("  %-11s %12s %7.1f%%\n", std::string(probe::name(p)).c_str(), group(v).c_str(), 100.0 * v / t.total);
    }
    // Signed: a phase may run a little more code with the probes on than
    // the probes-off total has (an enabled() branch taken, a record bound).
    const double rest = t.total - attributed;
    std::printf("  %-11s %12s %7.1f%%\n\n", "(untimed)", ((rest < 0 ? "-" : "") + group(std::abs(rest))).c_str(),
                100.0 * rest / t.total);
  }
  std::printf("%-6s %14s %12s %8s\n", "tier", "instr/request", "+ vs above", "x raw");
  for (size_t i = 0; i < all.size(); ++i) {
    std::string delta;
    if (i) delta = (all[i].total >= all[i - 1].total ? "+" : "-") + group(std::abs(all[i].total - all[i - 1].total));
    std::printf("%-6s %14s %12s %8.2f\n", all[i].tier.c_str(), group(all[i].total).c_str(), delta.c_str(),
                all[i].total / all[0].total);
  }
}

// ---------------------------------------------------------------- cold start

struct Spawned {
  pid_t pid = -1;
  int out = -1;     // the child's stdout (a pipe)
  int err = -1;     // its stderr (a memory file)
};

Spawned spawn_server(std::vector<std::string> argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Failure{std::string("pipe: ") + std::strerror(errno)};
  Spawned s;
  s.err = ::memfd_create("strata-cold-err", MFD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, s.err, 2);
  auto args = c_argv(argv);
  const int rc = posix_spawn(&s.pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  s.out = fds[0];
  if (rc != 0) {
    ::close(s.out);
    ::close(s.err);
    throw Failure{std::string("cannot run ") + argv[0] + ": " + std::strerror(rc)};
  }
  return s;
}

void end_server(Spawned& s) {
  if (s.pid > 0) {
    ::kill(s.pid, SIGTERM);
    int status;
    // A server that ignores SIGTERM for 5 s is killed.
    for (int i = 0; i < 500 && ::waitpid(s.pid, &status, WNOHANG) == 0; ++i) ::usleep(10'000);
    if (::waitpid(s.pid, &status, WNOHANG) == 0) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, &status, 0);
    }
  }
  if (s.out >= 0) ::close(s.out);
  if (s.err >= 0) ::close(s.err);
  s = {};
}

// Reads the child's stdout up to the "listening on http://HOST:PORT" line; 0 if it ended first.
uint16_t read_listen_port(int fd, int timeout_ms) {
  std::string got;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const size_t nl = got.find('\n');
    if (nl != std::string::npos) {
      const std::string line = got.substr(0, nl);
      got.erase(0, nl + 1);
      if (line.rfind("listening on http://", 0) != 0) continue;
      const size_t colon = line.rfind(':');
      return static_cast<uint16_t>(std::strtoul(line.c_str() + colon + 1, nullptr, 10));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return 0;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return 0;
    got.append(buf, static_cast<size_t>(n));
  }
}

bool ask(uint16_t port, const Scenario& sc, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ok = ok && ::send(fd, sc.request.data(), sc.request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(sc.request.size());
  std::string got;
  while (ok) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      ok = false;
      break;
    }
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ok = false;
      break;
    }
    got.append(buf, static_cast<size_t>(n));
    const long r = check_response(got, sc.expected);
    if (r != 0) {
      ok = r > 0;
      break;
    }
  }
  ::close(fd);
  return ok;
}

// Milliseconds from spawn to the first correct answer, or a reason.
struct ColdStart {
  std::vector<double> ms;
  std::string error;
};

ColdStart cold_starts(const std::vector<std::string>& argv, const Scenario& sc, int starts) {
  ColdStart c;
  for (int i = 0; i < starts; ++i) {
    const auto t0 = Clock::now();
    Spawned s = spawn_server(argv);
    const uint16_t port = read_listen_port(s.out, 30'000);
    const bool ok = port != 0 && ask(port, sc, 10'000);
    const auto t1 = Clock::now();
    if (!ok) {
      ::kill(s.pid, SIGTERM);
      int status;
      ::waitpid(s.pid, &status, 0);
      const std::string err = last_line(read_fd(s.err));
      s.pid = -1;
      end_server(s);
      c.error = port == 0 ? "did not start" + (err.empty() ? "" : ": " + err) : "answered wrongly";
      return c;
    }
    end_server(s);
    c.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return c;
}

void print_cold_start(const std::vector<TierTimes>& times, const Scenario& sc, const std::string& reference) {
  constexpr int kStarts = 20;
  std::printf("\ncold start: spawn `serve --port 0` -> listening line -> connect -> first correct answer,\n"
              "median of %d starts (min-max), beside the warm in-process cost of one request\n\n", kStarts);
  std::printf("%-8s %-6s %10s %20s %16s\n", "stack", "tier", "cold ms", "(min-max)", "warm ns/request");
  const std::string self = self_exe();
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

// ---------------------------------------------------------------- the command

struct Options {
  std::string tier = "all";
  long requests = 20000;
  std::string scenario = "user";
  bool instructions = false;
  long instruction_requests = 1000;
  bool cold_start = false;
  std::string reference;
  std::string callgrind_child;
};

int run_profile(const Options& o) {
  const Scenario sc = scenario(o.scenario);
  std::vector<std::string> tiers = o.tier == "all" ? kTiers : std::vector<std::string>{o.tier};
  if (!o.callgrind_child.empty()) return callgrind_child(tiers.front(), sc, o.requests, o.callgrind_child);

  std::printf("strata profile: scenario %s (%s), tiers", sc.name.c_str(),
              sc.name == "user" ? "POST /user, a JSON User round trip" : "GET /index?name=strata");
  for (const auto& t : tiers) std::printf(" %s", t.c_str());
  std::printf("\n\n");
  std::fflush(stdout);
  std::vector<TierTimes> times;
  for (const auto& t : tiers) times.push_back(time_tier(t, sc, o.requests));
  print_times(times, o.requests);
  std::fflush(stdout);
  if (o.instructions) {
    const auto instr = measure_instructions(times, sc, o.instruction_requests);
    print_instructions(instr, o.instruction_requests);
    std::fflush(stdout);
  }
  if (o.cold_start) print_cold_start(times, sc, o.reference);
  std::fflush(stdout);
  return 0;
}

}  // namespace

void register_profile_command(CLI::App& root) {
  auto o = std::make_shared<Options>();
  auto* cmd = root.add_subcommand(
      "profile",
      "Drive each tier in-process (no sockets) and print ns per request and its split by phase; "
      "--instructions adds callgrind's instructions per request, --cold-start the time to a first answer.");
  cmd->add_option("--tier", o->tier, "raw, http, app, typed or all")
      ->check(CLI::IsMember({"raw", "http", "app", "typed", "all"}))
      ->capture_default_str();
  cmd->add_option("--requests", o->requests, "Requests per measured batch")
      ->check(CLI::Range(1L, 100'000'000L))
      ->capture_default_str();
  cmd->add_option("--scenario", o->scenario, "user (POST /user, seed 003) or hello (GET /index?name=, seed 002)")
      ->check(CLI::IsMember({"user", "hello"}))
      ->capture_default_str();
  cmd->add_flag("--instructions", o->instructions,
                "Also count instructions per request, per tier and per phase, under valgrind --tool=callgrind");
  cmd->add_option("--instruction-requests", o->instruction_requests, "Requests counted in each callgrind run")
      ->check(CLI::Range(1L, 1'000'000L))
      ->capture_default_str();
  cmd->add_flag("--cold-start", o->cold_start,
                "Also time `strata serve` from spawn to its first correct answer, per tier (median of 20)");
  cmd->add_option("--reference", o->reference, "With --cold-start: also the Python twins (python)")
      ->check(CLI::IsMember({"python"}));
  // The child side of --instructions; not for people.
  cmd->add_option("--callgrind-child", o->callgrind_child)->group("");
  cmd->callback([o] {
    int status;
    try {
      status = run_profile(*o);
    } catch (const Failure& f) {
      std::fflush(stdout);
      std::fprintf(stderr, "strata profile: %s\n", f.why.c_str());
      status = 1;
    }
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace strata::cli
