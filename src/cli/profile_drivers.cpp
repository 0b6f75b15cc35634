#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <cstdio>

#include "app/application.hpp"
#include "app/workload_app.hpp"
#include "cli/profile_internal.hpp"
#include "common/ablation.hpp"
#include "kit/http.hpp"
#include "loop/memory_stream.hpp"
#include "loop/raw.hpp"
#include "parser/ablations.hpp"
#include "parser/bare_app.hpp"
#include "parser/http1_internal.hpp"
#include "parser/http_server.hpp"
#include "router/api.hpp"
#include "router/workload.hpp"

namespace strata::cli::profiling {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

// ---------------------------------------------------------------- scenarios

Scenario scenario(const std::string& name) {
  if (name == "hello")
    return {"hello", "GET /index?name=strata HTTP/1.1\r\nHost: x\r\n\r\n", "Hello strata"};
  return {"user",
          "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52\r\n\r\n"
          R"({"id": 1, "name": "user", "email": "user@email.com"})",
          "user@email.com"};
}

bool answers_right(std::string_view bytes, const Scenario& sc) {
  kit::ParseOptions framed;
  framed.require_length = true;
  kit::Response r;
  size_t consumed = 0;
  return kit::parse_response(bytes, framed, r, consumed) == kit::ParseResult::complete &&
         consumed == bytes.size() && r.status == 200 && r.body.find(sc.expected) != std::string::npos;
}

// ---------------------------------------------------------------- in-process drivers

namespace {

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
      app::add_extra_routes(*application_, ablation::extra_routes());
      app::add_workload_routes(*application_);
      ctx_.app = application_->build(host_);
    } else if (tier == "typed") {
      router::APIConfig api_config;
      api_config.app = config;
      api_ = std::make_unique<router::API>(api_config);
      router::add_extra_routes(*api_, ablation::extra_routes());
      router::add_workload_routes(*api_);
      ctx_.app = api_->factory()(host_);
    } else {
      ctx_.app = http::make_bare_app();
    }
    http::apply_ablations(ctx_);  // as the server's workers do
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

}  // namespace

std::unique_ptr<Driver> make_driver(const std::string& tier) {
  if (tier == "raw") return std::make_unique<RawDriver>();
  return std::make_unique<HttpDriver>(tier);
}

void run_requests(Driver& d, const Scenario& sc, long n, const std::string& tier) {
  for (long i = 0; i < n; ++i) {
    const std::string_view got = d.once(sc.request);
    // Checking every answer would be measured too; the first and the last
    // stand for the rest (the state between them is the same keep-alive loop).
    if ((i == 0 || i == n - 1) && !answers_right(got, sc))
      throw Failure{"tier " + tier + " answered wrongly: " + std::string(got.substr(0, 200))};
  }
}

namespace {

double ns_per_request(Driver& d, const Scenario& sc, long n, const std::string& tier) {
  const auto t0 = Clock::now();
  run_requests(d, sc, n, tier);
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / static_cast<double>(n);
}

constexpr int kRounds = 5;

}  // namespace

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

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

}  // namespace strata::cli::profiling
