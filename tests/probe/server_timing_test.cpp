// The Server-Timing field tier 2 writes, seen in the bytes of a response
// produced in memory: one field, the phases of this request, and the app's
// own Server-Timing entries merged into it; tier 3's request_id middleware
// gives way to it.
#include <gtest/gtest.h>

#include "app/middleware.hpp"
#include "common/probe.hpp"
#include "parser/harness.hpp"
#include "probe/formats.hpp"

namespace strata::test {
namespace {

size_t count(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

// The value of the one Server-Timing field in `response` ("" if none).
std::string field(std::string_view response) {
  const size_t at = response.find("\r\nServer-Timing: ");
  if (at == std::string_view::npos) return "";
  const size_t start = at + 17;
  return std::string(response.substr(start, response.find("\r\n", start) - start));
}

App answering(std::vector<Header> extra) {
  return [extra](const Scope&, http::Receive& receive, http::Send& send) -> Task<void> {
    co_await receive();
    co_await send.start({200, extra});
    co_await send.body({"ok", false});
  };
}

class ServerTimingField : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!probe::compiled_in()) GTEST_SKIP() << "probes compiled out";
    probe::set_server_timing(true);
  }
  void TearDown() override { probe::set_enabled(false); }
};

TEST_F(ServerTimingField, OneFieldWithTheEnginesPhases) {
  Harness h(answering({}));
  h.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string& out = h.s->written;
  EXPECT_EQ(count(out, "Server-Timing:"), 2u) << out;  // one per response
  std::vector<TimingMetric> m;
  std::string why;
  ASSERT_TRUE(parse_server_timing(field(out), m, why)) << why << ": " << out;
  std::vector<std::string> names;
  for (const auto& x : m) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"parse", "dispatch", "app", "send"})) << field(out);
}

TEST_F(ServerTimingField, TheAppsOwnEntriesJoinTheSameField) {
  Harness h(answering({{"Server-Timing", "db;dur=1.5"}, {"content-type", "text/plain"}, {"server-timing", "cache;desc=\"hit\""}}));
  h.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string& out = h.s->written;
  EXPECT_EQ(count(out, "Server-Timing:") + count(out, "server-timing:"), 1u) << out;
  const std::string v = field(out);
  EXPECT_NE(v.find("parse;dur="), std::string::npos) << v;
  EXPECT_NE(v.find(", db;dur=1.5, cache;desc=\"hit\""), std::string::npos) << v;
  std::vector<TimingMetric> m;
  std::string why;
  EXPECT_TRUE(parse_server_timing(v, m, why)) << why << ": " << v;
}

TEST_F(ServerTimingField, RequestIdLeavesTimingToTheServer) {
  Harness h(app::request_id()(answering({})));
  h.feed("GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\r\n\r\n");
  const std::string& out = h.s->written;
  EXPECT_NE(out.find("\r\nx-request-id: abc\r\n"), std::string::npos) << out;
  EXPECT_EQ(count(out, "erver-Timing:") + count(out, "server-timing:"), 1u) << out;
  std::vector<TimingMetric> m;
  std::string why;
  ASSERT_TRUE(parse_server_timing(field(out), m, why)) << why;
  size_t apps = 0;
  for (const auto& x : m) apps += x.name == "app";
  EXPECT_EQ(apps, 1u) << "one app entry, the engine's: " << field(out);
}

TEST(ServerTimingOff, RequestIdKeepsItsOwnEntry) {
  Harness h(app::request_id()(answering({})));
  h.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(h.s->written.find("\r\nserver-timing: app;dur="), std::string::npos) << h.s->written;
  EXPECT_EQ(h.s->written.find("parse;dur="), std::string::npos) << h.s->written;
}

}  // namespace
}  // namespace strata::test
