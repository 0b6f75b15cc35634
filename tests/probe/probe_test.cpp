// Pure tests of the probes (src/common/probe.hpp): the histogram and its
// quantiles, self-time accounting in a Record, the Server-Timing and
// Prometheus writers checked against independent parsers, and the
// aggregates a committed request lands in.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "common/probe.hpp"
#include "probe/formats.hpp"

namespace strata::test {
namespace {

using probe::Histogram;
using probe::Phase;
using probe::Record;
using probe::Summary;

TEST(ProbeHistogram, EveryValueFallsInsideItsBucket) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values = {0, 1, 7, 8, 9, 15, 16, 17, 1000, 1023, 1024, UINT64_MAX, UINT64_MAX - 1};
  for (int i = 0; i < 10000; ++i) values.push_back(rng() >> (rng() % 64));
  for (uint64_t v : values) {
    const size_t b = Histogram::bucket_of(v);
    ASSERT_LT(b, Histogram::kBuckets) << v;
    EXPECT_LE(Histogram::bucket_low(b), v) << v;
    EXPECT_GE(Histogram::bucket_high(b), v) << v;
  }
}

TEST(ProbeHistogram, BucketsTileTheRangeWithBoundedWidth) {
  for (size_t b = 0; b + 1 < Histogram::kBuckets; ++b) {
    ASSERT_EQ(Histogram::bucket_high(b) + 1, Histogram::bucket_low(b + 1)) << b;
    const uint64_t lo = Histogram::bucket_low(b), width = Histogram::bucket_high(b) - lo + 1;
    // Exact below 8, then at most 1/8 of the bucket's lowest value.
    if (lo < 8) EXPECT_EQ(width, 1u) << b;
    else EXPECT_LE(width * 8, lo) << b;
  }
  EXPECT_EQ(Histogram::bucket_high(Histogram::kBuckets - 1), UINT64_MAX);
}

TEST(ProbeHistogram, QuantilesAreWithinTheBucketError) {
  Histogram h;
  for (uint64_t v = 1; v <= 10000; ++v) h.add(v);
  Summary s;
  s.merge(h);
  EXPECT_EQ(s.count, 10000u);
  EXPECT_EQ(s.sum, 10000u * 10001u / 2);
  EXPECT_EQ(s.max, 10000u);
  EXPECT_DOUBLE_EQ(s.mean(), 5000.5);
  for (double q : {0.5, 0.9, 0.99}) {
    const double want = q * 10000, got = static_cast<double>(s.quantile(q));
    EXPECT_NEAR(got, want, want * 0.0625) << "q=" << q;
  }
  EXPECT_EQ(s.quantile(1.0), 10000u);  // clamped to the largest value seen
}

TEST(ProbeHistogram, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v : {3, 3, 3, 5}) h.add(v);
  Summary s;
  s.merge(h);
  EXPECT_EQ(s.quantile(0.5), 3u);
  EXPECT_EQ(s.quantile(0.75), 3u);
  EXPECT_EQ(s.quantile(0.99), 5u);
}

TEST(ProbeHistogram, EmptyReadsAsZero) {
  Summary s;
  EXPECT_EQ(s.quantile(0.5), 0u);
  EXPECT_EQ(s.mean(), 0.0);
}

TEST(ProbeHistogram, MergingAddsCountsAndKeepsTheMax) {
  Histogram a, b;
  for (int i = 0; i < 100; ++i) a.add(100);
  for (int i = 0; i < 100; ++i) b.add(10000);
  Summary s;
  s.merge(a);
  s.merge(b);
  EXPECT_EQ(s.count, 200u);
  EXPECT_EQ(s.max, 10000u);
  EXPECT_NEAR(static_cast<double>(s.quantile(0.25)), 100, 100 * 0.0625);
  EXPECT_NEAR(static_cast<double>(s.quantile(0.99)), 10000, 10000 * 0.0625);
  Summary t;
  t.merge(s);
  t.merge(s);
  EXPECT_EQ(t.count, 400u);
  a.clear();
  Summary u;
  u.merge(a);
  EXPECT_EQ(u.count, 0u);
}

