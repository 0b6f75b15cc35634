// Probes: where one request's time goes, phase by phase, in every tier.
//
// Each tier marks its own phases with a scoped Span:
//
//   strata::probe::Span s(strata::probe::Phase::body);   // until end of scope
//
// A Span charges its *self* time to its phase: while a Span is open inside
// another (on the same request), the outer one's clock is paused. The
// phases of a request therefore add up to the time the request spent in
// instrumented code, and nothing is counted twice. Spans may stay open
// across co_await: each request has its own Record (below), so requests
// that interleave on one loop thread do not disturb each other's stacks,
// and while a request's app is suspended (waiting for body bytes, or for
// the thread pool) the time goes to its innermost open span. Spans of one
// request need not close in LIFO order: a span that closes under others
// just stops existing, and the time keeps going to the innermost one.
//
// Using it from a tier:
//  - Tiers 1-2 own each request's Record, Bind it around every entry into
//    the request's code (parsing, starting the app, resuming it), read it
//    for Server-Timing when the response head is written, and commit() it
//    when the request is done. Tiers 3-4 only open Spans.
//  - A thread-pool hop: the job runs on another thread, and the loop
//    resumes the coroutine from the executor, outside the tier's Bind. Take
//    `Record* r = probe::current()` before the co_await, `probe::Bind b(r)`
//    inside the job, and `probe::Bind b(r)` again after the co_await, so
//    spans opened there still belong to the request.
//
// Cost. Off (the default): a Span is one load of a global flag and one
// predictable branch, plus clearing and testing its own pointer; Bind the
// same. Compiled out (CMake option
// STRATA_PROBES=OFF, which defines STRATA_PROBES=0): nothing at all. On:
// two clock reads per Span and a few stores into the request's Record.
// The clock is the TSC (rdtsc), calibrated against CLOCK_MONOTONIC when
// probes are first enabled, where the CPU's TSC is constant and
// non-stopping; elsewhere CLOCK_MONOTONIC through the vDSO, about twice
// as slow. docs/where-the-time-goes.md gives the measured cost per span.
// Nothing allocates per sample; each thread allocates its aggregates once,
// on its first span.
//
// Phase names are stable: they appear in Server-Timing headers, in the
// /metrics exposition and in `strata profile`, and scripts may depend on them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#ifndef STRATA_PROBES
#define STRATA_PROBES 1
#endif

namespace strata::probe {

// In the order a request meets them.
enum class Phase : uint8_t {
  parse,       // tier 1: framing the request; tier 2: llhttp parsing head and body
  dispatch,    // tier 2: building the Scope and handing the request to the app (ASGI call)
  app,         // tiers 1-2: the application's own time not claimed by a finer phase
               // (raw and http tiers: the workload)
  middleware,  // tier 3: the middleware stack, on the way in and on the way out
  route,       // tier 3: matching the path and method against the route tree
  params,      // tier 4: extracting and converting path, query and header parameters
  body,        // tier 4: reading, decoding and validating the request body
  depends,     // tier 4: resolving dependencies
  handler,     // tiers 3-4: the endpoint itself (tier 3: Request, user function, Response)
  serialize,   // tier 4: turning the returned model into the response body
  send,        // tiers 1-2: serializing status line, headers and body into the output buffer
  write,       // tiers 1-2: handing the output to the kernel; one sample per write, which
               // may carry several pipelined responses (a span with no request; see Span)
};
inline constexpr size_t kPhases = 12;

// "parse", "dispatch", ... as listed above.
std::string_view name(Phase p);
inline constexpr std::array<Phase, kPhases> all_phases = {
    Phase::parse, Phase::dispatch, Phase::app,     Phase::middleware, Phase::route,     Phase::params,
    Phase::body,  Phase::depends,  Phase::handler, Phase::serialize,  Phase::send,      Phase::write};

namespace detail {
extern bool enabled_flag;
extern bool server_timing_flag;
}

#if STRATA_PROBES
// True while probes are on. The branch every Span costs when they are off.
inline bool enabled() { return __builtin_expect(detail::enabled_flag, false); }
// True when responses carry a Server-Timing header (implies enabled()).
inline bool server_timing() { return __builtin_expect(detail::server_timing_flag, false); }
#else
constexpr bool enabled() { return false; }
constexpr bool server_timing() { return false; }
#endif

// Turn probes, and the Server-Timing header, on or off for the whole
// process. Call them before serving or between measured runs, never while
// requests are in flight (a request must see the flags constant from its
// first span to its commit). set_server_timing(true) also enables probes.
// Both return false, and change nothing, when probes are compiled out.
bool set_enabled(bool on);
bool set_server_timing(bool on);
constexpr bool compiled_in() { return STRATA_PROBES != 0; }

// The probe clock, in ticks: TSC cycles, or nanoseconds when the TSC is
// not usable. Records hold ticks; to_ns() converts a duration.
uint64_t now();
uint64_t to_ns(uint64_t ticks);
// "tsc" or "clock_gettime": which clock now() reads.
std::string_view clock_name();

// One request's phase times. Owned by whoever owns the request (tier 1-2:
// embedded in the connection's protocol object; no allocation), made
// current on the thread that runs the request's code with Bind.
struct Record {
  static constexpr int kMaxDepth = 16;  // deeper spans are not recorded

