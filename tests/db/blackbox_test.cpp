// `strata serve --database-url` as a client sees it: the real binary on
// --port 0, a SQLite file or a private PostgreSQL cluster under it.
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "blackbox/blackbox.hpp"
#include "temp_postgres.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

std::optional<Response> ping(uint16_t port, std::string_view target = "/db/ping") {
  Client c(port);
  if (!c.ok() || !c.send(get(target))) return std::nullopt;
  return c.read_response();
}

::testing::AssertionResult IsJson(const std::optional<Response>& r, int status, std::string_view body) {
  if (!r) return ::testing::AssertionFailure() << "no response";
  if (r->status != status || r->header("content-type") != "application/json" || r->body != body)
    return ::testing::AssertionFailure() << "expected " << status << " " << body << "; got " << describe(r);
  return ::testing::AssertionSuccess();
}

class DbBlackbox : public BlackboxServerTest {
 protected:
  void TearDown() override {
    BlackboxServerTest::TearDown();
    if (!file_.empty())
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_ + suffix);
  }
  std::string sqlite_url() {
    file_ = (std::filesystem::temp_directory_path() / ("strata-db-bb-" + std::to_string(::getpid()) + ".db")).string();
    return "sqlite:///" + file_;  // an absolute path: sqlite:////tmp/...
  }
  std::string file_;
  std::unique_ptr<testing::TempPostgres> pg_;  // stopped after the servers (TearDown)
};

TEST_F(DbBlackbox, PingAnswersThroughThePoolOnBothTiers) {
  const std::string url = sqlite_url();
  for (const char* tier : {"app", "typed"}) {
    ServerProcess* s = start({"--tier", tier, "--database-url", url});
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(IsJson(ping(s->port()), 200, R"({"database":"ok"})")) << tier;
    EXPECT_TRUE(IsUserOk([&] {
      Client c(s->port());
      c.send(post_user());
      return c.read_response();
    }())) << tier;
  }
}

TEST_F(DbBlackbox, WithoutADatabaseThePingIsAnUnknownPath) {
  ServerProcess* s = start({"--tier", "typed"});
  ASSERT_NE(s, nullptr);
  auto r = ping(s->port());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(DbBlackbox, AnUnreachableDatabaseStopsStartUpNamingTheUrlNotThePassword) {
  const auto r = run_command(kStrataBin, {"serve", "--tier", "typed", "--port", "0", "--database-timeout", "2",
                                          "--database-url",
                                          "postgresql://strata:hunter2@/postgres?host=/nonexistent-strata&port=9"},
                             20s);
  ASSERT_TRUE(r.status) << "still running after 20 s";
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->describe();
  EXPECT_NE(r.err.find("postgresql://strata:***@/postgres"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("listening"), std::string::npos) << "it listened anyway: " << r.out;

  const auto bad = run_command(kStrataBin, {"serve", "--tier", "http", "--database-url", "sqlite:///x.db"}, 20s);
  ASSERT_TRUE(bad.status);
  EXPECT_EQ(bad.status->code, 2);
  EXPECT_NE(bad.err.find("--tier app or --tier typed"), std::string::npos) << bad.err;
}

TEST_F(DbBlackbox, PostgresGoesAwayAnswers503AndComesBackWithoutARestart) {
  pg_ = std::make_unique<testing::TempPostgres>();
  testing::TempPostgres& pg = *pg_;
  for (const char* tier : {"app", "typed"}) {
    ServerProcess* s = start({"--tier", tier, "--database-url", pg.url(), "--database-timeout", "1"});
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(IsJson(ping(s->port()), 200, R"({"database":"ok"})")) << tier;
    pg.stop();
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(IsJson(ping(s->port()), 503, R"({"detail":"database unavailable"})")) << tier;
    EXPECT_TRUE(IsText(ping(s->port(), "/"), kHello)) << "a route without the database is unaffected";
    pg.start();
    bool back = false;
    for (int i = 0; i < 100 && !back; ++i) {
      auto r = ping(s->port());
      back = r && r->status == 200;
      if (!back) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(back) << tier << ": not serving again 10 s after PostgreSQL came back";
  }
}

// The client gives up (RST) while its query is in flight: the connection
// still goes back to the pool clean, and the next request, on that very
// connection (a pool of one), gets its own answer.
TEST_F(DbBlackbox, AClientThatResetsMidQueryLeavesThePoolClean) {
  pg_ = std::make_unique<testing::TempPostgres>();
  ServerProcess* s = start({"--tier", "typed", "--database-url", pg_->url(), "--database-pool", "1"});
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(IsJson(ping(s->port()), 200, R"({"database":"ok"})"));
  ASSERT_GE(pg_->freeze_backends(true), 1);
  {
    Client c(s->port());
    ASSERT_TRUE(c.send(get("/db/ping")));
    std::this_thread::sleep_for(100ms);
    const linger reset{1, 0};
    setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    c.close();
  }
  pg_->freeze_backends(false);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(IsJson(ping(s->port()), 200, R"({"database":"ok"})")) << i;
}

// Every connection busy past --database-timeout: 503 for the one that
// waited, the one holding the connection still gets its answer.
TEST_F(DbBlackbox, AnExhaustedPoolAnswers503AfterTheTimeout) {
  pg_ = std::make_unique<testing::TempPostgres>();
  ServerProcess* s = start({"--tier", "app", "--database-url", pg_->url(), "--database-pool", "1",
                            "--database-timeout", "0.3"});
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(IsJson(ping(s->port()), 200, R"({"database":"ok"})"));
  ASSERT_GE(pg_->freeze_backends(true), 1);
  Client holder(s->port());
  ASSERT_TRUE(holder.send(get("/db/ping")));
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(IsJson(ping(s->port()), 503, R"({"detail":"database busy: no connection became free in time"})"));
  pg_->freeze_backends(false);
  EXPECT_TRUE(IsJson(holder.read_response(), 200, R"({"database":"ok"})"));
}

}  // namespace
}  // namespace strata::test
