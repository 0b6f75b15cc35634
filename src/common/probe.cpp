#include "common/probe.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace strata::probe {

namespace detail {
bool enabled_flag = false;
bool server_timing_flag = false;
}

namespace {

constexpr std::array<std::string_view, kPhases> names = {
    "parse", "dispatch", "app", "middleware", "route", "params",
    "body",  "depends",  "handler", "serialize", "send", "write"};

// One thread's aggregates. Allocated on the thread's first recorded span
// and never freed before exit, so that what a finished thread (a stopped
// worker) recorded still shows in the stop table.
struct ThreadAggregates {
  std::atomic<uint64_t> requests{0};
  std::array<Histogram, kPhases> phases;
};

struct Registry {
  std::mutex mu;
  std::vector<std::unique_ptr<ThreadAggregates>> all;
};
Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: threads may record during exit
  return *r;
}

struct ThreadState {
  Record* current = nullptr;
  Record loose;  // spans with no request to belong to
  ThreadAggregates* aggregates = nullptr;
  bool muted = false;
};
thread_local ThreadState t_state;
TopHook top_hook = nullptr;

ThreadAggregates& aggregates() {
  ThreadState& t = t_state;
  if (!t.aggregates) {
    auto a = std::make_unique<ThreadAggregates>();
    t.aggregates = a.get();
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    r.all.push_back(std::move(a));
  }
  return *t.aggregates;
}

void record_phases(const Record& r) {
  ThreadAggregates& a = aggregates();
  for (uint32_t bits = r.seen; bits;) {
    const int i = std::countr_zero(bits);
    bits &= bits - 1;
    a.phases[static_cast<size_t>(i)].add(to_ns(r.ticks[static_cast<size_t>(i)]));
  }
}

void add_relaxed(std::atomic<uint64_t>& a, uint64_t v) {
  // One writer: a load and a store, not a locked read-modify-write.
  a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

}  // namespace

std::string_view name(Phase p) { return names[static_cast<size_t>(p)]; }

// ---------------------------------------------------------------- clock

namespace {

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// The TSC is usable as a clock only if it ticks at one rate whatever the
// CPU's frequency and sleep state; the kernel says so in the CPU flags.
bool tsc_usable() {
#if defined(__x86_64__)
  std::FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (!f) return false;
  char line[4096];
  bool constant = false, nonstop = false;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "flags", 5) != 0) continue;
    constant = std::strstr(line, " constant_tsc") != nullptr;
    nonstop = std::strstr(line, " nonstop_tsc") != nullptr;
    break;
  }
  std::fclose(f);
  return constant && nonstop;
#else
  return false;
#endif
}

struct ProbeClock {
  bool tsc = false;
  double ns_per_tick = 1.0;
};
ProbeClock g_clock;
std::once_flag g_clock_once;

void calibrate() {
  if (!tsc_usable()) return;
  // 5 ms against CLOCK_MONOTONIC: an error of tens of ns at each end is a
  // few parts per million. Paid once, when probes are first enabled.
  const uint64_t n0 = monotonic_ns(), t0 = __rdtsc();
  while (monotonic_ns() - n0 < 5'000'000) {
  }
  const uint64_t n1 = monotonic_ns(), t1 = __rdtsc();
  if (t1 <= t0) return;
  g_clock.ns_per_tick = static_cast<double>(n1 - n0) / static_cast<double>(t1 - t0);
  g_clock.tsc = true;
}

}  // namespace

uint64_t now() {
#if defined(__x86_64__)
  if (g_clock.tsc) return __rdtsc();
#endif
  return monotonic_ns();
}

uint64_t to_ns(uint64_t ticks) {
  return g_clock.tsc ? static_cast<uint64_t>(static_cast<double>(ticks) * g_clock.ns_per_tick) : ticks;
}

std::string_view clock_name() { return g_clock.tsc ? "tsc" : "clock_gettime"; }

bool set_enabled(bool on) {
  if (!compiled_in()) return false;
  if (on) std::call_once(g_clock_once, calibrate);
  detail::enabled_flag = on;
  if (!on) detail::server_timing_flag = false;
  return true;
}

bool set_server_timing(bool on) {
  if (!compiled_in()) return false;
  if (on) set_enabled(true);
  detail::server_timing_flag = on;
  return true;
}



// ---------------------------------------------------------------- Record

namespace {
// A thread moved to another core may read a TSC a hair behind the last one.
uint64_t since(uint64_t mark, uint64_t now) { return now > mark ? now - mark : 0; }
}  // namespace

std::array<uint64_t, kPhases> Record::snapshot(uint64_t now) const {
  std::array<uint64_t, kPhases> out = ticks;
  if (depth > 0) out[static_cast<size_t>(stack[static_cast<size_t>(depth - 1)].phase)] += since(mark, now);
  return out;
}