  struct Open {
    Phase phase;
    bool live;  // false: its span closed while others above it were open
  };

  std::array<uint64_t, kPhases> ticks{};  // self time so far, per phase (probe clock ticks)
  uint32_t seen = 0;                   // bit (1 << phase) for each phase that had a span
  // The stack of open spans. The top one is always live, and its clock
  // runs since `mark`.
  std::array<Open, kMaxDepth> stack{};
  int depth = 0;
  uint64_t mark = 0;

  void reset() { *this = Record{}; }
  bool has(Phase p) const { return seen & (1u << static_cast<unsigned>(p)); }
  // The phase times as of `now`, counting the open top span's time so far:
  // what a response head written mid-request reports. In ticks.
  std::array<uint64_t, kPhases> snapshot(uint64_t now) const;
  // The same as of now, in nanoseconds.
  std::array<uint64_t, kPhases> elapsed_ns() const;

  // What Span does; exposed for tests. push returns the entry's index.
  int push(Phase p, uint64_t now);
  void close(int index, uint64_t now);
};

// The Record current on this thread (null if none).
Record* current();

// Makes `r` the current Record on this thread for its lifetime, restoring
// the previous one after. The tiers bind a request's Record around every
// entry into its code: parsing, starting the app, resuming it. Costs one
// branch when probes are off.
class Bind {
 public:
#if STRATA_PROBES
  explicit Bind(Record& r) {
    if (enabled()) bind(r);
  }
  // Binds nothing when `r` is null (a request taken with probes off).
  explicit Bind(Record* r) {
    if (enabled() && r) bind(*r);
  }
  ~Bind() {
    if (bound_) unbind();
  }
#else
  explicit Bind(Record&) {}
  explicit Bind(Record*) {}
#endif
  Bind(const Bind&) = delete;
  Bind& operator=(const Bind&) = delete;

 private:
  void bind(Record& r);
  void unbind();
  Record* prev_ = nullptr;
  bool bound_ = false;
};

// A scoped phase marker. With no current Record (a thread-pool thread, the
// write that follows a batch of responses), the span is recorded straight
// into this thread's aggregates when the outermost such span closes.
class Span {
 public:
  // For a tier's span around re-entering app code: opened only if no span
  // of the current request is open. Resuming an app that suspended inside
  // its own spans continues the innermost of those instead.
  enum Mode { always, if_idle };
#if STRATA_PROBES
  explicit Span(Phase p, Mode m = always) {
    if (enabled()) open(p, m);
  }
  ~Span() {
    if (rec_) close();
  }
  // Closes the span before the end of its scope (a phase that hands over
  // to the next one midway through a function).
  void end() {
    if (rec_) close();
    rec_ = nullptr;
  }
#else
  explicit Span(Phase, Mode = always) {}
  void end() {}
#endif
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;