// ---------------------------------------------------------------- Record

uint64_t at(const Record& r, Phase p) { return r.ticks[static_cast<size_t>(p)]; }

TEST(ProbeRecord, NestedSpansChargeSelfTime) {
  Record r;
  const int parse = r.push(Phase::parse, 0);
  const int app = r.push(Phase::app, 10);
  r.close(app, 30);
  r.close(parse, 50);
  EXPECT_EQ(at(r, Phase::parse), 30u);
  EXPECT_EQ(at(r, Phase::app), 20u);
  EXPECT_EQ(r.depth, 0);
  EXPECT_TRUE(r.has(Phase::parse) && r.has(Phase::app) && !r.has(Phase::route));
}

TEST(ProbeRecord, ASpanClosingUnderAnotherStopsExisting) {
  // A tier's span around starting an app closes while the app's own span
  // (opened inside, still open across a suspension) stays open.
  Record r;
  const int app = r.push(Phase::app, 0);
  const int mw = r.push(Phase::middleware, 10);
  r.close(app, 20);  // not on top: the middleware keeps running
  EXPECT_EQ(r.depth, 2);
  const int body = r.push(Phase::body, 40);
  r.close(body, 45);
  r.close(mw, 60);  // the dead app entry goes with it
  EXPECT_EQ(r.depth, 0);
  EXPECT_EQ(at(r, Phase::app), 10u);
  EXPECT_EQ(at(r, Phase::middleware), 30u + 15u);  // 10-40 and 45-60
  EXPECT_EQ(at(r, Phase::body), 5u);
}

TEST(ProbeRecord, SnapshotCountsTheRunningSpan) {
  Record r;
  r.push(Phase::parse, 0);
  const int h = r.push(Phase::handler, 5);
  const auto snap = r.snapshot(12);
  EXPECT_EQ(snap[static_cast<size_t>(Phase::parse)], 5u);
  EXPECT_EQ(snap[static_cast<size_t>(Phase::handler)], 7u);
  r.close(h, 20);
  EXPECT_EQ(at(r, Phase::handler), 15u);
}

TEST(ProbeRecord, AClockGoingBackwardsCountsZero) {
  Record r;
  const int p = r.push(Phase::parse, 100);
  r.close(p, 90);
  EXPECT_EQ(at(r, Phase::parse), 0u);
}

// ---------------------------------------------------------------- Server-Timing

std::string ms(uint64_t ns) {
  std::string s;
  probe::append_ms(s, ns);
  return s;
}

