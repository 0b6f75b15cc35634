// Pure tests of the benchmark harness: wrk's report, /proc/PID/stat, the
// statistics and decay, scripts, seed 004's routes and their --delay and
// --work, CPU lists, the answer check's response parser and the report
// renderers. No process, no socket.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cmath>
#include <limits>
#include <string>

#include "harness/check.hpp"
#include "harness/process.hpp"
#include "harness/procstat.hpp"
#include "harness/report.hpp"
#include "harness/results.hpp"
#include "harness/scenario.hpp"
#include "harness/stats.hpp"
#include "harness/counters.hpp"
#include "harness/wrk.hpp"

namespace strata::bench {
namespace {

// ------------------------------------------------------------------ perf stat

// `perf stat -x, -e raw_syscalls:sys_enter,syscalls:sys_enter_read,...`
// as perf 6 prints it on SIGINT: count, unit, event, run time, percentage.
TEST(PerfStat, ReadsTheTotalAndEachNamedCall) {
  const std::string text =
      "300412,,raw_syscalls:sys_enter,2975996372,100.00,,\n"
      "100000,,syscalls:sys_enter_read,2975981020,100.00,,\n"
      "100000,,syscalls:sys_enter_write,2975968011,100.00,,\n"
      "412,,syscalls:sys_enter_futex,2975955032,100.00,,\n"
      "0,,syscalls:sys_enter_io_uring_enter,2975940210,100.00,,\n"
      "100000,,syscalls:sys_enter_epoll_wait,2975930000,100.00,,\n";
  std::string error;
  const auto c = parse_perf_stat_csv(text, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->total, 300412u);
  auto count = [&](const std::string& name) {
    for (const auto& [n, v] : c->by_name)
      if (n == name) return v;
    ADD_FAILURE() << name << " not listed";
    return uint64_t{0};
  };
  EXPECT_EQ(count("read"), 100000u);
  EXPECT_EQ(count("write"), 100000u);
  EXPECT_EQ(count("futex"), 412u);
  EXPECT_EQ(count("sendto"), 0u);  // not in the output: none
  EXPECT_EQ(c->by_name.size(), counted_syscalls().size());
  // Most frequent first; below 0.005 per request left out; ties keep their order.
  EXPECT_EQ(describe_per_request(*c, 100000), "read 1.00, write 1.00, epoll_wait 1.00");
  EXPECT_EQ(describe_per_request(*c, 0), "");
}

TEST(PerfStat, AnUncountedTotalIsAnError) {
  std::string error;
  EXPECT_FALSE(parse_perf_stat_csv("<not counted>,,raw_syscalls:sys_enter,0,0.00,,\n", error));
  EXPECT_NE(error.find("raw_syscalls:sys_enter"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(parse_perf_stat_csv("", error));
  EXPECT_FALSE(error.empty());
  error.clear();
  // perf's own remarks around the counts are not counts.
  const auto c = parse_perf_stat_csv("# started on Mon\n\n7,,raw_syscalls:sys_enter,1,100.00,,\n", error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->total, 7u);
}

TEST(ProfileInstructions, ReadsTheTiersLine) {
  const std::string out =
      "tier http: 457 ns/request with probes off, 635 ns/request with probes on\n"
      "tier http: 7,159 instructions/request\n"
      "  phase          instr/req    share\n"
      "tier    instr/request   + vs above    x raw\n"
      "http            7,159                  1.00\n";
  std::string error;
  const auto n = parse_profile_instructions(out, "http", error);
  ASSERT_TRUE(n) << error;
  EXPECT_EQ(*n, 7159);
  EXPECT_FALSE(parse_profile_instructions(out, "typed", error));
  EXPECT_NE(error.find("tier typed: "), std::string::npos) << error;
  EXPECT_FALSE(parse_profile_instructions("tier raw: many instructions/request\n", "raw", error));
  EXPECT_FALSE(parse_profile_instructions("xtier raw: 12 instructions/request\n", "raw", error));
}

TEST(PerfStat, EventsNameTheTotalThenEachCall) {
  const std::string events = perf_syscall_events();
  EXPECT_EQ(events.rfind("raw_syscalls:sys_enter,", 0), 0u);
  for (const auto& n : counted_syscalls())
    EXPECT_NE(events.find(",syscalls:sys_enter_" + n), std::string::npos) << n;
}

// ------------------------------------------------------------------ wrk

// Seed 003's axum run, with --latency and an errors line added.
constexpr const char* kSeedReport = R"(Running 10s test @ http://localhost:8000/user
  2 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   141.10us   28.93us 508.00us   71.74%
    Req/Sec    34.24k   487.51    35.74k    76.73%
  Latency Distribution
     50%  139.00us
     75%  155.00us
     90%    1.31ms
     99%    2.50s
  688132 requests in 10.10s, 101.72MB read
  Socket errors: connect 1, read 22, write 3, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:  68133.61
Transfer/sec:     10.07MB
)";

TEST(WrkReport, ReadsEveryFigure) {
  std::string error;
  auto r = parse_wrk_report(kSeedReport, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->requests, 688132u);
  EXPECT_DOUBLE_EQ(r->duration_s, 10.10);
  EXPECT_DOUBLE_EQ(r->rps, 68133.61);
  EXPECT_DOUBLE_EQ(r->latency_avg_us, 141.10);
  EXPECT_DOUBLE_EQ(r->latency_max_us, 508.0);
  EXPECT_DOUBLE_EQ(r->bytes_read, 101.72 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(r->transfer_per_s, 10.07 * 1024 * 1024);
  EXPECT_TRUE(r->has_distribution);
  EXPECT_DOUBLE_EQ(r->p50_us, 139.0);
  EXPECT_DOUBLE_EQ(r->p75_us, 155.0);
  EXPECT_DOUBLE_EQ(r->p90_us, 1310.0);
  EXPECT_DOUBLE_EQ(r->p99_us, 2.5e6);
  EXPECT_EQ(r->errors_connect, 1u);
  EXPECT_EQ(r->errors_read, 22u);
  EXPECT_EQ(r->errors_write, 3u);
  EXPECT_EQ(r->errors_timeout, 4u);
  EXPECT_EQ(r->socket_errors(), 30u);
  EXPECT_EQ(r->non2xx, 12u);
}

TEST(WrkReport, BytesInEachOfWrksUnits) {
  EXPECT_EQ(parse_wrk_bytes("512.00B"), 512.0);
  EXPECT_EQ(parse_wrk_bytes("285.95KB"), 285.95 * 1024);
  EXPECT_EQ(parse_wrk_bytes(" 8.39MB "), 8.39 * 1024 * 1024);
  EXPECT_EQ(parse_wrk_bytes("1.50GB"), 1.5 * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_wrk_bytes("2.00TB"), 2.0 * 1024 * 1024 * 1024 * 1024);
  for (const char* bad : {"", "B", "12", "12KiB", "-1.00KB", "1.0XB", "MB"}) EXPECT_FALSE(parse_wrk_bytes(bad)) << bad;
}

TEST(WrkReport, CleanRunHasNoErrors) {
  const char* text =
      "Running 1s test @ http://127.0.0.1:40000/user\n"
      "  1 threads and 10 connections\n"
      "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
      "    Latency    92.76us   33.30us 523.00us   71.90%\n"
      "    Req/Sec    52.70k     8.19k   91.82k    69.65%\n"
      "  Latency Distribution\n"
      "     50%   88.00us\n"
      "     75%  101.00us\n"
      "     90%  120.00us\n"
      "     99%  211.00us\n"
      "  52180 requests in 1.00s, 7.07MB read\n"
      "Requests/sec:  52164.37\n"
      "Transfer/sec:      7.06MB\n";
  std::string error;
  auto r = parse_wrk_report(text, error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->requests, 52180u);
  EXPECT_EQ(r->socket_errors(), 0u);
  EXPECT_EQ(r->non2xx, 0u);
  EXPECT_DOUBLE_EQ(r->p99_us, 211.0);
}

TEST(WrkReport, WithoutLatencyFlagHasNoDistribution) {
  // Seed 004's slow run: seconds everywhere, no --latency block.
  const char* text =
      "Running 15s test @ http://127.0.0.1:8000/fastapi/async_slowest/\n"
      "  4 threads and 100 connections\n"
      "    Latency     6.04s     2.68s   12.07s    75.00%\n"
      "  12 requests in 15.04s, 1.97KB read\n"
      "Requests/sec:      0.80\n";
  std::string error;
  auto r = parse_wrk_report(text, error);
  ASSERT_TRUE(r) << error;
  EXPECT_FALSE(r->has_distribution);
  EXPECT_EQ(r->requests, 12u);
  EXPECT_DOUBLE_EQ(r->rps, 0.80);
  EXPECT_DOUBLE_EQ(r->latency_avg_us, 6.04e6);
  EXPECT_DOUBLE_EQ(r->duration_s, 15.04);
}

TEST(WrkReport, MissingSummaryIsAnError) {
  std::string error;
  EXPECT_FALSE(parse_wrk_report("unable to connect to 127.0.0.1:1 Connection refused\n", error));
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_FALSE(parse_wrk_report("  10 requests in 1.00s, 1KB read\n", error));  // no Requests/sec
  EXPECT_NE(error.find("Requests/sec"), std::string::npos);
}

TEST(WrkReport, MalformedErrorLineIsAnError) {
  std::string error;
  std::string text = "  10 requests in 1.00s, 1KB read\n  Socket errors: connect x, read 0\nRequests/sec: 10.00\n";
  EXPECT_FALSE(parse_wrk_report(text, error));
  EXPECT_NE(error.find("Socket errors"), std::string::npos) << error;
}

TEST(WrkTime, Units) {
  EXPECT_DOUBLE_EQ(*parse_wrk_time_us("141.10us"), 141.10);
  EXPECT_DOUBLE_EQ(*parse_wrk_time_us("1.31ms"), 1310.0);
  EXPECT_DOUBLE_EQ(*parse_wrk_time_us("6.04s"), 6.04e6);
  EXPECT_DOUBLE_EQ(*parse_wrk_time_us("1.50m"), 90e6);
  EXPECT_DOUBLE_EQ(*parse_wrk_time_us("2.00h"), 7200e6);
  EXPECT_DOUBLE_EQ(*parse_wrk_time_us("0.00us"), 0.0);
  EXPECT_FALSE(parse_wrk_time_us("12"));
  EXPECT_FALSE(parse_wrk_time_us("us"));
  EXPECT_FALSE(parse_wrk_time_us("1.2ks"));
  EXPECT_FALSE(parse_wrk_time_us("-1ms"));
  EXPECT_FALSE(parse_wrk_time_us(""));
}

TEST(WrkVersion, Parses) {
  EXPECT_EQ(parse_wrk_version("wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer\nUsage: ..."),
            "debian/4.1.0-3+b2");
  EXPECT_EQ(parse_wrk_version("wrk 4.2.0 [epoll]"), "4.2.0");
  EXPECT_EQ(parse_wrk_version("something else"), "");
}

TEST(WrkScript, PostLikeSeed003) {
  const Scenario* s = find_scenario("user");
  ASSERT_NE(s, nullptr);
  const std::string script = wrk_script(s->routes[0], 1);
  EXPECT_NE(script.find("wrk.method = \"POST\""), std::string::npos) << script;
  EXPECT_NE(script.find("wrk.path = \"/user\""), std::string::npos) << script;
  EXPECT_NE(script.find(R"(wrk.body = "{\"id\": 1, \"name\": \"user\", \"email\": \"user@email.com\"}")"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("wrk.headers[\"Content-Type\"] = \"application/json\""), std::string::npos) << script;
  EXPECT_EQ(script.find("request = function"), std::string::npos) << script;
}

TEST(WrkScript, PipelinedBuildsSixteenRequestsInInit) {
  const Scenario* s = find_scenario("pipelined");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->pipeline_depth, 16);
  const std::string script = wrk_script(s->routes[0], s->pipeline_depth);
  EXPECT_NE(script.find("init = function"), std::string::npos) << script;
  EXPECT_NE(script.find("for i = 1, 16 do"), std::string::npos) << script;
  EXPECT_NE(script.find("wrk.format()"), std::string::npos) << script;
  EXPECT_NE(script.find("table.concat"), std::string::npos) << script;
  EXPECT_NE(script.find("request = function()"), std::string::npos) << script;
  EXPECT_NE(script.find("wrk.path = \"/\""), std::string::npos) << script;
  EXPECT_EQ(script.find("wrk.body"), std::string::npos) << script;
}

TEST(WrkScript, LuaQuoting) {
  EXPECT_EQ(lua_quote("a\"b\\c\n\r\t"), "\"a\\\"b\\\\c\\n\\r\\t\"");
  EXPECT_EQ(lua_quote(std::string("\x01", 1)), "\"\\001\"");
  EXPECT_EQ(lua_quote("J\xc3\xbcrgen"), "\"J\xc3\xbcrgen\"");  // UTF-8 passes through
}

TEST(Scenarios, KnownNames) {
  auto names = scenario_names();
  EXPECT_EQ(names, (std::vector<std::string>{"user", "hello", "root", "pipelined", "concurrency", "contacts", "contacts-one",
                                             "contacts-types", "contacts-version", "contacts-digest"}));
  for (const char* db : {"contacts", "contacts-one", "contacts-types", "contacts-version", "contacts-digest"}) {
    EXPECT_TRUE(find_scenario(db)->database) << db;
    EXPECT_TRUE(find_scenario(db)->routes[0].json_equivalent) << db;
  }
  EXPECT_FALSE(find_scenario("user")->database);
  EXPECT_EQ(find_scenario("nope"), nullptr);
  EXPECT_EQ(find_scenario("hello")->routes[0].target, "/index?name=strata");
  EXPECT_EQ(find_scenario("hello")->routes[0].expected_body, "Hello strata");
  EXPECT_EQ(find_scenario("user")->routes[0].expected_body, R"({"id":1,"name":"user","email":"user@email.com"})");
  EXPECT_TRUE(find_scenario("concurrency")->typed_only);
  EXPECT_EQ(find_scenario("concurrency")->connections, 100);
}

// ------------------------------------------------------------------ seed 004's routes, --delay, --work

TEST(Load, DefaultsAreTheSeeds) {
  const Load load;
  EXPECT_EQ(load.delay_s, 1.0);
  EXPECT_EQ(load.work, 5000000);
  const Scenario* s = find_scenario("concurrency");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->takes_load);
  ASSERT_EQ(s->routes.size(), 11u);  // FastAPI's seven, then Flask's two and Go's two
  EXPECT_EQ(s->routes[0].target, "/fastapi/async_slowest/?delay=1");
  EXPECT_EQ(s->routes[4].target, "/fastapi/sync_cpu_bound/?n=5000000");
  EXPECT_EQ(s->routes[4].expected_body, R"({"data":5000000,"message":"sync mode cpu operation"})");
}

TEST(Load, EverySeedRouteWithItsQueryAndAnswer) {
  const auto routes = concurrency_routes(Load{0.01, 1000});
  struct Want {
    const char *label, *target, *body, *what, *waits_on, *knob, *framework = "";
  };
  const Want want[] = {
      {"async_slowest", "/fastapi/async_slowest/?delay=0.01", R"({"message":"async mode but use sync sleep"})",
       "blocking sleep in async handler", "loop", "delay"},
      {"async_sleep_in_thread", "/fastapi/async_sleep_in_thread/?delay=0.01",
       R"({"message":"sleep run in thread pool"})", "async handler awaits a sleep sent to the pool", "pool", "delay"},
      {"async_sleep", "/fastapi/async_sleep/?delay=0.01", R"({"message":"async mode sleep"})",
       "async handler awaits a timer", "loop", "delay"},
      {"sync", "/fastapi/sync/?delay=0.01", R"({"message":"sync, but run in thread pool"})",
       "sync handler sleeps, run on the pool", "pool", "delay"},
      {"sync_cpu_bound", "/fastapi/sync_cpu_bound/?n=1000", R"({"data":1000,"message":"sync mode cpu operation"})",
       "CPU loop in sync handler, run on the pool", "pool", "n"},
      {"async_cpu_bound", "/fastapi/async_cpu_bound/?n=1000", R"({"data":1000,"message":"async mode cpu operation"})",
       "async handler awaits a CPU loop sent to the pool", "pool", "n"},
      {"async_cpu_bound_slow", "/fastapi/async_cpu_bound_slow/?n=1000",
       R"({"message":"sync mode operation but run in async mode"})", "CPU loop inline in async handler", "loop", "n"},
      // The seed's other stacks, each serving its own routes.
      {"flask/sync_cpu_bound", "/flask/sync_cpu_bound/?n=1000", R"({"data":1000,"message":"sync mode cpu operation"})",
       "sync worker waits for a CPU loop in a process pool", "process pool", "n", "flask"},
      {"flask/sync_cpu_bound_slow", "/flask/sync_cpu_bound_slow/?n=1000",
       R"({"message":"sync mode operation but pretend to run in async mode"})", "CPU loop in the sync worker", "worker",
       "n", "flask"},
      {"go/sync", "/go/sync/?delay=0.01", R"({"message":"sync sleep in handler"})",
       "handler sleeps in its connection's goroutine", "goroutine", "delay", "go"},
      {"go/async_sleep_in_thread", "/go/async_sleep_in_thread/?delay=0.01", R"({"message":"sleep started in a goroutine"})",
       "handler starts a sleeping goroutine and answers at once", "goroutine", "delay", "go"},
  };
  ASSERT_EQ(routes.size(), std::size(want));
  for (size_t i = 0; i < routes.size(); ++i) {
    SCOPED_TRACE(want[i].label);
    EXPECT_EQ(routes[i].label, want[i].label);
    EXPECT_EQ(routes[i].method, "GET");
    EXPECT_EQ(routes[i].target, want[i].target);
    EXPECT_EQ(routes[i].expected_body, want[i].body);
    EXPECT_EQ(routes[i].what, want[i].what);
    EXPECT_EQ(routes[i].waits_on, want[i].waits_on);
    EXPECT_EQ(routes[i].knob, want[i].knob);
    EXPECT_EQ(routes[i].framework, want[i].framework);
    // Flask's and Go's JSON writers end with a newline: compared by meaning.
    EXPECT_EQ(routes[i].json_equivalent, !routes[i].framework.empty());
    EXPECT_TRUE(routes[i].body.empty());
    EXPECT_TRUE(routes[i].content_type.empty());
  }
}

TEST(Load, ZeroAndLargestValues) {
  auto routes = concurrency_routes(Load{0, 0});
  EXPECT_EQ(routes[2].target, "/fastapi/async_sleep/?delay=0");
  EXPECT_EQ(routes[5].target, "/fastapi/async_cpu_bound/?n=0");
  EXPECT_EQ(routes[5].expected_body, R"({"data":0,"message":"async mode cpu operation"})");
  routes = concurrency_routes(Load{kMaxDelayS, kMaxWork});
  EXPECT_EQ(routes[3].target, "/fastapi/sync/?delay=60");
  EXPECT_EQ(routes[4].expected_body, R"({"data":1000000000,"message":"sync mode cpu operation"})");
}

TEST(Load, DelayTextReadsBackTheSame) {
  EXPECT_EQ(format_delay(1), "1");
  EXPECT_EQ(format_delay(0), "0");
  EXPECT_EQ(format_delay(0.01), "0.01");
  EXPECT_EQ(format_delay(2.5), "2.5");
  EXPECT_EQ(format_delay(60), "60");
  EXPECT_EQ(format_delay(0.00001), "0.00001");  // never "1e-05"
  EXPECT_EQ(format_delay(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(std::stod(format_delay(0.1 + 0.2)), 0.1 + 0.2);
}

TEST(Load, RangeChecks) {
  EXPECT_EQ(check_load(Load{}), "");
  EXPECT_EQ(check_load(Load{0, 0}), "");
  EXPECT_EQ(check_load(Load{60, 1000000000}), "");
  EXPECT_EQ(check_load(Load{0.001, 1}), "");
  auto bad_delay = [](double d) {
    const std::string why = check_load(Load{d, 1000});
    EXPECT_EQ(why.rfind("--delay ", 0), 0u) << why;
    EXPECT_NE(why.find("0 to 60 seconds"), std::string::npos) << why;
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  };
  bad_delay(60.001);
  bad_delay(-0.5);
  bad_delay(std::numeric_limits<double>::quiet_NaN());
  bad_delay(std::numeric_limits<double>::infinity());
  EXPECT_EQ(check_load(Load{61, 1000}),
            "--delay 61 is out of range: the handlers sleep 0 to 60 seconds (seed 004: 1)");
  auto bad_work = [](long long n) {
    const std::string why = check_load(Load{1, n});
    EXPECT_EQ(why.rfind("--work ", 0), 0u) << why;
    EXPECT_NE(why.find("0 to 1000000000"), std::string::npos) << why;
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  };
  bad_work(-1);
  bad_work(1000000001);
  EXPECT_EQ(check_load(Load{1, -1}),
            "--work -1 is out of range: the handlers count 0 to 1000000000 (seed 004: 5000000)");
}

TEST(Load, OnlyTheConcurrencyScenarioTakesIt) {
  const Load load{0.25, 42};
  for (const auto& name : scenario_names()) {
    const Scenario* s = find_scenario(name);
    const Scenario loaded = with_load(*s, load);
    ASSERT_EQ(loaded.routes.size(), s->routes.size()) << name;
    EXPECT_EQ(loaded.name, s->name);
    EXPECT_EQ(loaded.connections, s->connections);
    for (size_t i = 0; i < s->routes.size(); ++i) {
      if (!s->takes_load) {
        EXPECT_EQ(loaded.routes[i].target, s->routes[i].target) << name;
        EXPECT_EQ(loaded.routes[i].expected_body, s->routes[i].expected_body) << name;
      } else {
        EXPECT_EQ(loaded.routes[i].target, concurrency_routes(load)[i].target);
        EXPECT_EQ(loaded.routes[i].expected_body, concurrency_routes(load)[i].expected_body);
      }
    }
  }
  EXPECT_EQ(with_load(*find_scenario("concurrency"), load).routes[1].target,
            "/fastapi/async_sleep_in_thread/?delay=0.25");
  EXPECT_EQ(with_load(*find_scenario("concurrency"), load).routes[5].expected_body,
            R"({"data":42,"message":"async mode cpu operation"})");
}

TEST(WrkScript, ConcurrencyPathCarriesTheQuery) {
  const auto routes = concurrency_routes(Load{0.01, 1000});
  std::string script = wrk_script(routes[3], 1);
  EXPECT_NE(script.find("wrk.method = \"GET\""), std::string::npos) << script;
  EXPECT_NE(script.find("wrk.path = \"/fastapi/sync/?delay=0.01\""), std::string::npos) << script;
  EXPECT_EQ(script.find("wrk.body"), std::string::npos) << script;
  EXPECT_EQ(script.find("Content-Type"), std::string::npos) << script;
  script = wrk_script(routes[6], 1);
  EXPECT_NE(script.find("wrk.path = \"/fastapi/async_cpu_bound_slow/?n=1000\""), std::string::npos) << script;
}

// ------------------------------------------------------------------ /proc

TEST(ProcStat, ReadsUtimeAndStime) {
  // Fields 14 and 15 are 1234 and 56.
  const char* line =
      "4242 (strata) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 56 0 0 20 0 3 0 12345 100000000 2000 "
      "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0\n";
  auto t = parse_proc_stat(line);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->utime, 1234u);
  EXPECT_EQ(t->stime, 56u);
  EXPECT_EQ(t->total(), 1290u);
}

TEST(ProcStat, CommandNameWithSpacesAndParens) {
  const char* line = "77 (a (b) c) R 1 77 77 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 1 1 1\n";
  auto t = parse_proc_stat(line);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->utime, 7u);
  EXPECT_EQ(t->stime, 8u);
}

TEST(ProcStat, RejectsShortOrGarbage) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("12 (x) S 1 2 3"));
  EXPECT_FALSE(parse_proc_stat("no parens at all 1 2 3 4 5 6 7 8 9 10 11 12 13 14"));
  EXPECT_FALSE(parse_proc_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 x 8 0"));
}

TEST(ProcStat, ReadsThisProcess) {
  auto t = read_cpu_ticks(getpid());
  ASSERT_TRUE(t);
  EXPECT_GT(clock_ticks_per_second(), 0);
  EXPECT_FALSE(read_cpu_ticks(-5));
}

// ------------------------------------------------------------------ statistics

TEST(Stats, MedianAndSpread) {
  auto s = summarize({3, 1, 2});
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->median, 2);
  EXPECT_DOUBLE_EQ(s->min, 1);
  EXPECT_DOUBLE_EQ(s->max, 3);
  EXPECT_EQ(s->count, 3u);
  auto even = summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(even->median, 2.5);
  EXPECT_DOUBLE_EQ(summarize({7})->median, 7);
  EXPECT_FALSE(summarize({}));
}

TEST(Stats, DecayPercent) {
  // Seed 003: uvicorn against asyncio.
  EXPECT_NEAR(*decay_percent(104380, 46426), -55.5, 0.05);
  EXPECT_NEAR(*decay_percent(46426, 35433), -23.7, 0.05);
  EXPECT_NEAR(*decay_percent(35433, 17178), -51.5, 0.05);
  EXPECT_NEAR(*decay_percent(24.3, 48.3), 98.77, 0.01);  // CPU per request doubles
  EXPECT_FALSE(decay_percent(0, 5));
}

TEST(Stats, ChainDecaySkipsMissingRows) {
  auto d = chain_decay({100.0, std::nullopt, 50.0, 25.0});
  ASSERT_EQ(d.size(), 4u);
  EXPECT_FALSE(d[0]);  // the baseline
  EXPECT_FALSE(d[1]);  // invalid row
  EXPECT_DOUBLE_EQ(*d[2], -50.0);  // against row 0, the nearest valid row above
  EXPECT_DOUBLE_EQ(*d[3], -50.0);
  auto lead = chain_decay({std::nullopt, 10.0, 20.0});
  EXPECT_FALSE(lead[1]);
  EXPECT_DOUBLE_EQ(*lead[2], 100.0);
}

TrialFigures trial(int n, double rps, double cpu_us, double busy = 1.0, bool valid = true) {
  TrialFigures t;
  t.trial = n;
  t.measured = true;
  t.valid = valid;
  if (!valid) t.invalid_reason = "socket errors: connect 0, read 3, write 0, timeout 0";
  t.wrk.rps = rps;
  t.wrk.requests = static_cast<uint64_t>(rps);
  t.wrk.p50_us = 100;
  t.wrk.p90_us = 150;
  t.wrk.p99_us = 1500;
  t.cpu_us_per_request = cpu_us;
  t.user_us_per_request = cpu_us / 4;  // a loopback server's usual split: mostly kernel time
  t.sys_us_per_request = cpu_us - cpu_us / 4;
  t.busy = busy;
  return t;
}

RowResult row(const std::string& id, const std::string& chain, const std::string& tier,
              std::vector<TrialFigures> trials) {
  RowResult r;
  r.id = id;
  r.chain = chain;
  r.stack = chain.empty() ? "node" : chain;
  r.tier = tier;
  r.label = id;
  r.route = "user";
  r.trials = std::move(trials);
  return r;
}

TEST(Summaries, DecayPerTrialThenMedian) {
  std::vector<RowResult> rows = {
      row("strata/raw", "strata", "raw", {trial(1, 100, 10), trial(2, 200, 10), trial(3, 100, 10)}),
      row("strata/http", "strata", "http", {trial(1, 50, 20), trial(2, 100, 30), trial(3, 80, 10)}),
  };
  summarize_rows(rows);
  EXPECT_TRUE(rows[0].valid);
  EXPECT_FALSE(rows[0].summary.decay_rps);  // baseline
  ASSERT_TRUE(rows[1].summary.decay_rps);
  // Per trial: -50, -50, -20 -> median -50, range -50..-20.
  EXPECT_DOUBLE_EQ(rows[1].summary.decay_rps->median, -50);
  EXPECT_DOUBLE_EQ(rows[1].summary.decay_rps->min, -50);
  EXPECT_DOUBLE_EQ(rows[1].summary.decay_rps->max, -20);
  // CPU: +100, +200, 0 -> median +100.
  EXPECT_DOUBLE_EQ(rows[1].summary.decay_cpu->median, 100);
  EXPECT_DOUBLE_EQ(rows[1].summary.rps->median, 80);
  EXPECT_DOUBLE_EQ(rows[1].summary.rps->min, 50);
  EXPECT_DOUBLE_EQ(rows[1].summary.rps->max, 100);
}

TEST(Summaries, InvalidRowLeavesTheChainInEveryTrial) {
  std::vector<RowResult> rows = {
      row("floor", "strata", "floor", {trial(1, 100, 5), trial(2, 100, 5)}),
      row("strata/raw", "strata", "raw", {trial(1, 90, 6), trial(2, 90, 6, 1.0, false)}),
      row("strata/http", "strata", "http", {trial(1, 50, 10), trial(2, 50, 10)}),
      row("python/raw", "python", "raw", {trial(1, 40, 25), trial(2, 40, 25)}),
  };
  summarize_rows(rows);
  EXPECT_FALSE(rows[1].valid);
  EXPECT_NE(rows[1].invalid_reason.find("trial 2"), std::string::npos) << rows[1].invalid_reason;
  // http compares with the floor in both trials, not with raw in trial 1.
  EXPECT_DOUBLE_EQ(rows[2].summary.decay_rps->median, -50);
  EXPECT_DOUBLE_EQ(rows[2].summary.decay_cpu->median, 100);
  // Another chain starts its own baseline.
  EXPECT_FALSE(rows[3].summary.decay_rps);
}

TEST(Summaries, ClientBoundBelowNinetyPercent) {
  std::vector<RowResult> rows = {
      row("floor", "strata", "floor", {trial(1, 100, 5, 0.75)}),
      row("strata/raw", "strata", "raw", {trial(1, 90, 6, 0.95)}),
  };
  summarize_rows(rows);
  EXPECT_TRUE(rows[0].client_bound);
  EXPECT_FALSE(rows[1].client_bound);
}

// ------------------------------------------------------------------ CPU lists, listen line

TEST(CpuList, Parses) {
  std::string error;
  EXPECT_EQ(*parse_cpu_list("0", error), std::vector<int>{0});
  EXPECT_EQ(*parse_cpu_list("3,1-2,1", error), (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(parse_cpu_list("", error));
  EXPECT_FALSE(parse_cpu_list("a", error));
  EXPECT_FALSE(parse_cpu_list("2-1", error));
  EXPECT_FALSE(parse_cpu_list("1,", error));
  EXPECT_FALSE(parse_cpu_list("-1", error));
  EXPECT_EQ(format_cpu_list({0, 1, 2, 5}), "0-2,5");
  EXPECT_EQ(format_cpu_list({1}), "1");
}

// ------------------------------------------------------------------ the answer check

TEST(Check, RequestBytesAsWrkSendsThem) {
  const Route& user = find_scenario("user")->routes[0];
  EXPECT_EQ(request_bytes(user, "127.0.0.1:8000"),
            "POST /user HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: application/json\r\n"
            "Content-Length: 52\r\n\r\n{\"id\": 1, \"name\": \"user\", \"email\": \"user@email.com\"}");
  const Route& hello = find_scenario("hello")->routes[0];
  EXPECT_EQ(request_bytes(hello, "h:1"), "GET /index?name=strata HTTP/1.1\r\nHost: h:1\r\n\r\n");
  const Route cpu = concurrency_routes(Load{0.01, 1000})[4];
  EXPECT_EQ(request_bytes(cpu, "h:1"), "GET /fastapi/sync_cpu_bound/?n=1000 HTTP/1.1\r\nHost: h:1\r\n\r\n");
}

// ------------------------------------------------------------------ reports

RunResult sample_run() {
  RunResult run;
  run.settings.scenario = "user";
  run.settings.scenario_description = "seed 003 \"user\" <&>";
  run.settings.trials = 2;
  run.settings.server_cpus = {0};
  run.settings.client_cpus = {1};
  run.settings.tiers = {"floor", "raw", "http"};
  run.settings.python_binary = "/usr/bin/python3";
  run.machine.cpu_model = "Test CPU";
  run.machine.cores_online = 2;
  run.versions["strata"] = "strata 0.1.0";
  run.versions["wrk"] = "4.1.0";
  run.started_at = "2026-11-21T00:00:00Z";
  run.rows = {
      row("floor", "strata", "floor", {trial(1, 148000, 5.1, 0.75), trial(2, 150000, 5.0, 0.76)}),
      row("strata/raw", "strata", "raw", {trial(1, 120000, 6.5), trial(2, 125000, 6.4)}),
      row("strata/http", "strata", "http", {trial(1, 90000, 9.5), trial(2, 95000, 9.1, 1.0, false)}),
      row("python/raw", "python", "raw", {trial(1, 40600, 24.3), trial(2, 40000, 24.0)}),
      row("python/http", "python", "http", {trial(1, 20600, 48.3), trial(2, 20000, 48.0)}),
      row("peer/node", "", "peer", {trial(1, 49900, 19.8), trial(2, 50000, 19.5)}),
  };
  RowResult skipped = row("strata/typed", "strata", "typed", {});
  skipped.available = false;
  skipped.skip_reason = "this build has no tier typed";
  run.rows.insert(run.rows.begin() + 3, skipped);
  run.notes = {"skipping strata/typed: this build has no tier typed"};
  // The counting pass: raw counted, python/raw could not be.
  SyscallCounts counts;
  counts.total = 240000;
  counts.by_name = {{"read", 100000}, {"write", 100000}, {"epoll_wait", 40000}};
  run.rows[1].syscalls = counts;
  run.rows[1].syscall_requests = 100000;
  run.rows[1].instructions_per_request = 3062;
  run.rows[4].syscalls_note = "perf stat exit 255: No permission";
  run.settings.syscall_seconds = 3;
  summarize_rows(run.rows);
  return run;
}

TEST(Report, SystemCallsPerRequestInTheTableAndTheirOwnSection) {
  const RunResult run = sample_run();
  const std::string md = render_markdown(run);
  EXPECT_NE(md.find("| 2.40 | 3,062 |"), std::string::npos) << md;
  EXPECT_NE(md.find("### System calls per request (perf stat, a 3 s run of its own per row after the trials)"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| strata/raw | 2.40 | read 1.00, write 1.00, epoll_wait 0.40 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| python/raw | - | perf stat exit 255: No permission |"), std::string::npos) << md;
  const std::string json = render_json(run);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  int64_t total = 0, reads = 0;
  EXPECT_EQ(doc["rows"].at(1)["syscalls"]["total"].get(total), simdjson::SUCCESS);
  EXPECT_EQ(total, 240000);
  EXPECT_EQ(doc["rows"].at(1)["syscalls"]["by_name"]["read"].get(reads), simdjson::SUCCESS);
  EXPECT_EQ(reads, 100000);
  EXPECT_TRUE(doc["rows"].at(0)["syscalls"].is_null());
}

TEST(Report, Formatting) {
  EXPECT_EQ(format_thousands(104379.61), "104,380");
  EXPECT_EQ(format_thousands(999), "999");
  EXPECT_EQ(format_thousands(1000), "1,000");
  EXPECT_EQ(format_time_us(92.4), "92us");
  EXPECT_EQ(format_time_us(1310), "1.31ms");
  EXPECT_EQ(format_time_us(6.04e6), "6.04s");
  EXPECT_EQ(format_cpu_us(5.123), "5.12");
  EXPECT_EQ(format_cpu_us(48.31), "48.3");
  EXPECT_EQ(format_cpu_us(144.9), "145");
  EXPECT_EQ(format_decay(std::nullopt, true), "(- 100%)");
  EXPECT_EQ(format_decay(-55.53, false), "(\u2193 55.5%)");
  EXPECT_EQ(format_decay(12.04, false), "(\u2191 12.0%)");
  EXPECT_EQ(format_rps(0.8), "0.80");
  EXPECT_EQ(format_rps(11.171), "11.17");
  EXPECT_EQ(format_rps(99.994), "99.99");
  EXPECT_EQ(format_rps(100.4), "100");
  EXPECT_EQ(format_rps(148213.4), "148,213");
}

// Every table line of `md` has as many cells as its table's header.
::testing::AssertionResult tables_are_rectangular(const std::string& md) {
  size_t pos = 0;
  int header_cells = -1;
  while (pos < md.size()) {
    size_t eol = md.find('\n', pos);
    std::string line = md.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] != '|') {
      header_cells = -1;
      continue;
    }
    int cells = 0;
    for (size_t i = 0; i < line.size(); ++i)
      if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++cells;
    if (header_cells < 0) header_cells = cells;
    if (cells != header_cells)
      return ::testing::AssertionFailure() << cells << " cells, the header has " << header_cells << ": " << line;
  }
  return ::testing::AssertionSuccess();
}

TEST(Report, MarkdownTableInTheSeedsFormat) {
  const std::string md = render_markdown(sample_run());
  EXPECT_NE(md.find("| row | req/s | decay % | CPU us/req | CPU decay % | user/sys us | syscalls/req | instr/req | p50 | p99 | server CPU | notes |"),
            std::string::npos)
      << md;
  // Floor: baseline, client-bound at 75%.
  EXPECT_NE(md.find("| floor | 149,000 (148,000-150,000) | (- 100%) |"), std::string::npos) << md;
  EXPECT_NE(md.find("client-bound"), std::string::npos) << md;
  // raw against the floor: -18.9% and -16.7% -> median -17.8%.
  EXPECT_NE(md.find("| strata/raw | 122,500 (120,000-125,000) | (\u2193 17.8%)"), std::string::npos) << md;
  // The row invalid in trial 2 posts no number.
  EXPECT_NE(md.find("| strata/http | invalid |"), std::string::npos) << md;
  EXPECT_EQ(md.find("92,500"), std::string::npos) << md;
  // Python chain, side-by-side table and the published figures.
  EXPECT_NE(md.find("### Python reference"), std::string::npos) << md;
  EXPECT_NE(md.find("### Decay side by side"), std::string::npos) << md;
  EXPECT_NE(md.find("| asyncio | 104,380 | (- 100%) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Uvicorn | 46,426 | (\u2193 55.5%) |"), std::string::npos) << md;
  EXPECT_NE(md.find("another machine"), std::string::npos) << md;
  EXPECT_NE(md.find("- skipping strata/typed"), std::string::npos) << md;
  EXPECT_TRUE(tables_are_rectangular(md));
  // Not the concurrency scenario: no ?delay= line.
  EXPECT_EQ(md.find("?delay="), std::string::npos) << md;
}

TEST(Report, JsonParsesAndHoldsRawFigures) {
  const std::string text = render_json(sample_run());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  std::string_view desc;
  ASSERT_EQ(doc["settings"]["scenario_description"].get(desc), simdjson::SUCCESS);
  EXPECT_EQ(desc, "seed 003 \"user\" <&>");
  int64_t trials = 0;
  ASSERT_EQ(doc["settings"]["trials"].get(trials), simdjson::SUCCESS);
  EXPECT_EQ(trials, 2);
  simdjson::dom::array rows;
  ASSERT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  EXPECT_EQ(rows.size(), 7u);
  simdjson::dom::element floor = rows.at(0);
  double median = 0;
  ASSERT_EQ(floor["summary"]["rps"]["median"].get(median), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(median, 149000);
  double cpu = 0;
  ASSERT_EQ(floor["trials"].at(1)["cpu_us_per_request"].get(cpu), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(cpu, 5.0);
  double user = 0, sys = 0;
  ASSERT_EQ(floor["trials"].at(1)["user_us_per_request"].get(user), simdjson::SUCCESS);
  ASSERT_EQ(floor["trials"].at(1)["sys_us_per_request"].get(sys), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(user, 1.25);
  EXPECT_DOUBLE_EQ(sys, 3.75);
  double user_median = 0, cpu_median = 0;
  ASSERT_EQ(floor["summary"]["user_us_per_request"]["median"].get(user_median), simdjson::SUCCESS);
  ASSERT_EQ(floor["summary"]["cpu_us_per_request"]["median"].get(cpu_median), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(user_median, cpu_median / 4);
  bool valid = true;
  ASSERT_EQ(rows.at(2)["valid"].get(valid), simdjson::SUCCESS);
  EXPECT_FALSE(valid);
  bool available = true;
  ASSERT_EQ(rows.at(3)["available"].get(available), simdjson::SUCCESS);
  EXPECT_FALSE(available);
  std::string_view cpu_model;
  ASSERT_EQ(doc["machine"]["cpu_model"].get(cpu_model), simdjson::SUCCESS);
  EXPECT_EQ(cpu_model, "Test CPU");
  simdjson::dom::array published;
  ASSERT_EQ(doc["published_seed003"]["rows"].get(published), simdjson::SUCCESS);
  EXPECT_EQ(published.size(), 7u);  // the chain, axum, and the two "why?" rows
  // Not the concurrency scenario: no ?delay= or ?n= was sent.
  EXPECT_TRUE(doc["settings"]["delay_s"].is_null());
  EXPECT_TRUE(doc["settings"]["work"].is_null());
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

// Tags balance and nest (enough XML for a hand-written SVG: no CDATA, no comments).
TEST(Report, Seed002sColumnsForEveryRowThenThePublishedOnes) {
  RunResult run = sample_run();
  run.settings.connections = 100;
  run.settings.wrk_threads = 4;
  run.settings.workers = 2;
  run.rows[1].trials[0].wrk.latency_avg_us = 140;
  run.rows[1].trials[0].wrk.latency_max_us = 1500;
  run.rows[1].trials[0].wrk.bytes_read = 2.0 * 1024 * 1024;
  run.rows[1].trials[0].wrk.transfer_per_s = 300.0 * 1024;
  run.rows[1].trials[1] = run.rows[1].trials[0];
  run.rows[1].trials[1].trial = 2;
  summarize_rows(run.rows);
  const std::string md = render_seed002(run);
  EXPECT_NE(md.find("### Seed 002's table: 100 connections, 4 wrk threads, 2 workers"), std::string::npos) << md;
  EXPECT_NE(md.find("| row | Avg Latency | Max Latency | Requests/Sec | Data Transferred (MB) | Transfer Rate (KB/s) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| strata/raw | 140us | 1.50ms | 120000.00 | 2.00 | 300.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| strata/typed | skipped |"), std::string::npos) << md;
  EXPECT_NE(md.find("| strata/http | invalid |"), std::string::npos) << md;
  EXPECT_NE(md.find("| MicroPie | 200 | 81.46ms | 142.96ms | 2450.02 | 18.61 | 634.76 |"), std::string::npos) << md;
  EXPECT_TRUE(tables_are_rectangular(md));
}

::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> open;
  for (size_t pos = xml.find('<'); pos != std::string::npos; pos = xml.find('<', pos + 1)) {
    const size_t end = xml.find('>', pos);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unclosed tag at " << pos;
    std::string tag = xml.substr(pos + 1, end - pos - 1);
    if (tag.empty()) return ::testing::AssertionFailure() << "empty tag at " << pos;
    if (tag.back() == '/') continue;
    const bool closing = tag[0] == '/';
    std::string name = tag.substr(closing ? 1 : 0, tag.find_first_of(" \n", closing ? 1 : 0) - (closing ? 1 : 0));
    if (!closing) {
      open.push_back(name);
    } else {
      if (open.empty() || open.back() != name)
        return ::testing::AssertionFailure() << "</" << name << "> closes " << (open.empty() ? "nothing" : open.back());
      open.pop_back();
    }
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "<" << open.back() << "> never closed";
  return ::testing::AssertionSuccess();
}

TEST(Report, SvgHasTwoBarsPerValidRow) {
  const std::string svg = render_svg(sample_run());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(count(svg, "class=\"bar rps\""), 5u);  // floor, raw, python raw, python http, node
  EXPECT_EQ(count(svg, "class=\"bar cpu\""), 5u);
  // Each CPU bar's user-mode share shaded: a quarter of it in these trials.
  EXPECT_EQ(count(svg, "class=\"cpu-user\""), 5u);
  EXPECT_NE(svg.find("strata/raw: user "), std::string::npos) << svg;
  EXPECT_EQ(count(svg, "class=\"invalid\""), 1u);  // strata/http
  EXPECT_TRUE(well_formed(svg));
}

// ------------------------------------------------------------------ seed 004's table

TrialFigures timed(int n, double rps, double p50_us, double p99_us, bool valid = true) {
  TrialFigures t = trial(n, rps, 10, 1.0, valid);
  t.wrk.p50_us = p50_us;
  t.wrk.p99_us = p99_us;
  return t;
}

RowResult route_row(const std::string& stack, const Route& route, std::vector<TrialFigures> trials) {
  RowResult r;
  r.id = stack + "/typed";
  r.stack = stack;
  r.tier = "typed";
  r.label = (stack == "strata" ? "strata typed " : "FastAPI ") + route.target;
  r.route = route.label;
  r.target = route.target;
  r.trials = std::move(trials);
  return r;
}

// Fixed figures for the seven routes; FastAPI's sync_cpu_bound skipped and
// its async_cpu_bound_slow invalid.
RunResult concurrency_run(const Load& load, bool python) {
  RunResult run;
  run.settings.scenario = "concurrency";
  run.settings.scenario_description = find_scenario("concurrency")->description;
  run.settings.connections = 100;
  run.settings.trials = 3;
  run.settings.server_cpus = {0};
  run.settings.client_cpus = {1};
  run.settings.delay_s = load.delay_s;
  run.settings.work = load.work;
  run.settings.reference = python ? "python" : "";
  run.settings.python_binary = "/usr/bin/python3";
  run.machine.cpu_model = "Test CPU";
  run.machine.cores_online = 2;
  run.versions["wrk"] = "4.1.0";
  const auto routes = concurrency_routes(load);
  const std::vector<std::vector<TrialFigures>> strata = {
      {timed(1, 1.0, 6.04e6, 12.07e6), timed(2, 0.8, 6.04e6, 12.07e6), timed(3, 0.9, 6.04e6, 12.07e6)},
      {timed(1, 3900, 25100, 40200)},
      {timed(1, 9500, 10400, 12000)},
      {timed(1, 3950.6, 25000, 41000)},
      {timed(1, 30000, 3300, 9000)},
      {timed(1, 29000, 3400, 9100)},
      {timed(1, 45000, 2200, 4000)},
  };
  const std::vector<std::vector<TrialFigures>> fastapi = {
      {timed(1, 0.80, 6.04e6, 12.07e6)},
      {timed(1, 11.17, 8.03e6, 9.04e6)},
      {timed(1, 93.1, 1.01e6, 1.02e6)},
      {timed(1, 37.24, 2.03e6, 3.03e6)},
      {},
      {timed(1, 50.24, 1.91e6, 2.34e6)},
      {timed(1, 9.97, 1.84e6, 13.07e6, false)},
  };
  for (size_t i = 0; i < strata.size(); ++i) {  // the routes the typed tier and FastAPI serve
    run.rows.push_back(route_row("strata", routes[i], strata[i]));
    if (!python) continue;
    run.rows.push_back(route_row("python", routes[i], fastapi[i]));
    if (routes[i].label == "sync_cpu_bound") {
      run.rows.back().available = false;
      run.rows.back().skip_reason = "/usr/bin/python3 lacks fastapi (install with: make bench-python)";
    }
  }
  summarize_rows(run.rows);
  return run;
}

// A loop-blocking row that answered nothing within its run is measured
// as such (0 req/s, latencies over the run), not invalid.
TEST(Seed004Table, ARowWithNoAnswerWithinTheRunSaysSo) {
  const Load load{1, 5000000};
  RunResult run = concurrency_run(load, true);
  run.settings.duration_s = 8;
  for (auto& row : run.rows) {
    if (row.stack != "python" || row.route != "async_slowest") continue;
    TrialFigures t = trial(1, 0, 0, 0, true);
    t.wrk.requests = 0;
    t.wrk.p50_us = t.wrk.p99_us = 0;
    t.unanswered = true;
    row.trials = {t};
  }
  summarize_rows(run.rows);
  const RowResult* row = nullptr;
  for (const auto& r : run.rows)
    if (r.stack == "python" && r.route == "async_slowest") row = &r;
  ASSERT_NE(row, nullptr);
  EXPECT_TRUE(row->valid);
  EXPECT_EQ(row->summary.unanswered, 1);
  ASSERT_TRUE(row->summary.rps);
  EXPECT_EQ(row->summary.rps->median, 0);
  EXPECT_FALSE(row->summary.p50_us);
  EXPECT_FALSE(row->summary.cpu_us);
  const std::string md = render_seed004(run, concurrency_routes(load));
  EXPECT_NE(md.find("| /fastapi/async_slowest/?delay=1 | blocking sleep in async handler | loop | 0.90 | 6.04s | "
                    "12.07s | 0 (no answer in 8 s) | > 8s | > 8s |"),
            std::string::npos)
      << md;
  const std::string json = render_json(run);
  EXPECT_NE(json.find("\"unanswered\": true"), std::string::npos);
}

TEST(Seed004Table, StrataBesideFastApi) {
  const Load load{0.01, 1000};
  const RunResult run = concurrency_run(load, true);
  const std::string md = render_seed004(run, concurrency_routes(load));
  EXPECT_EQ(md.rfind("### Seed 004's table", 0), 0u) << md;
  EXPECT_NE(md.find("100 connections; sleeping handlers sleep 0.01 s; counting handlers count to 1,000."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| route | what it does | wait runs on | strata req/s | p50 | p99 | FastAPI req/s | p50 | p99 |\n"
                    "|---|---|---|---|---|---|---|---|---|\n"),
            std::string::npos)
      << md;
  const char* lines[] = {
      // Median of three trials: 0.90.
      "| /fastapi/async_slowest/?delay=0.01 | blocking sleep in async handler | loop | 0.90 | 6.04s | 12.07s | "
      "0.80 | 6.04s | 12.07s |\n",
      "| /fastapi/async_sleep_in_thread/?delay=0.01 | async handler awaits a sleep sent to the pool | pool | 3,900 | "
      "25.10ms | 40.20ms | 11.17 | 8.03s | 9.04s |\n",
      "| /fastapi/async_sleep/?delay=0.01 | async handler awaits a timer | loop | 9,500 | 10.40ms | 12.00ms | 93.10 | "
      "1.01s | 1.02s |\n",
      "| /fastapi/sync/?delay=0.01 | sync handler sleeps, run on the pool | pool | 3,951 | 25.00ms | 41.00ms | 37.24 | "
      "2.03s | 3.03s |\n",
      "| /fastapi/sync_cpu_bound/?n=1000 | CPU loop in sync handler, run on the pool | pool | 30,000 | 3.30ms | 9.00ms "
      "| skipped | | |\n",
      "| /fastapi/async_cpu_bound/?n=1000 | async handler awaits a CPU loop sent to the pool | pool | 29,000 | 3.40ms "
      "| 9.10ms | 50.24 | 1.91s | 2.34s |\n",
      "| /fastapi/async_cpu_bound_slow/?n=1000 | CPU loop inline in async handler | loop | 45,000 | 2.20ms | 4.00ms | "
      "invalid | | |\n",
  };
  size_t last = 0;
  for (const char* line : lines) {
    const size_t at = md.find(line);
    EXPECT_NE(at, std::string::npos) << line << "\n" << md;
    if (at != std::string::npos) {
      EXPECT_GT(at, last) << "out of the seed's order: " << line;
      last = at;
    }
  }
  EXPECT_NE(md.find("ProcessPoolExecutor"), std::string::npos) << md;
  // Not the seed's ?delay= and ?n=: its published figures would mislead.
  EXPECT_EQ(md.find("seed 004 FastAPI req/s"), std::string::npos) << md;
  EXPECT_TRUE(tables_are_rectangular(md));
}

TEST(Seed004Table, FlaskAndGoRoutesInATableOfTheirOwn) {
  const Load load;  // the seed's: its published figures are shown
  RunResult run = concurrency_run(load, true);
  const auto routes = concurrency_routes(load);
  for (const auto& route : routes) {
    if (route.framework.empty()) continue;
    RowResult r = route_row(route.framework == "flask" ? "python" : "go", route, {timed(1, 40, 2.0e6, 2.5e6)});
    r.route = route.label;
    run.rows.push_back(r);
  }
  summarize_rows(run.rows);
  const std::string md = render_seed004(run, routes);
  EXPECT_EQ(md.find("| /flask/sync_cpu_bound/?n=5000000 | blocking"), std::string::npos) << md;  // not in the first table
  EXPECT_NE(md.find("The seed's other stacks (Flask with --reference python, Go with --peers go):"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| /flask/sync_cpu_bound/?n=5000000 | Flask, gunicorn sync | sync worker waits for a CPU loop in "
                    "a process pool | process pool | 40.00 | 2.00s | 2.50s | 50.79 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| /go/async_sleep_in_thread/?delay=1 | Go net/http |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 78,261 |"), std::string::npos) << md;  // the seed's Go figure
  EXPECT_TRUE(tables_are_rectangular(md));
}

TEST(Seed004Table, SeedSettingsShowThePublishedFigures) {
  const RunResult run = concurrency_run(Load{}, false);
  const std::string md = render_seed004(run, concurrency_routes(Load{}));
  EXPECT_NE(md.find("| route | what it does | wait runs on | strata req/s | p50 | p99 | seed 004 FastAPI req/s |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| /fastapi/async_slowest/?delay=1 | blocking sleep in async handler | loop | 0.90 | 6.04s | "
                    "12.07s | 0.80 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| /fastapi/async_cpu_bound/?n=5000000 | async handler awaits a CPU loop sent to the pool | pool "
                    "| 29,000 | 3.40ms | 9.10ms | 50.24 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("another machine"), std::string::npos) << md;
  // No FastAPI rows in this run: no measured FastAPI columns, no note on its process pool.
  EXPECT_EQ(md.find("FastAPI req/s | p50"), std::string::npos) << md;
  EXPECT_EQ(md.find("ProcessPoolExecutor"), std::string::npos) << md;
  EXPECT_EQ(published_seed004().size(), 11u);  // seven FastAPI routes, two Flask, two Go
  EXPECT_TRUE(tables_are_rectangular(md));
}

TEST(Seed004Table, RouteWithoutRowHasDashes) {
  const Load load{0.5, 10};
  RunResult run = concurrency_run(load, false);
  run.rows.erase(run.rows.begin() + 2);  // async_sleep
  const std::string md = render_seed004(run, concurrency_routes(load));
  EXPECT_NE(md.find("| /fastapi/async_sleep/?delay=0.5 | async handler awaits a timer | loop | - | - | - |\n"),
            std::string::npos)
      << md;
  EXPECT_TRUE(tables_are_rectangular(md));
}

TEST(Seed004Table, MarkdownAndJsonCarryDelayAndWork) {
  const Load load{0.01, 1000};
  const RunResult run = concurrency_run(load, true);
  const std::string md = render_markdown(run);
  EXPECT_NE(md.find("Sleeping handlers get ?delay=0.01 (seconds), counting handlers ?n=1000.\n"), std::string::npos)
      << md;
  EXPECT_NE(md.find("### Routes"), std::string::npos) << md;
  EXPECT_NE(md.find("| strata typed /fastapi/async_slowest/?delay=0.01 | 0.90 (0.80-1.00) |"), std::string::npos)
      << md;
  EXPECT_TRUE(tables_are_rectangular(md));

  const std::string text = render_json(run);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(text).get(doc), simdjson::SUCCESS) << text;
  double delay = 0;
  int64_t work = 0;
  ASSERT_EQ(doc["settings"]["delay_s"].get(delay), simdjson::SUCCESS) << text;
  EXPECT_DOUBLE_EQ(delay, 0.01);
  ASSERT_EQ(doc["settings"]["work"].get(work), simdjson::SUCCESS) << text;
  EXPECT_EQ(work, 1000);
  simdjson::dom::array rows;
  ASSERT_EQ(doc["rows"].get(rows), simdjson::SUCCESS);
  EXPECT_EQ(rows.size(), 14u);
  std::string_view target, route;
  ASSERT_EQ(rows.at(0)["target"].get(target), simdjson::SUCCESS);
  EXPECT_EQ(target, "/fastapi/async_slowest/?delay=0.01");
  ASSERT_EQ(rows.at(13)["route"].get(route), simdjson::SUCCESS);
  EXPECT_EQ(route, "async_cpu_bound_slow");
}

// Seed 001's twins answer with other JSON writers: the check compares meaning.
TEST(AnswerCheck, JsonEquivalenceIgnoresSpacingKeyOrderAndNumberSpelling) {
  EXPECT_TRUE(json_equivalent(R"({"a":1,"b":[1,2,{"c":"x"}]})", R"({ "b": [1, 2, {"c": "x"}], "a": 1.0 })"));
  EXPECT_TRUE(json_equivalent(R"({"s":"\u00fc"})", "{\"s\":\"\xc3\xbc\"}"));
  EXPECT_TRUE(json_equivalent("[]", " [ ] "));
  EXPECT_FALSE(json_equivalent(R"({"a":1})", R"({"a":2})"));
  EXPECT_FALSE(json_equivalent(R"({"a":1})", R"({"a":1,"b":2})"));
  EXPECT_FALSE(json_equivalent(R"([1,2])", R"([2,1])"));  // arrays keep their order
  EXPECT_FALSE(json_equivalent(R"({"a":"1"})", R"({"a":1})"));
  EXPECT_FALSE(json_equivalent(R"({"a":null})", R"({"a":false})"));
  EXPECT_FALSE(json_equivalent("{", "{"));  // not JSON is never equal
  EXPECT_FALSE(json_equivalent("", ""));
}

TEST(ProcStat, ATreeCountsTheProcessAndItsChildren) {
  const auto self = read_cpu_ticks(getpid());
  ASSERT_TRUE(self);
  int done[2];
  ASSERT_EQ(pipe(done), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Burn 300 ms of CPU (of CPU, not of the clock: on a busy machine the
    // clock runs on while the child waits its turn), say so, wait to be killed.
    volatile uint64_t x = 0;
    timespec used{};
    do {
      for (int i = 0; i < 100000; ++i) x = x + 1;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
    } while (used.tv_sec == 0 && used.tv_nsec < 300'000'000);
    (void)!write(done[1], "x", 1);
    pause();
    _exit(0);
  }
  close(done[1]);
  char byte = 0;
  ASSERT_EQ(read(done[0], &byte, 1), 1);
  close(done[0]);
  const auto tree = read_tree_cpu_ticks(getpid());
  const auto alone = read_cpu_ticks(child);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(tree);
  ASSERT_TRUE(alone);
  EXPECT_GE(alone->total(), 10u) << "the child burned 300 ms of CPU";
  EXPECT_GE(tree->total(), self->total() + alone->total());
  EXPECT_FALSE(read_tree_cpu_ticks(child));  // gone
}

}  // namespace
}  // namespace strata::bench
