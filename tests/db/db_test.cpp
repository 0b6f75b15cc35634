// The database layer on a real loop against real servers: every test runs
// on SQLite (a fresh file) and on PostgreSQL (a private cluster started for
// this program), and ends with uv_loop_close() == 0.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>

#include <boost/describe.hpp>

#include "db/db.hpp"
#include "temp_postgres.hpp"

namespace db = strata::db;
using strata::Task;
using namespace std::chrono;

namespace {

strata::testing::TempPostgres* g_pg = nullptr;

class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { g_pg = new strata::testing::TempPostgres(); }
  void TearDown() override {
    delete g_pg;
    g_pg = nullptr;
  }
};

// One loop with a thread pool, a Database and its pool on that loop.
class Rig {
 public:
  explicit Rig(db::Config config) : threads_(2) {
    uv_loop_init(&loop_);
    executor_ = std::make_unique<strata::app::LoopExecutor>(&loop_, threads_);
    database_ = std::make_unique<db::Database>(std::move(config));
    pool_ = database_->open_pool(&loop_, executor_.get());
  }
  ~Rig() { EXPECT_EQ(close(), 0); }

  db::Pool& pool() { return *pool_; }
  uv_loop_t* loop() { return &loop_; }

  // Runs `body` to completion on the loop; rethrows what it threw.
  void run(std::function<Task<void>(db::Pool&)> body) {
    Task<void> t = body(*pool_);
    bool done = false;
    t.start([](void* d) { *static_cast<bool*>(d) = true; }, &done);
    while (!done) uv_run(&loop_, UV_RUN_ONCE);
    if (t.error()) std::rethrow_exception(t.error());
  }
  // Lets the loop run for `ms` (background connects, reconnects).
  void spin(uint64_t ms) {
    uv_timer_t t;
    uv_timer_init(&loop_, &t);
    bool fired = false;
    t.data = &fired;
    uv_timer_start(&t, [](uv_timer_t* h) { *static_cast<bool*>(h->data) = true; }, ms, 0);
    while (!fired) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  int close() {
    if (closed_) return 0;
    closed_ = true;
    pool_.reset();
    executor_->close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    return uv_loop_close(&loop_);
  }

 private:
  uv_loop_t loop_;
  strata::app::ThreadPool threads_;
  std::unique_ptr<strata::app::LoopExecutor> executor_;
  std::unique_ptr<db::Database> database_;
  std::unique_ptr<db::Pool> pool_;
  bool closed_ = false;
};

struct Item {
  int64_t id;
  std::string name;
  double price;
  bool active;
  std::optional<int64_t> stock;
  std::optional<std::string> note;
  system_clock::time_point created;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, name, price, active, stock, note, created))

class DbTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool pg() const { return GetParam() == "postgresql"; }
  db::Config config() {
    db::Config c;
    if (pg()) {
      c.url = g_pg->url();
    } else {
      file_ = std::filesystem::temp_directory_path() /
              ("strata-db-test-" + std::to_string(::getpid()) + "-" + table() + ".db");
      c.url = "sqlite:///" + file_.string();  // sqlite:////tmp/... : absolute
    }
    c.pool_size = 2;
    c.acquire_timeout_ms = 2000;
    c.log = [](std::string_view) {};
    return c;
  }
  void TearDown() override {
    if (!file_.empty())
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_.string() + suffix);
  }
  // A table name of this test's own, so tests share the cluster safely.
  std::string table() const {
    std::string n = std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& ch : n)
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    // PostgreSQL cuts identifiers at 63 bytes: keep names short and distinct.
    return n.substr(0, 40) + "_" + std::to_string(std::hash<std::string>{}(n) % 100000);
  }
  std::string create_items() const {
    return "CREATE TABLE " + table() +
           (pg() ? " (id bigint PRIMARY KEY, name text NOT NULL UNIQUE, price double precision, active boolean, "
                   "stock bigint, note text, created timestamptz)"
                 : " (id integer PRIMARY KEY, name text NOT NULL UNIQUE, price real, active boolean, stock integer, "
                   "note text, created text)");
  }
  std::filesystem::path file_;
};

