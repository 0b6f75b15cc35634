// `strata invoke` as a black box, on the runtime tests' event fixtures: the
// same events, the same documents, no Runtime API.
#include <gtest/gtest.h>

#include <string>

#include "kit/process.hpp"
#include "lambda/helpers.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

kit::RunResult strata_invoke(const std::vector<std::string>& args) {
  kit::SpawnSpec spec;
  spec.argv = {STRATA_BIN, "invoke"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  return kit::run_to_end(spec, 20s);
}

std::string fixture_path(std::string_view name) { return events_dir() + "/" + std::string(name); }

TEST(StrataInvoke, EachEventKindThroughEachTier) {
  for (const char* tier : {"app", "typed"}) {
    for (const char* fixture : {"rest_v1_get_index.json", "http_v2_get_index.json", "alb_get_index.json"}) {
      const auto r = strata_invoke({"--tier", tier, fixture_path(fixture)});
      ASSERT_TRUE(r.ok()) << tier << " " << fixture << ": " << r.err;
      const JsonDoc d(r.out);
      ASSERT_TRUE(d.ok()) << r.out;
      EXPECT_EQ(d.num("/statusCode"), 200) << tier << " " << fixture;
      EXPECT_EQ(d.str("/body"), "Hello Jürgen") << tier << " " << fixture;
      EXPECT_EQ(d.has("/statusDescription"), std::string_view(fixture).starts_with("alb")) << fixture;
    }
    for (const char* fixture : {"rest_v1_post_user.json", "http_v2_post_user_base64.json"}) {
      const auto r = strata_invoke({"--tier", tier, fixture_path(fixture)});
      ASSERT_TRUE(r.ok()) << r.err;
      const JsonDoc d(r.out);
      EXPECT_EQ(d.num("/statusCode"), 200) << tier << " " << fixture << ": " << r.out;
      EXPECT_EQ(JsonDoc(d.str("/body")).str("/name"), "user") << r.out;
    }
  }
}

TEST(StrataInvoke, ARouteTheTierDoesNotServeIsA404Document) {
  const auto r = strata_invoke({"--tier", "typed", fixture_path("http_v2_echo_binary.json")});
  ASSERT_TRUE(r.ok()) << r.err;
  EXPECT_EQ(JsonDoc(r.out).num("/statusCode"), 404);
}

TEST(StrataInvoke, ReadsTheEventFromStdin) {
  kit::SpawnSpec spec;
  spec.argv = {"/bin/sh", "-c", std::string("exec \"$0\" invoke --tier app - < \"$1\""), STRATA_BIN,
               fixture_path("alb_multi_get_cookies.json")};
  const auto r = kit::run_to_end(spec, 20s);
  ASSERT_TRUE(r.ok()) << r.err;
  const JsonDoc d(r.out);
  EXPECT_EQ(d.num("/statusCode"), 404);  // no /cookies in the seed routes
  EXPECT_TRUE(d.has("/multiValueHeaders"));
}

TEST(StrataInvoke, AMalformedEventIsExit1AndOneSentence) {
  for (const char* fixture : {"malformed_not_json.json", "malformed_s3_event.json", "malformed_bad_base64.json"}) {
    const auto r = strata_invoke({"--tier", "typed", fixture_path(fixture)});
    ASSERT_TRUE(r.status && r.status->exited) << fixture;
    EXPECT_EQ(r.status->code, 1) << fixture;
    EXPECT_EQ(r.out, "") << fixture;
    EXPECT_TRUE(r.err.starts_with("strata invoke: ")) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  }
}

TEST(StrataInvoke, AnUnreadableFileIsExit1AndOneSentence) {
  const auto r = strata_invoke({"--tier", "app", events_dir() + "/no-such-event.json"});
  ASSERT_TRUE(r.status && r.status->exited);
  EXPECT_EQ(r.status->code, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
}

TEST(StrataInvoke, AnUnknownTierIsABadArgument) {
  const auto r = strata_invoke({"--tier", "raw", fixture_path("alb_get_index.json")});
  ASSERT_TRUE(r.status && r.status->exited);
  EXPECT_EQ(r.status->code, 2);
}

}  // namespace
}  // namespace strata::test
