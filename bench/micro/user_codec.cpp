// The seed 003 User through tier 4's typed models: what reflection-driven
// decoding with full validation costs next to tier 0's hand-written codec
// (Catch2 benchmarks, `bench_user_codec`).
//
// "user codec":    decode + validate + encode of a valid body (the typed
//                  endpoint's work per request, response re-validation included)
// "user decode":   decode alone
// "user encode":   encode alone
// "user invalid":  a body with three errors, rendered as the 422 body
// "seed workload": tier 0's hand-written decode + encode (src/common/workload.cpp)
//
// The body is 52 bytes: bytes per second is 52 / the mean.

// As in main.cpp, which holds the runner: both sides must see one Catch2.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "common/workload.hpp"
#include "router/model.hpp"

namespace {

struct User {
  int64_t id;
  std::string name;
  std::string email;
};
BOOST_DESCRIBE_STRUCT(User, (), (id, name, email))

constexpr std::string_view kBody = R"({"id": 1, "name": "user", "email": "user@email.com"})";
constexpr std::string_view kInvalidBody = R"({"id": "one", "email": 5})";

}  // namespace

// Each case checks its answer once before measuring, so a codec that stops
// accepting the body fails the run instead of timing an error path; the
// measured lambdas return what they produced, so none of the work can be
// optimized away.
TEST_CASE("user codec", "[typed]") {
  User user{};
  strata::router::Errors errors;
  std::string out;
  const auto round_trip = [&] {
    out.clear();
    const bool ok = strata::router::decode(kBody, user, errors) && strata::router::validate(user, errors);
    strata::router::encode(user, out);
    return ok ? out.size() : 0;
  };
  REQUIRE(round_trip() > 0);
  BENCHMARK("decode + validate + encode") { return round_trip(); };
}

TEST_CASE("user decode", "[typed]") {
  User user{};
  strata::router::Errors errors;
  REQUIRE(strata::router::decode(kBody, user, errors));
  BENCHMARK("decode") {
    strata::router::decode(kBody, user, errors);
    return user.id;
  };
}

TEST_CASE("user encode", "[typed]") {
  const User user{1, "user", "user@email.com"};
  std::string out;
  BENCHMARK("encode") {
    out.clear();
    strata::router::encode(user, out);
    return out.size();
  };
}

TEST_CASE("user invalid", "[typed]") {
  User user{};
  strata::router::Errors errors;
  std::string out;
  REQUIRE_FALSE(strata::router::decode(kInvalidBody, user, errors));
  BENCHMARK("reject 3 errors, 422 body") {
    errors.clear();
    out.clear();
    strata::router::decode(kInvalidBody, user, errors);
    errors.to_json(out);
    return out.size();
  };
}

TEST_CASE("seed workload", "[seed]") {
  strata::workload::UserEndpoint endpoint;
  std::string out;
  REQUIRE(endpoint(kBody, out) == strata::workload::Status::ok);
  BENCHMARK("hand-written decode + encode") {
    out.clear();
    return endpoint(kBody, out) == strata::workload::Status::ok ? out.size() : 0;
  };
}
