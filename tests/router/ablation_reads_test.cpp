// The ablation switches' contract (common/ablation.hpp): each tier reads
// the set while it builds itself, never per request. Counted exactly here,
// on the stacks `strata serve` and `strata profile` build: every ablation
// that applies to a tier is on, the stack is built, and then requests go
// through tier 2's engine over an in-memory stream. Not one more read.
#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "app/application.hpp"
#include "app/workload_app.hpp"
#include "common/ablation.hpp"
#include "loop/memory_stream.hpp"
#include "parser/ablations.hpp"
#include "parser/http1_internal.hpp"
#include "parser/http_server.hpp"
#include "parser/task.hpp"
#include "router/api.hpp"
#include "router/workload.hpp"

namespace {

using namespace strata;

constexpr std::string_view kBody = R"({"id": 7, "name": "Ada", "email": "ada@example.com"})";
const std::string kUserRequest =
    "POST /user HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: " +
    std::to_string(kBody.size()) + "\r\n\r\n" + std::string(kBody);

// The process-wide set is replaced for one test and put back after it.
class ActiveSet {
 public:
  explicit ActiveSet(ablation::Set set) : saved_(ablation::active()) { ablation::set_active(std::move(set)); }
  ~ActiveSet() {
    ablation::set_active(std::move(saved_));
    set_frame_pooling(true);  // alloc=per-request's process-wide part
  }
  ActiveSet(const ActiveSet&) = delete;
  ActiveSet& operator=(const ActiveSet&) = delete;

 private:
  ablation::Set saved_;
};

// A tier's stack as the profiler's in-memory driver builds it.
class Stack {
 public:
  explicit Stack(bool typed) : stream_(http::Options{}.read_capacity()) {
    uv_loop_init(&loop_);
    host_.loop = &loop_;
    app::AppConfig config;
    config.threads = 1;
    if (typed) {
      router::APIConfig api_config;
      api_config.app = config;
      api_ = std::make_unique<router::API>(api_config);
      router::add_extra_routes(*api_, 3);
      router::add_workload_routes(*api_);
      ctx_.app = api_->factory()(host_);
    } else {
      application_ = std::make_unique<app::Application>(config);
      app::add_extra_routes(*application_, 3);
      app::add_workload_routes(*application_);
      ctx_.app = application_->build(host_);
    }
    http::apply_ablations(ctx_);
    ctx_.refresh_date(784111777);
    proto_ = std::make_unique<http::Protocol>(stream_, ctx_);
  }
  ~Stack() {
    proto_.reset();
    for (auto& hook : host_.on_shutdown) hook();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  std::string once(std::string_view request) {
    stream_.written.clear();
    stream_.feed(request);
    proto_->on_data();
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

void expect_no_reads_per_request(bool typed, ablation::Set set) {
  const std::string described = ablation::describe(set);
  SCOPED_TRACE(described);
  ActiveSet active(std::move(set));
  const unsigned long before_build = ablation::reads();
  Stack stack(typed);
  const unsigned long built = ablation::reads();
  EXPECT_GT(built, before_build) << "building the stack reads the switches";
  for (int i = 0; i < 50; ++i) {
    const std::string answer = stack.once(kUserRequest);
    ASSERT_TRUE(answer.starts_with("HTTP/1.1 200 OK\r\n")) << answer;
    ASSERT_NE(answer.find(R"("name":"Ada")"), std::string::npos) << answer;
  }
  EXPECT_EQ(ablation::reads(), built) << "a request read an ablation switch";
}

TEST(AblationReads, TierAppReadsItsSwitchesOnlyWhileBuilding) {
  expect_no_reads_per_request(false, {});
  expect_no_reads_per_request(false, {{"date", "per-response"}, {"headers", "copy"}, {"json", "dom"},
                                      {"router", "linear"}, {"middleware", "3"}, {"middleware-style", "wrapped"},
                                      {"alloc", "per-request"}, {"write", "per-response"}});
}

TEST(AblationReads, TierTypedReadsItsSwitchesOnlyWhileBuilding) {
  expect_no_reads_per_request(true, {});
  expect_no_reads_per_request(true, {{"date", "per-response"}, {"headers", "copy"}, {"json", "dom"},
                                     {"validate-response", "off"}, {"router", "linear"}, {"middleware", "3"},
                                     {"alloc", "per-request"}, {"write", "per-response"}});
}

}  // namespace
