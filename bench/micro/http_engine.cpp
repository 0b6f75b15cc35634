// The hot spots `strata profile --instructions` points to below the app:
// tier 2's parse and send phases, and the probes themselves (Catch2
// benchmarks, `bench_http_engine`).
//
// "llhttp execute": llhttp alone on the seed 003 request, no callbacks
//                   (the floor under the parse phase)
// "engine round trip": one request through tier 2 (llhttp with strata's
//                   callbacks, Scope, app hand-off, response head and body)
//                   to an app answering a fixed body with N extra headers,
//                   N = 0, 4, 16: how send's per-header validation and
//                   copying grows
// "engine hello":   the same with seed 002's GET (no body), N = 0
// "raw frame":      tier 1's crude framing of the same request
// "probe span off" / "probe span on": one Span, probes off and on (two
//                   clock reads and the Record's bookkeeping)
// "probe clock" / "clock_gettime": the probe clock against CLOCK_MONOTONIC

// As in main.cpp, which holds the runner: both sides must see one Catch2.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include <ctime>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include <llhttp.h>

#include "common/probe.hpp"
#include "loop/memory_stream.hpp"
#include "loop/raw.hpp"
#include "parser/http1_internal.hpp"

namespace {

using namespace strata;

const std::string kPost =
    "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
    R"({"id": 1, "name": "user", "email": "user@email.com"})";
const std::string kHello = "GET /index?name=strata HTTP/1.1\r\nHost: x\r\n\r\n";

http::App fixed_reply(int extra_headers) {
  // http::Header holds views, and an app outlives this call: the names need
  // storage that never moves, which a deque gives on push_back and a vector
  // (short strings relocate with their buffer) does not.
  static std::deque<std::string> names;
  std::vector<http::Header> headers = {{"content-type", "application/json"}};
  for (int i = 0; i < extra_headers; ++i) {
    names.push_back("x-extra-" + std::to_string(i));
    headers.push_back({names.back(), "some value"});
  }
  return [headers](const http::Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
    co_await receive();
    co_await send.start({200, headers});
    co_await send.body({R"({"id":1,"name":"user","email":"user@email.com"})", false});
  };
}

// One engine answers request after request on the same in-memory stream,
// as on a keep-alive connection; the answer is checked once, before timing.
void round_trips(std::string name, const std::string& request, int extra_headers) {
  http::Context ctx;
  ctx.app = fixed_reply(extra_headers);
  ctx.refresh_date(784111777);
  loop::MemoryStream s(ctx.options.read_capacity());
  http::Protocol p(s, ctx);
  const auto one = [&] {
    s.written.clear();
    s.feed(request);
    p.on_data();
    return s.written.size();
  };
  REQUIRE(one() > 0);
  BENCHMARK(std::move(name)) { return one(); };
}

// A Span has nothing to return: the barrier keeps its clock reads and
// bookkeeping from being hoisted or merged across iterations.
void span_loop(std::string name) {
  probe::Record r;
  probe::Bind bind(r);
  BENCHMARK(std::move(name)) {
    probe::Span s(probe::Phase::handler);
    Catch::Benchmark::keep_memory();
  };
}

}  // namespace

TEST_CASE("llhttp execute", "[parse]") {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings);
  // Keep-alive: the same parser takes request after request.
  REQUIRE(llhttp_execute(&parser, kPost.data(), kPost.size()) == HPE_OK);
  BENCHMARK("llhttp_execute, POST /user") { return llhttp_execute(&parser, kPost.data(), kPost.size()); };
}

TEST_CASE("engine round trip", "[engine]") {
  for (const int n : {0, 4, 16})
    round_trips("round trip POST /user, " + std::to_string(n) + " headers", kPost, n);
}

TEST_CASE("engine hello", "[engine]") { round_trips("round trip GET /index, 0 headers", kHello, 0); }

TEST_CASE("raw frame", "[raw]") {
  REQUIRE(loop::raw::frame_request(kPost).kind == loop::raw::Frame::complete);
  BENCHMARK("raw frame, POST /user") { return loop::raw::frame_request(kPost); };
}

TEST_CASE("probe span off", "[probe]") {
  probe::set_enabled(false);
  span_loop("span, probes off");
}

TEST_CASE("probe span on", "[probe]") {
  probe::set_enabled(true);
  span_loop("span, probes on");
  probe::set_enabled(false);
}

TEST_CASE("probe clock", "[probe][clock]") {
  probe::set_enabled(true);  // calibrates the TSC
  BENCHMARK("probe::now() (" + std::string(probe::clock_name()) + ")") { return probe::now(); };
  probe::set_enabled(false);
}

TEST_CASE("clock_gettime", "[clock]") {
  BENCHMARK("clock_gettime(CLOCK_MONOTONIC)") {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
  };
}