TEST(ProbeServerTiming, MillisecondsAreExactAndShort) {
  EXPECT_EQ(ms(0), "0");
  EXPECT_EQ(ms(1), "0.000001");
  EXPECT_EQ(ms(3000), "0.003");
  EXPECT_EQ(ms(2100), "0.0021");
  EXPECT_EQ(ms(1'500'000), "1.5");
  EXPECT_EQ(ms(2'000'000), "2");
  EXPECT_EQ(ms(12'345'678'901), "12345.678901");
}

TEST(ProbeServerTiming, PhasesInRequestOrderAndWellFormed) {
  std::array<uint64_t, probe::kPhases> ns{};
  uint32_t seen = 0;
  for (auto [p, v] : {std::pair{Phase::send, 900u}, {Phase::parse, 2100u}, {Phase::route, 0u}, {Phase::handler, 4'200'000u}}) {
    ns[static_cast<size_t>(p)] = v;
    seen |= 1u << static_cast<unsigned>(p);
  }
  std::string out = "x";  // appends
  EXPECT_EQ(probe::append_server_timing(out, ns, seen), 4u);
  EXPECT_EQ(out, "xparse;dur=0.0021, route;dur=0, handler;dur=4.2, send;dur=0.0009");
  std::vector<TimingMetric> metrics;
  std::string why;
  ASSERT_TRUE(parse_server_timing(out.substr(1), metrics, why)) << why;
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[2].name, "handler");
  EXPECT_DOUBLE_EQ(metrics[2].dur, 4.2);
}

TEST(ProbeServerTiming, NothingSeenWritesNothing) {
  std::string out;
  EXPECT_EQ(probe::append_server_timing(out, {}, 0), 0u);
  EXPECT_EQ(out, "");
}

TEST(ProbeServerTiming, TheCheckerRejectsMalformedValues) {
  std::vector<TimingMetric> m;
  std::string why;
  EXPECT_FALSE(parse_server_timing("", m, why));
  EXPECT_FALSE(parse_server_timing("parse;dur=", m, why));
  EXPECT_FALSE(parse_server_timing("parse;dur=-1", m, why));
  EXPECT_FALSE(parse_server_timing("parse dur=1", m, why));
  EXPECT_FALSE(parse_server_timing("parse;dur=1,", m, why));
  EXPECT_TRUE(parse_server_timing("cache;desc=\"Cache Read\";dur=23.2, db", m, why)) << why;
}

TEST(ProbePhases, NamesAreStable) {
  // Published in headers, metrics and docs: changing one breaks users.
  const char* want[] = {"parse", "dispatch", "app",     "middleware", "route", "params",
                        "body",  "depends",  "handler", "serialize",  "send",  "write"};
  ASSERT_EQ(probe::all_phases.size(), std::size(want));
  for (size_t i = 0; i < probe::kPhases; ++i) {
    EXPECT_EQ(probe::name(probe::all_phases[i]), want[i]);
    EXPECT_EQ(static_cast<size_t>(probe::all_phases[i]), i);
  }
}

// ---------------------------------------------------------------- spans, commit, totals

// Each test leaves the global flags off and the totals empty.
class ProbeGlobal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!probe::compiled_in()) GTEST_SKIP() << "probes compiled out";
    probe::clear_totals();
  }
  void TearDown() override {
    probe::set_server_timing(false);
    probe::set_enabled(false);
    probe::clear_totals();
  }
};

TEST_F(ProbeGlobal, SpansAreInertWhileOff) {
  Record r;
  {
    probe::Bind bind(r);
    EXPECT_EQ(probe::current(), nullptr);
    probe::Span s(Phase::parse);
  }
  EXPECT_EQ(r.seen, 0u);
  EXPECT_EQ(probe::read_totals().phases[0].count, 0u);
}

TEST_F(ProbeGlobal, ABoundRequestCollectsItsSpansAndCommitsOnce) {
  ASSERT_TRUE(probe::set_enabled(true));
  Record r;
  {
    probe::Bind bind(r);
    EXPECT_EQ(probe::current(), &r);
    probe::Span outer(Phase::handler);
    {
      probe::Span inner(Phase::serialize);
      probe::Span idle(Phase::app, probe::Span::if_idle);  // something is open: not opened
    }
  }
  EXPECT_EQ(probe::current(), nullptr);
  EXPECT_TRUE(r.has(Phase::handler) && r.has(Phase::serialize) && !r.has(Phase::app));
  EXPECT_EQ(r.depth, 0);
  probe::commit(r);
  const probe::Totals t = probe::read_totals();
  EXPECT_EQ(t.requests, 1u);
  EXPECT_EQ(t.phases[static_cast<size_t>(Phase::handler)].count, 1u);
  EXPECT_EQ(t.phases[static_cast<size_t>(Phase::serialize)].count, 1u);
  EXPECT_EQ(t.phases[static_cast<size_t>(Phase::app)].count, 0u);
}

TEST_F(ProbeGlobal, ASpanWithNoRequestIsRecordedAlone) {
  probe::set_enabled(true);
  {
    probe::Span w(Phase::write);
  }
  const probe::Totals t = probe::read_totals();
  EXPECT_EQ(t.requests, 0u);
  EXPECT_EQ(t.phases[static_cast<size_t>(Phase::write)].count, 1u);
}