std::array<uint64_t, kPhases> Record::elapsed_ns() const {
  std::array<uint64_t, kPhases> out = snapshot(probe::now());
  for (uint64_t& v : out) v = to_ns(v);
  return out;
}

int Record::push(Phase p, uint64_t now) {
  if (depth > 0) ticks[static_cast<size_t>(stack[static_cast<size_t>(depth - 1)].phase)] += since(mark, now);
  stack[static_cast<size_t>(depth)] = {p, true};
  seen |= 1u << static_cast<unsigned>(p);
  mark = now;
  return depth++;
}

void Record::close(int index, uint64_t now) {
  if (index != depth - 1) {
    // Not running (something above it is): it just stops existing. Its
    // slot is dropped once everything above it has closed.
    stack[static_cast<size_t>(index)].live = false;
    return;
  }
  ticks[static_cast<size_t>(stack[static_cast<size_t>(index)].phase)] += since(mark, now);
  --depth;
  while (depth > 0 && !stack[static_cast<size_t>(depth - 1)].live) --depth;
  mark = now;
}

Record* current() { return t_state.current; }

void Bind::bind(Record& r) {
  prev_ = t_state.current;
  t_state.current = &r;
  bound_ = true;
}

void Bind::unbind() { t_state.current = prev_; }

namespace {
int top_of(const Record& r) { return r.depth > 0 ? static_cast<int>(r.stack[static_cast<size_t>(r.depth - 1)].phase) : -1; }
}  // namespace

// With a top hook (the instruction profiler), the probe's own bookkeeping
// runs with no phase on top, so no phase is charged for it.
void Span::open(Phase p, Mode m) {
  if (top_hook) top_hook(-1);
  ThreadState& t = t_state;
  Record* r = t.current ? t.current : &t.loose;
  if (r->depth < Record::kMaxDepth && (m == always || r->depth == 0)) {
    index_ = r->push(p, now());
    rec_ = r;
  }
  if (top_hook) top_hook(top_of(*r));
}

void Span::close() {
  if (top_hook) top_hook(-1);
  rec_->close(index_, now());
  ThreadState& t = t_state;
  if (rec_ == &t.loose && rec_->depth == 0) {
    if (!t.muted) record_phases(t.loose);
    t.loose.reset();
  }
  if (top_hook) top_hook(top_of(*rec_));
}

void commit(const Record& r) {
  if (t_state.muted) return;
  record_phases(r);
  add_relaxed(aggregates().requests, 1);
}

void mute_this_thread() { t_state.muted = true; }

void set_top_hook(TopHook hook) { top_hook = hook; }

// ---------------------------------------------------------------- Server-Timing

void append_ms(std::string& out, uint64_t ns) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%" PRIu64 ".%06" PRIu64, ns / 1'000'000, ns % 1'000'000);
  int end = n;
  while (buf[end - 1] == '0') --end;
  if (buf[end - 1] == '.') --end;
  out.append(buf, static_cast<size_t>(end));
}

size_t append_server_timing(std::string& out, const std::array<uint64_t, kPhases>& ns, uint32_t seen) {
  size_t n = 0;
  for (Phase p : all_phases) {
    if (!(seen & (1u << static_cast<unsigned>(p)))) continue;
    if (n++) out.append(", ");
    out.append(name(p)).append(";dur=");
    append_ms(out, ns[static_cast<size_t>(p)]);
  }
  return n;
}

// ---------------------------------------------------------------- Histogram

size_t Histogram::bucket_of(uint64_t v) {
  constexpr uint64_t sub = 1u << kSubBits;
  if (v < sub) return static_cast<size_t>(v);
  const int e = 63 - std::countl_zero(v);  // >= kSubBits
  const uint64_t mantissa = (v >> (e - kSubBits)) & (sub - 1);
  return static_cast<size_t>((static_cast<uint64_t>(e - kSubBits + 1) << kSubBits) + mantissa);
}

uint64_t Histogram::bucket_low(size_t b) {
  constexpr size_t sub = size_t{1} << kSubBits;
  if (b < sub) return b;
  const int e = static_cast<int>(b >> kSubBits) + kSubBits - 1;
  return (uint64_t{sub + (b & (sub - 1))}) << (e - kSubBits);
}

uint64_t Histogram::bucket_high(size_t b) {
  return b + 1 < kBuckets ? bucket_low(b + 1) - 1 : UINT64_MAX;
}

void Histogram::add(uint64_t v) {
  add_relaxed(count_, 1);
  add_relaxed(sum_, v);
  if (v > max_.load(std::memory_order_relaxed)) max_.store(v, std::memory_order_relaxed);
  add_relaxed(buckets_[bucket_of(v)], 1);
}

void Histogram::clear() {
  count_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
}

void Summary::merge(const Histogram& h) {
  count += h.count_.load(std::memory_order_relaxed);
  sum += h.sum_.load(std::memory_order_relaxed);
  max = std::max(max, h.max_.load(std::memory_order_relaxed));
  for (size_t i = 0; i < Histogram::kBuckets; ++i) buckets[i] += h.buckets_[i].load(std::memory_order_relaxed);
}

