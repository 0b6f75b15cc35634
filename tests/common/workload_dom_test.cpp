// json=dom's endpoint (common/workload_dom.hpp) answers every body as the
// on-demand endpoint does: the same status and the same bytes, reasons
// included, so the ablation changes what a request costs and nothing else.
#include <gtest/gtest.h>

#include <string>

#include "common/workload.hpp"
#include "common/workload_dom.hpp"

namespace strata::workload {
namespace {

TEST(DomUserEndpoint, AnswersEveryBodyAsTheOnDemandEndpoint) {
  const char* bodies[] = {
      R"({"id": 1, "name": "user", "email": "user@email.com"})",
      R"({"email": "e", "name": "n", "id": -42, "extra": [1, {"x": null}]})",
      R"({"id": 1, "name": "caf\u00e9 \"q\"", "email": "a\\b"})",
      R"({"id": "one", "name": "user", "email": "e"})",
      R"({"id": 1.5, "name": "user", "email": "e"})",
      R"({"id": 1, "name": 7, "email": "e"})",
      R"({"id": 1, "name": "n", "email": null})",
      R"({"id": 1, "email": "e"})",
      R"({"name": "n", "email": "e"})",
      R"({"id": 1, "name": "n"})",
      R"([1, 2])",
      R"("just a string")",
      R"(42)",
      R"({})",
  };
  UserEndpoint on_demand;
  DomUserEndpoint dom;
  for (const char* body : bodies) {
    std::string want, got;
    const Status ws = on_demand(body, want);
    const Status gs = dom(body, got);
    EXPECT_EQ(ws, gs) << body;
    EXPECT_EQ(want, got) << body;
  }
}

// Malformed JSON: both refuse it with a one-line reason, which may name
// another simdjson error (the DOM parser validates the whole document
// first; on-demand stops where it first trips).
TEST(DomUserEndpoint, RefusesMalformedJsonAsTheOnDemandEndpoint) {
  const char* bodies[] = {"", "{", R"({"id": 1,})", R"({"id": 1, "name": "n", "email": "e"} x)", "nul", R"({"id" 1})"};
  UserEndpoint on_demand;
  DomUserEndpoint dom;
  for (const char* body : bodies) {
    std::string want, got;
    EXPECT_EQ(on_demand(body, want), Status::bad_request) << body;
    EXPECT_EQ(dom(body, got), Status::bad_request) << body;
    EXPECT_FALSE(got.empty()) << body;
    EXPECT_EQ(got.find('\n'), std::string::npos) << body;
  }
}

}  // namespace
}  // namespace strata::workload
