// The hot spots `strata profile --instructions` points to below the app:
// tier 2's parse and send phases, and the probes themselves.
//
// BM_LlhttpExecute:   llhttp alone on the seed 003 request, no callbacks
//                     (the floor under the parse phase)
// BM_EngineRoundTrip: one request through tier 2 (llhttp with strata's
//                     callbacks, Scope, app hand-off, response head and body)
//                     to an app answering a fixed body with N extra headers:
//                     how send's per-header validation and copying grows
// BM_EngineHello:     the same with seed 002's GET (no body)
// BM_RawFrame:        tier 1's crude framing of the same request
// BM_ProbeSpanOff / BM_ProbeSpanOn: one Span, probes off and on (two clock
//                     reads and the Record's bookkeeping)
// BM_ProbeClock / BM_ClockGettime: the probe clock against CLOCK_MONOTONIC
#include <benchmark/benchmark.h>

#include <ctime>
#include <string>
#include <vector>

#include <llhttp.h>

#include "common/probe.hpp"
#include "loop/memory_stream.hpp"
#include "loop/raw.hpp"
#include "parser/http1.hpp"

namespace {

using namespace strata;

const std::string kPost =
    "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
    R"({"id": 1, "name": "user", "email": "user@email.com"})";
const std::string kHello = "GET /index?name=strata HTTP/1.1\r\nHost: x\r\n\r\n";

void BM_LlhttpExecute(benchmark::State& state) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings);
  for (auto _ : state) {
    // Keep-alive: the same parser takes request after request.
    const llhttp_errno_t err = llhttp_execute(&parser, kPost.data(), kPost.size());
    if (err != HPE_OK) state.SkipWithError(llhttp_errno_name(err));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPost.size()));
}

http::App fixed_reply(int extra_headers) {
  static std::vector<std::string> names;
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

void round_trips(benchmark::State& state, const std::string& request) {
  http::Context ctx;
  ctx.app = fixed_reply(static_cast<int>(state.range(0)));
  ctx.refresh_date(784111777);
  loop::MemoryStream s(ctx.options.read_capacity());
  http::Protocol p(s, ctx);
  for (auto _ : state) {
    s.written.clear();
    s.feed(request);
    p.on_data();
    if (s.written.empty()) state.SkipWithError("no response");
  }
}

void BM_EngineRoundTrip(benchmark::State& state) { round_trips(state, kPost); }
void BM_EngineHello(benchmark::State& state) { round_trips(state, kHello); }

void BM_RawFrame(benchmark::State& state) {
  for (auto _ : state) {
    auto f = loop::raw::frame_request(kPost);
    benchmark::DoNotOptimize(f);
  }
}

void span_loop(benchmark::State& state) {
  probe::Record r;
  probe::Bind bind(r);
  for (auto _ : state) {
    probe::Span s(probe::Phase::handler);
    benchmark::ClobberMemory();
  }
}

void BM_ProbeSpanOff(benchmark::State& state) {
  probe::set_enabled(false);
  span_loop(state);
}

void BM_ProbeSpanOn(benchmark::State& state) {
  probe::set_enabled(true);
  span_loop(state);
  probe::set_enabled(false);
}

void BM_ProbeClock(benchmark::State& state) {
  probe::set_enabled(true);  // calibrates the TSC
  state.SetLabel(std::string(probe::clock_name()));
  for (auto _ : state) benchmark::DoNotOptimize(probe::now());
  probe::set_enabled(false);
}

void BM_ClockGettime(benchmark::State& state) {
  for (auto _ : state) {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    benchmark::DoNotOptimize(ts);
  }
}

}  // namespace

BENCHMARK(BM_LlhttpExecute);
BENCHMARK(BM_EngineRoundTrip)->Arg(0)->Arg(4)->Arg(16);
BENCHMARK(BM_EngineHello)->Arg(0);
BENCHMARK(BM_RawFrame);
BENCHMARK(BM_ProbeSpanOff);
BENCHMARK(BM_ProbeSpanOn);
BENCHMARK(BM_ProbeClock);
BENCHMARK(BM_ClockGettime);

BENCHMARK_MAIN();
