// What strata's asynchronous PostgreSQL path costs against libpq used the
// plain blocking way, on the same private cluster (scripts/pg-temp.sh) and
// the same statement: one row by primary key (`bench_db_query`).
//
// "libpq blocking PQexecParams"   unnamed statement, parsed every time
// "libpq blocking PQexecPrepared" prepared once, as strata's pool does
// "strata pool.query"             acquire + query + release through the
//                                 pool, a uv_poll wake-up and a coroutine
//                                 resume, one loop turn per query
// "strata 3 sequential"/"3 pipelined": the seed 001 shape, three queries
//                                 for one request, awaited one by one or
//                                 sent as one batch
// Wall time mixes in the server; the "cpu per query" case prints the
// client's CPU (getrusage) and the server backend's (/proc/PID/stat) per
// query for each way, which is the figure to compare.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include <libpq-fe.h>
#include <uv.h>

#include "db/db.hpp"

namespace {

using namespace strata;

const char* const kSql = "SELECT id, name FROM bench_kv WHERE id = $1";

struct Cluster {
  std::string dir, url;
  Cluster() {
    char tmpl[] = "/tmp/strata-bench-pg-XXXXXX";
    dir = mkdtemp(tmpl);
    url = run("start");
    PGconn* c = PQconnectdb(url.c_str());
    PQclear(PQexec(c, "CREATE TABLE IF NOT EXISTS bench_kv (id int PRIMARY KEY, name text);"
                      "INSERT INTO bench_kv SELECT g, 'name ' || g FROM generate_series(1, 1000) g "
                      "ON CONFLICT DO NOTHING"));
    PQfinish(c);
  }
  ~Cluster() { run("destroy"); }
  std::string run(const char* cmd) {
    std::string out;
    if (FILE* p = popen((std::string(STRATA_PG_TEMP) + " " + cmd + " " + dir).c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
};

Cluster& cluster() {
  static Cluster c;
  return c;
}

// One loop with a pool of one connection, running a coroutine to its end.
struct Rig {
  uv_loop_t loop;
  app::ThreadPool threads{1};
  std::unique_ptr<app::LoopExecutor> executor;
  std::unique_ptr<db::Database> database;
  std::unique_ptr<db::Pool> pool;
  Rig() {
    uv_loop_init(&loop);
    executor = std::make_unique<app::LoopExecutor>(&loop, threads);
    db::Config c;
    c.url = cluster().url;
    c.pool_size = 1;
    database = std::make_unique<db::Database>(c);
    pool = database->open_pool(&loop, executor.get());
  }
  ~Rig() {
    pool.reset();
    executor->close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  void run(const std::function<Task<void>(db::Pool&)>& body) {
    Task<void> t = body(*pool);
    bool done = false;
    t.start([](void* d) { *static_cast<bool*>(d) = true; }, &done);
    while (!done) uv_run(&loop, UV_RUN_ONCE);
  }
};

int g_id = 0;
int next_id() { return g_id = g_id % 1000 + 1; }

Task<void> one(db::Pool& p) {
  db::Rows r = co_await p.query(kSql, next_id());
  if (r.size() != 1) throw std::runtime_error("no row");
}
Task<void> three_sequential(db::Pool& p) {
  db::Lease l = co_await p.acquire();
  for (int i = 0; i < 3; ++i) co_await l.query(kSql, next_id());
}
Task<void> three_pipelined(db::Pool& p) {
  db::Lease l = co_await p.acquire();
  const std::vector<db::Statement> batch = {{kSql, {db::to_param(next_id())}},
                                            {kSql, {db::to_param(next_id())}},
                                            {kSql, {db::to_param(next_id())}}};
  auto rows = co_await l.pipeline(batch);
  if (rows.size() != 3) throw std::runtime_error("short batch");
}

struct Blocking {
  PGconn* c;
  Blocking() {
    c = PQconnectdb(cluster().url.c_str());
    PQclear(PQprepare(c, "one", kSql, 1, nullptr));
  }
  ~Blocking() { PQfinish(c); }
  void exec_params() {
    const std::string id = std::to_string(next_id());
    const char* v[] = {id.c_str()};
    PQclear(PQexecParams(c, kSql, 1, nullptr, v, nullptr, nullptr, 0));
  }
  void exec_prepared() {
    const std::string id = std::to_string(next_id());
    const char* v[] = {id.c_str()};
    PQclear(PQexecPrepared(c, "one", 1, v, nullptr, nullptr, 0));
  }
  int backend() const { return PQbackendPID(c); }
};

double cpu_seconds_self() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double cpu_seconds_of(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  const size_t close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(s.substr(close + 2));
  std::string field;
  unsigned long long ut = 0, st = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) ut = std::stoull(field);
    if (i == 15) st = std::stoull(field);
  }
  return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int strata_backend(Rig& rig) {
  int pid = 0;
  rig.run([&](db::Pool& p) -> Task<void> {
    db::Rows r = co_await p.query("SELECT pg_backend_pid() AS pid");
    pid = r[0].get<int>("pid");
  });
  return pid;
}

}  // namespace

TEST_CASE("one row by primary key") {
  Blocking blocking;
  Rig rig;
  rig.run(one);  // connect and prepare before timing
  BENCHMARK("libpq blocking PQexecParams") { blocking.exec_params(); };
  BENCHMARK("libpq blocking PQexecPrepared") { blocking.exec_prepared(); };
  BENCHMARK("strata pool.query") { rig.run(one); };
  BENCHMARK("strata 3 sequential") { rig.run(three_sequential); };
  BENCHMARK("strata 3 pipelined") { rig.run(three_pipelined); };
}

TEST_CASE("cpu per query") {
  constexpr int n = 20000;
  Blocking blocking;
  Rig rig;
  rig.run(one);
  const int strata_pid = strata_backend(rig);
  auto measure = [&](const char* name, int backend, int queries_per_call, const std::function<void()>& call) {
    const double c0 = cpu_seconds_self(), s0 = cpu_seconds_of(backend);
    for (int i = 0; i < n; ++i) call();
    const double c1 = cpu_seconds_self(), s1 = cpu_seconds_of(backend);
    const double q = static_cast<double>(n) * queries_per_call;
    std::printf("%-32s client %6.2f us/query   server backend %6.2f us/query\n", name, (c1 - c0) / q * 1e6,
                (s1 - s0) / q * 1e6);
  };
  std::printf("\n%d calls each, CPU time per query:\n", n);
  measure("libpq blocking PQexecParams", blocking.backend(), 1, [&] { blocking.exec_params(); });
  measure("libpq blocking PQexecPrepared", blocking.backend(), 1, [&] { blocking.exec_prepared(); });
  measure("strata pool.query", strata_pid, 1, [&] { rig.run(one); });
  measure("strata 3 sequential", strata_pid, 3, [&] { rig.run(three_sequential); });
  measure("strata 3 pipelined", strata_pid, 3, [&] { rig.run(three_pipelined); });
}
