// The seed 003 User through tier 4's typed models: what reflection-driven
// decoding with full validation costs next to tier 0's hand-written codec.
//
// BM_UserCodec:       decode + validate + encode of a valid body (the typed
//                     endpoint's work per request, response re-validation included)
// BM_UserDecode:      decode alone
// BM_UserEncode:      encode alone
// BM_UserInvalid:     a body with three errors, rendered as the 422 body
// BM_SeedWorkload:    tier 0's hand-written decode + encode (src/common/workload.cpp)
#include <benchmark/benchmark.h>

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

void BM_UserCodec(benchmark::State& state) {
  User user{};
  strata::router::Errors errors;
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!strata::router::decode(kBody, user, errors) || !strata::router::validate(user, errors))
      state.SkipWithError("invalid");
    strata::router::encode(user, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBody.size()));
}

void BM_UserDecode(benchmark::State& state) {
  User user{};
  strata::router::Errors errors;
  for (auto _ : state) {
    if (!strata::router::decode(kBody, user, errors)) state.SkipWithError("invalid");
    benchmark::DoNotOptimize(user);
  }
}

void BM_UserEncode(benchmark::State& state) {
  const User user{1, "user", "user@email.com"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    strata::router::encode(user, out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_UserInvalid(benchmark::State& state) {
  constexpr std::string_view body = R"({"id": "one", "email": 5})";
  User user{};
  strata::router::Errors errors;
  std::string out;
  for (auto _ : state) {
    errors.clear();
    out.clear();
    if (strata::router::decode(body, user, errors)) state.SkipWithError("accepted");
    errors.to_json(out);
    benchmark::DoNotOptimize(out.data());
  }
}

void BM_SeedWorkload(benchmark::State& state) {
  strata::workload::UserEndpoint endpoint;
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (endpoint(kBody, out) != strata::workload::Status::ok) state.SkipWithError("invalid");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBody.size()));
}

BENCHMARK(BM_UserCodec);
BENCHMARK(BM_UserDecode);
BENCHMARK(BM_UserEncode);
BENCHMARK(BM_UserInvalid);
BENCHMARK(BM_SeedWorkload);

}  // namespace

BENCHMARK_MAIN();