 private:
  void open(Phase p, Mode m);
  void close();
  Record* rec_ = nullptr;
  int index_;  // set by open()
};

// The request is done: adds its phases to this thread's aggregates and
// counts one request. Call it once per request, after its last span
// closed; it leaves `r` as it was (reset it for the next request).
void commit(const Record& r);

// Stops this thread from recording anything (the admin server's own
// requests must not show up in the metrics it serves).
void mute_this_thread();

// For the instruction profiler (`strata profile --instructions`), which
// counts instructions per phase by switching callgrind's collection on
// and off: called as a span opens or closes, with the phase now running,
// or -1 when none is. It is called with -1 on entry to the probe's own
// code and with the new innermost phase on exit, so the probe's
// bookkeeping (clock reads included) is charged to no phase. Null by
// default (a branch, with probes on only). Set it with no request in flight.
using TopHook = void (*)(int phase);
void set_top_hook(TopHook hook);

// ---------------------------------------------------------------- Server-Timing

// Appends the W3C Server-Timing value for the phases `seen` has, in Phase
// order, durations in milliseconds written exactly from nanoseconds:
// "parse;dur=0.0021, dispatch;dur=0.00035, app;dur=0.0042". No allocation
// beyond `out`'s growth. Returns the number of entries written.
size_t append_server_timing(std::string& out, const std::array<uint64_t, kPhases>& ns, uint32_t seen);
// Milliseconds from nanoseconds, exact, trailing zeros trimmed: 3000 -> "0.003", 0 -> "0".
void append_ms(std::string& out, uint64_t ns);

// ---------------------------------------------------------------- aggregates

// A log-bucketed histogram of nanosecond values: exact below 8, then 8
// buckets per power of two, so a reported quantile is within 6.25% of the
// true value. Fixed size, no allocation per sample. One writer thread;
// readers on other threads see a consistent-enough view (relaxed atomics,
// which compile to plain loads and stores on x86).
class Histogram {
 public:
  static constexpr int kSubBits = 3;
  static constexpr size_t kBuckets = (64 - kSubBits + 1) << kSubBits;  // covers all of uint64_t
  static size_t bucket_of(uint64_t v);
  static uint64_t bucket_low(size_t b);   // smallest value in bucket b
  static uint64_t bucket_high(size_t b);  // largest value in bucket b

  void add(uint64_t v);  // owner thread only
  void clear();          // while no thread adds

 private:
  friend struct Summary;
  std::atomic<uint64_t> count_{0}, sum_{0}, max_{0};
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
};

// A plain copy of one or more histograms, merged, and what is read from it.
struct Summary {
  uint64_t count = 0, sum = 0, max = 0;
  std::array<uint64_t, Histogram::kBuckets> buckets{};

  void merge(const Histogram& h);
  void merge(const Summary& s);
  double mean() const { return count ? static_cast<double>(sum) / static_cast<double>(count) : 0.0; }
  // The q-quantile (0 < q <= 1): the middle of the bucket holding it,
  // clamped to max; the maximum itself when q selects the last sample.
  // 0 when empty.
  uint64_t quantile(double q) const;
};

// Every thread's aggregates merged: what the stop table and /metrics show.
struct Totals {
  uint64_t requests = 0;
  std::array<Summary, kPhases> phases{};
};
Totals read_totals();
// Forgets every thread's aggregates (between measured runs; no request in flight).
void clear_totals();

// A fixed-width table, one row per phase with samples:
// phase, count, mean, p50, p90, p99, max (microseconds).
std::string format_table(const Totals& t);
// Prometheus text exposition format 0.0.4: strata_requests_total, and per
// phase a summary strata_phase_seconds{phase=...} (quantiles 0.5, 0.9,
// 0.99, _sum, _count) plus a gauge strata_phase_max_seconds.
std::string format_prometheus(const Totals& t);

}  // namespace strata::probe