Task<void> reset_table(db::Pool& p, const std::string& table, const std::string& create) {
  co_await p.query("DROP TABLE IF EXISTS " + table);
  co_await p.query(create);
}

TEST_P(DbTest, EveryTypeAndNullRoundTrips) {
  Rig rig(config());
  std::vector<Item> items;
  rig.run([&](db::Pool& p) -> Task<void> {
    co_await reset_table(p, table(), create_items());
    const std::string ins = "INSERT INTO " + table() +
                            " (id, name, price, active, stock, note, created) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    co_await p.query(ins, 1, "widget", 2.5, true, int64_t{7}, std::string("fragile"), "2024-01-02T03:04:05Z");
    co_await p.query(ins, int64_t{1} << 40, "gadget", -0.125, false, std::optional<int64_t>(), std::nullopt,
                     "2024-01-02T03:04:05.5Z");
    items = co_await p.query<Item>("SELECT id, name, price, active, stock, note, created FROM " + table() +
                                   " ORDER BY id");
  });
  ASSERT_EQ(items.size(), 2u);
  const auto t = sys_days{2024y / 1 / 2} + 3h + 4min + 5s;
  EXPECT_EQ(items[0].id, 1);
  EXPECT_EQ(items[0].name, "widget");
  EXPECT_DOUBLE_EQ(items[0].price, 2.5);
  EXPECT_TRUE(items[0].active);
  EXPECT_EQ(items[0].stock, 7);
  EXPECT_EQ(items[0].note, "fragile");
  EXPECT_EQ(items[0].created, t);
  EXPECT_EQ(items[1].id, int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(items[1].price, -0.125);
  EXPECT_FALSE(items[1].active);
  EXPECT_FALSE(items[1].stock.has_value());
  EXPECT_FALSE(items[1].note.has_value());
  EXPECT_EQ(items[1].created, t + 500ms);
}

TEST_P(DbTest, HostileStringsAreBoundNeverPasted) {
  Rig rig(config());
  const std::vector<std::string> hostile = {
      "O'Brien",  "'; DROP TABLE " + table() + "; --", "\"quoted\"", "back\\slash", "100% _match_",
      "Ünïcödé ✓ 日本", "$1", std::string(10000, 'x'), "", "\t\r\n"};
  std::vector<std::string> back;
  int64_t count = 0;
  rig.run([&](db::Pool& p) -> Task<void> {
    co_await reset_table(p, table(), create_items());
    for (size_t i = 0; i < hostile.size(); ++i)
      co_await p.query("INSERT INTO " + table() + " (id, name) VALUES ($1, $2)", i, hostile[i]);
    for (const auto& s : hostile) {
      db::Rows r = co_await p.query("SELECT name FROM " + table() + " WHERE name = $1", s);
      back.push_back(r.size() == 1 ? std::string(r[0].text(0)) : "<" + std::to_string(r.size()) + " rows>");
    }
    db::Rows c = co_await p.query("SELECT count(*) AS n FROM " + table());
    count = c[0].get<int64_t>("n");
  });
  EXPECT_EQ(back, hostile);
  EXPECT_EQ(count, static_cast<int64_t>(hostile.size()));
}

TEST_P(DbTest, ANulByteIsRefusedByPostgresAndKeptBySqlite) {
  Rig rig(config());
  const std::string with_nul("a\0b", 3);
  std::string got;
  bool refused = false;
  rig.run([&](db::Pool& p) -> Task<void> {
    try {
      db::Rows r = co_await p.query("SELECT $1 AS v", with_nul);
      got = std::string(r[0].text(0));
    } catch (const db::Error&) {
      refused = true;
    }
    // Either way the connection still answers.
    db::Rows one = co_await p.query("SELECT 1 AS one");
    EXPECT_EQ(one[0].get<int>("one"), 1);
  });
  if (pg()) EXPECT_TRUE(refused);
  else EXPECT_EQ(got, with_nul);
}

TEST_P(DbTest, PipelinedStatementsAnswerInOrderAndFailTogether) {
  Rig rig(config());
  std::vector<int64_t> firsts;
  bool failed = false;
  int64_t left = -1;
  rig.run([&](db::Pool& p) -> Task<void> {
    co_await reset_table(p, table(), create_items());
    db::Lease lease = co_await p.acquire();
    const std::string ins = "INSERT INTO " + table() + " (id, name) VALUES ($1, $2)";
    // (A braced list straight into a co_await trips GCC 12: name the batch.)
    const std::vector<db::Statement> good = {{"SELECT $1 + 0 AS v", {db::to_param(1)}},
                                             {"SELECT $1 + 0 AS v", {db::to_param(2)}},
                                             {ins, {db::to_param(1), db::to_param("a")}}};
    auto rows = co_await lease.pipeline(good);
    for (size_t i = 0; i < 2; ++i) firsts.push_back(rows[i][0].get<int64_t>("v"));
    EXPECT_EQ(rows[2].affected(), 1u);
    try {
      const std::vector<db::Statement> bad = {{ins, {db::to_param(2), db::to_param("b")}},
                                              {"SELECT * FROM no_such_table", {}},
                                              {ins, {db::to_param(3), db::to_param("c")}}};
      co_await lease.pipeline(bad);
    } catch (const db::Error& e) {
      failed = std::string(e.what()).find("no_such_table") != std::string::npos;
    }
    db::Rows c = co_await lease.query("SELECT count(*) AS n FROM " + table());
    left = c[0].get<int64_t>("n");
  });
  EXPECT_EQ(firsts, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(failed);
  EXPECT_EQ(left, 1) << "a failed batch is one transaction: nothing of it stays";
}

TEST_P(DbTest, TransactionsCommitRollBackAndNeverLeakToTheNextUser) {
  Rig rig(config());
  int64_t count = -1;
  bool second_clean = false;
  rig.run([&](db::Pool& p) -> Task<void> {
    co_await reset_table(p, table(), create_items());
    const std::string ins = "INSERT INTO " + table() + " (id, name) VALUES ($1, $2)";
    db::Lease lease = co_await p.acquire();
    co_await lease.transaction([&](db::Lease& tx) -> Task<void> { co_await tx.query(ins, 1, "kept"); });
    try {
      co_await lease.transaction([&](db::Lease& tx) -> Task<void> {
        co_await tx.query(ins, 2, "dropped");
        throw std::runtime_error("handler failed");
      });
    } catch (const std::runtime_error&) {
    }
    // A lease returned mid-transaction: the pool rolls it back first.
    co_await lease.query("BEGIN");
    co_await lease.query(ins, 3, "abandoned");
    lease.release();
    db::Lease a = co_await p.acquire();
    db::Lease b = co_await p.acquire();  // pool of 2: one of them is the abandoned connection
    db::Rows ra = co_await a.query("SELECT count(*) AS n FROM " + table());
    db::Rows rb = co_await b.query("SELECT count(*) AS n FROM " + table());
    count = std::max(ra[0].get<int64_t>("n"), rb[0].get<int64_t>("n"));
    // BEGIN works on both: neither is still inside a transaction.
    co_await a.query("BEGIN");
    co_await b.query("BEGIN");
    co_await a.query("ROLLBACK");
    co_await b.query("ROLLBACK");
    second_clean = true;
  });
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(second_clean);
}

TEST_P(DbTest, ConstraintViolationsAndQueryErrorsLeaveTheConnectionUsable) {
  Rig rig(config());
  bool constraint = false, error = false;
  std::string message;
  int64_t after = 0;
  rig.run([&](db::Pool& p) -> Task<void> {
    co_await reset_table(p, table(), create_items());
    db::Lease lease = co_await p.acquire();
    const std::string ins = "INSERT INTO " + table() + " (id, name) VALUES ($1, $2)";
    co_await lease.query(ins, 1, "same");
    try {
      co_await lease.query(ins, 2, "same");
    } catch (const db::ConstraintViolation&) {
      constraint = true;
    }
    try {
      co_await lease.query("SELEC oops");
    } catch (const db::Error& e) {
      error = true;
      message = e.what();
    }
    db::Rows r = co_await lease.query("SELECT count(*) AS n FROM " + table());
    after = r[0].get<int64_t>("n");
  });
  EXPECT_TRUE(constraint);
  EXPECT_TRUE(error);
  EXPECT_NE(message.find("syntax error"), std::string::npos) << message;
  EXPECT_EQ(after, 1);
}

TEST_P(DbTest, AnExhaustedPoolAnswersUnavailableAfterTheTimeout) {
  db::Config c = config();
  c.pool_size = 1;
  c.acquire_timeout_ms = 150;
  Rig rig(c);
  int status = 0;
  bool later = false;
  uint64_t waited = 0;
  rig.run([&](db::Pool& p) -> Task<void> {
    db::Lease held = co_await p.acquire();
    const uint64_t t0 = uv_now(rig.loop());
    try {
      db::Lease second = co_await p.acquire();
    } catch (const db::Unavailable& e) {
      status = e.status();
    }
    uv_update_time(rig.loop());
    waited = uv_now(rig.loop()) - t0;
    held.release();
    db::Lease again = co_await p.acquire();
    later = static_cast<bool>(again);
  });
  EXPECT_EQ(status, 503);
  EXPECT_GE(waited, 150u);
  EXPECT_TRUE(later);
}

TEST_P(DbTest, WaitersAreServedInOrderAsConnectionsReturn) {
  db::Config c = config();
  c.pool_size = 1;
  Rig rig(c);
  std::vector<int> order;
  rig.run([&](db::Pool& p) -> Task<void> {
    db::Lease first = co_await p.acquire();
    auto waiter = [&](int n) -> Task<void> {
      db::Lease l = co_await p.acquire();
      db::Rows r = co_await l.query("SELECT $1 + 0 AS n", n);
      order.push_back(r[0].get<int>("n"));
    };
    Task<void> a = waiter(1), b = waiter(2);
    bool da = false, db_ = false;
    a.start([](void* d) { *static_cast<bool*>(d) = true; }, &da);
    b.start([](void* d) { *static_cast<bool*>(d) = true; }, &db_);
    EXPECT_EQ(p.stats().waiting, 2u);
    first.release();
    while (!da || !db_) co_await p.query("SELECT 1");  // yields to the loop until both ran
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

INSTANTIATE_TEST_SUITE_P(Backends, DbTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

// ------------------------------------------------------------------ PostgreSQL faults

db::Config pg_config() {
  db::Config c;
  c.url = g_pg->url();
  c.pool_size = 2;
  c.acquire_timeout_ms = 1000;
  c.connect_timeout_ms = 2000;
  c.log = [](std::string_view) {};
  return c;
}

// Under CTest the cluster is a copy of the fixture's template, not a fresh
// initdb (tests/db/CMakeLists.txt): a script that silently fell back would
// cost every black-box test of this folder its second again.
TEST(DbPostgres, UnderCTestTheClusterIsCopiedFromTheTemplate) {
  if (!std::filesystem::exists(STRATA_PG_TEMPLATE "/data/PG_VERSION"))
    GTEST_SKIP() << "no template at " STRATA_PG_TEMPLATE " (run through ctest, which makes it)";
  EXPECT_TRUE(std::filesystem::exists(g_pg->dir() + "/data/PG_VERSION"));
  EXPECT_FALSE(std::filesystem::exists(g_pg->dir() + "/initdb.log")) << "initdb ran instead of a copy";
}

TEST(DbPostgres, UnreachableAtStartNamesTheUrlWithoutThePassword) {
  db::Database d({.url = "postgresql://strata:hunter2@/postgres?host=/nonexistent-strata-dir&port=1",
                  .connect_timeout_ms = 2000});
  try {
    d.check();
    FAIL() << "connected to nothing";
  } catch (const db::Unavailable& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("postgresql://strata:***@/postgres"), std::string::npos) << m;
    EXPECT_NE(m.find("nonexistent-strata-dir"), std::string::npos) << m;
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(db::Database({.url = g_pg->url()}).check());
}

TEST(DbPostgres, ServerStoppedThen503ThenServiceResumesByItself) {
  Rig rig(pg_config());
  rig.run([&](db::Pool& p) -> Task<void> {
    db::Rows r = co_await p.query("SELECT 1 AS one");
    EXPECT_EQ(r[0].get<int>("one"), 1);
  });
  g_pg->stop();
  rig.spin(50);  // the idle connections see the server go
  int status = 0;
  rig.run([&](db::Pool& p) -> Task<void> {
    try {
      co_await p.query("SELECT 1");
    } catch (const db::Unavailable& e) {
      status = e.status();
    }
  });
  EXPECT_EQ(status, 503);
  g_pg->start();
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    rig.run([&](db::Pool& p) -> Task<void> {
      try {
        db::Rows r = co_await p.query("SELECT 2 AS two");
        back = r[0].get<int>("two") == 2;
      } catch (const db::Unavailable&) {
      }
    });
    if (!back) rig.spin(100);
  }
  EXPECT_TRUE(back) << "the pool did not reconnect within 10 s";
  EXPECT_GE(rig.pool().stats().reconnects, 1u);
}

TEST(DbPostgres, ARequestTornDownMidQueryNeverHandsItsConnectionOn) {
  db::Config c = pg_config();
  c.pool_size = 1;
  Rig rig(c);
  {
    auto slow = [](db::Pool& p) -> Task<void> {
      db::Lease l = co_await p.acquire();
      co_await l.query("SELECT pg_sleep(0.3), 'late' AS v");
      ADD_FAILURE() << "resumed after being torn down";
    };
    Task<void> t = slow(rig.pool());
    t.start([](void*) {}, nullptr);
    rig.spin(50);
    t.reset();  // the frame (and its lease) go while the query runs
  }
  std::string v;
  rig.run([&](db::Pool& p) -> Task<void> {
    db::Rows r = co_await p.query("SELECT 'fresh' AS v");
    v = std::string(r[0].text("v"));
  });
  EXPECT_EQ(v, "fresh");
}

// A server that stops answering (its backend frozen) does not hold the
// request for ever: the query times out, its connection is replaced.
TEST(DbPostgres, AQueryWithNoAnswerTimesOutAndItsConnectionIsReplaced) {
  db::Config c = pg_config();
  c.pool_size = 1;
  c.query_timeout_ms = 200;
  Rig rig(c);
  rig.run([&](db::Pool& p) -> Task<void> { co_await p.query("SELECT 1"); });
  ASSERT_GE(g_pg->freeze_backends(true), 1);
  int status = 0;
  std::string detail;
  rig.run([&](db::Pool& p) -> Task<void> {
    try {
      co_await p.query("SELECT 1");
    } catch (const db::Unavailable& e) {
      status = e.status();
      detail = e.detail();
    }
  });
  g_pg->freeze_backends(false);
  EXPECT_EQ(status, 503);
  EXPECT_EQ(detail, "database did not answer in time");
  std::string v;
  rig.run([&](db::Pool& p) -> Task<void> {
    db::Rows r = co_await p.query("SELECT 'again' AS v");
    v = std::string(r[0].text("v"));
  });
  EXPECT_EQ(v, "again");
}

TEST(DbSqlite, MemoryDatabaseIsSharedByThePoolsConnections) {
  db::Config c;
  c.url = "sqlite:///:memory:";
  c.pool_size = 2;
  Rig rig(c);
  int64_t n = 0;
  rig.run([&](db::Pool& p) -> Task<void> {
    co_await p.query("CREATE TABLE m (x integer)");
    db::Lease a = co_await p.acquire();
    db::Lease b = co_await p.acquire();
    co_await a.query("INSERT INTO m VALUES ($1)", 5);
    db::Rows r = co_await b.query("SELECT x FROM m");
    n = r.empty() ? 0 : r[0].get<int64_t>(0);
  });
  EXPECT_EQ(n, 5);
}

TEST(DbSqlite, UnopenablePathIsAClearStartupError) {
  db::Database d({.url = "sqlite:////nonexistent-strata-dir/x.db"});
  try {
    d.check();
    FAIL() << "opened";
  } catch (const db::Unavailable& e) {
    EXPECT_NE(std::string(e.what()).find("sqlite:////nonexistent-strata-dir/x.db"), std::string::npos) << e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new PgEnvironment);
  return RUN_ALL_TESTS();
}