void Summary::merge(const Summary& s) {
  count += s.count;
  sum += s.sum;
  max = std::max(max, s.max);
  for (size_t i = 0; i < Histogram::kBuckets; ++i) buckets[i] += s.buckets[i];
}

uint64_t Summary::quantile(double q) const {
  // Count the buckets rather than trusting `count`: read from another
  // thread, the two may disagree by a sample or two.
  uint64_t total = 0;
  for (uint64_t c : buckets) total += c;
  if (total == 0) return 0;
  // The rank of the quantile, 1-based: the smallest value with at least q of the samples at or below it.
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  rank = std::clamp<uint64_t>(rank, 1, total);
  if (rank == total && max) return max;  // the largest sample is known exactly
  uint64_t seen = 0;
  for (size_t b = 0; b < Histogram::kBuckets; ++b) {
    seen += buckets[b];
    if (seen < rank) continue;
    const uint64_t lo = Histogram::bucket_low(b), hi = Histogram::bucket_high(b);
    const uint64_t mid = lo + (hi - lo) / 2;
    return max ? std::min(mid, max) : mid;
  }
  return max;
}

// ---------------------------------------------------------------- totals

Totals read_totals() {
  Totals t;
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& a : r.all) {
    t.requests += a->requests.load(std::memory_order_relaxed);
    for (size_t i = 0; i < kPhases; ++i) t.phases[i].merge(a->phases[i]);
  }
  return t;
}

void clear_totals() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  for (const auto& a : r.all) {
    a->requests.store(0, std::memory_order_relaxed);
    for (Histogram& h : a->phases) h.clear();
  }
}

namespace {

void append_us(std::string& out, double ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%10.3f", ns / 1000.0);
  out.append(buf);
}

void append_seconds(std::string& out, double ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", ns / 1e9);
  out.append(buf);
}

}  // namespace

std::string format_table(const Totals& t) {
  std::string out;
  char line[128];
  std::snprintf(line, sizeof line, "requests: %" PRIu64 "\n%-11s %10s %10s %10s %10s %10s %10s  (microseconds)\n",
                t.requests, "phase", "count", "mean", "p50", "p90", "p99", "max");
  out.append(line);
  for (Phase p : all_phases) {
    const Summary& s = t.phases[static_cast<size_t>(p)];
    if (s.count == 0) continue;
    std::snprintf(line, sizeof line, "%-11.*s %10" PRIu64, static_cast<int>(name(p).size()), name(p).data(), s.count);
    out.append(line);
    append_us(out.append(" "), s.mean());
    append_us(out.append(" "), static_cast<double>(s.quantile(0.5)));
    append_us(out.append(" "), static_cast<double>(s.quantile(0.9)));
    append_us(out.append(" "), static_cast<double>(s.quantile(0.99)));
    append_us(out.append(" "), static_cast<double>(s.max));
    out.push_back('\n');
  }
  return out;
}

std::string format_prometheus(const Totals& t) {
  std::string out;
  out.append("# HELP strata_requests_total Requests completed with probes on.\n");
  out.append("# TYPE strata_requests_total counter\n");
  out.append("strata_requests_total ").append(std::to_string(t.requests)).append("\n");
  out.append("# HELP strata_phase_seconds Time spent per request in each phase (self time).\n");
  out.append("# TYPE strata_phase_seconds summary\n");
  for (Phase p : all_phases) {
    const Summary& s = t.phases[static_cast<size_t>(p)];
    if (s.count == 0) continue;
    const std::string label = std::string("phase=\"").append(name(p)).append("\"");
    for (const auto& [q, qs] : {std::pair{0.5, "0.5"}, {0.9, "0.9"}, {0.99, "0.99"}}) {
      out.append("strata_phase_seconds{").append(label).append(",quantile=\"").append(qs).append("\"} ");
      append_seconds(out, static_cast<double>(s.quantile(q)));
      out.push_back('\n');
    }
    out.append("strata_phase_seconds_sum{").append(label).append("} ");
    append_seconds(out, static_cast<double>(s.sum));
    out.append("\nstrata_phase_seconds_count{").append(label).append("} ").append(std::to_string(s.count)).append("\n");
  }
  out.append("# HELP strata_phase_max_seconds Longest time one request spent in each phase.\n");
  out.append("# TYPE strata_phase_max_seconds gauge\n");
  for (Phase p : all_phases) {
    const Summary& s = t.phases[static_cast<size_t>(p)];
    if (s.count == 0) continue;
    out.append("strata_phase_max_seconds{phase=\"").append(name(p)).append("\"} ");
    append_seconds(out, static_cast<double>(s.max));
    out.push_back('\n');
  }
  return out;
}

}  // namespace strata::probe