TEST_F(ProbeGlobal, OtherThreadsAggregatesAreMergedWhenRead) {
  probe::set_enabled(true);
  auto work = [] {
    for (int i = 0; i < 100; ++i) {
      Record r;
      {
        probe::Bind bind(r);
        probe::Span s(Phase::parse);
      }
      probe::commit(r);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  const probe::Totals t = probe::read_totals();
  EXPECT_EQ(t.requests, 200u);
  EXPECT_EQ(t.phases[0].count, 200u);
}

TEST_F(ProbeGlobal, AMutedThreadRecordsNothing) {
  probe::set_enabled(true);
  std::thread([] {
    probe::mute_this_thread();
    Record r;
    {
      probe::Bind bind(r);
      probe::Span s(Phase::parse);
    }
    probe::commit(r);
    probe::Span w(Phase::write);
  }).join();
  EXPECT_EQ(probe::read_totals().requests, 0u);
}

TEST_F(ProbeGlobal, ServerTimingImpliesEnabled) {
  ASSERT_TRUE(probe::set_server_timing(true));
  EXPECT_TRUE(probe::enabled());
  EXPECT_TRUE(probe::server_timing());
  probe::set_enabled(false);
  EXPECT_FALSE(probe::server_timing());
}

TEST_F(ProbeGlobal, TheClockAdvancesAndConverts) {
  probe::set_enabled(true);  // calibrates
  const uint64_t a = probe::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const uint64_t ns = probe::to_ns(probe::now() - a);
  EXPECT_GE(ns, 1'500'000u);
  EXPECT_LT(ns, 2'000'000'000u);
}

TEST_F(ProbeGlobal, PrometheusExpositionParsesAndCounts) {
  probe::set_enabled(true);
  for (int i = 0; i < 7; ++i) {
    Record r;
    {
      probe::Bind bind(r);
      probe::Span s(Phase::parse);
      probe::Span h(Phase::handler);
    }
    probe::commit(r);
  }
  const std::string text = probe::format_prometheus(probe::read_totals());
  std::map<std::string, double> samples;
  std::string why;
  ASSERT_TRUE(parse_prometheus(text, samples, why)) << why << "\n" << text;
  EXPECT_EQ(samples["strata_requests_total"], 7);
  EXPECT_EQ(samples["strata_phase_seconds_count{phase=\"parse\"}"], 7);
  EXPECT_EQ(samples["strata_phase_seconds_count{phase=\"handler\"}"], 7);
  EXPECT_TRUE(samples.count("strata_phase_seconds{phase=\"handler\",quantile=\"0.99\"}"));
  EXPECT_TRUE(samples.count("strata_phase_max_seconds{phase=\"parse\"}"));
  EXPECT_FALSE(samples.count("strata_phase_seconds_count{phase=\"route\"}"));  // no samples, no series

  const std::string table = probe::format_table(probe::read_totals());
  EXPECT_NE(table.find("requests: 7"), std::string::npos) << table;
  EXPECT_NE(table.find("\nparse "), std::string::npos) << table;
  EXPECT_NE(table.find("\nhandler "), std::string::npos) << table;
}

TEST(ProbePrometheusChecker, RejectsWhatPrometheusWould) {
  std::map<std::string, double> s;
  std::string why;
  EXPECT_FALSE(parse_prometheus("x 1", s, why));                        // no final newline
  EXPECT_FALSE(parse_prometheus("# TYPE x counter\nx one\n", s, why));  // bad value
  EXPECT_FALSE(parse_prometheus("x 1\n", s, why));                      // no TYPE
  EXPECT_FALSE(parse_prometheus("# TYPE x counter\nx{a=b} 1\n", s, why));
  EXPECT_TRUE(parse_prometheus("# HELP x a thing\n# TYPE x counter\nx{a=\"b\"} 1\n", s, why)) << why;
}

}  // namespace
}  // namespace strata::test
