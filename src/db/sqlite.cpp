// SQLite, the embedded default: its calls block, so every batch runs as one
// job on tier 3's thread pool and the coroutine resumes on the loop. A
// connection is used by one lease, hence one job, at a time (SQLite's
// multi-thread mode: no mutex of its own). WAL lets readers and a writer
// share a file; a busy timeout makes writers wait instead of failing.
//
// Parameters are written `$1`, `$2`, ... as for PostgreSQL (SQLite reads
// them as named parameters; `?` and `?NNN` work too).
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "app/threadpool.hpp"
#include "db/backend.hpp"

namespace strata::db {

namespace {

constexpr size_t kMaxCached = 256;

std::string open_name(const Config& config, const std::string& path) {
  if (path != ":memory:") return path;
  // One in-memory database per Database, shared by its connections.
  char buf[64];
  std::snprintf(buf, sizeof buf, "file:strata-memory-%p?mode=memory&cache=shared", static_cast<const void*>(&config));
  return buf;
}

// Opens and configures; "" or the reason it failed.
std::string open_db(const Config& config, const std::string& path, sqlite3** out) {
  const std::string name = open_name(config, path);
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  std::string why;
  if (rc != SQLITE_OK) {
    why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  } else {
    sqlite3_busy_timeout(db, static_cast<int>(config.busy_timeout_ms));
    sqlite3_extended_result_codes(db, 1);
    const char* setup = path == ":memory:" ? "PRAGMA foreign_keys=ON"
                                           : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON";
    char* err = nullptr;
    if (sqlite3_exec(db, setup, nullptr, nullptr, &err) != SQLITE_OK) {
      why = err ? err : sqlite3_errmsg(db);
      sqlite3_free(err);
    }
  }
  if (!why.empty()) {
    sqlite3_close_v2(db);
    return why;
  }
  *out = db;
  return {};
}

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, app::LoopExecutor* executor) : db_(db), executor_(executor) {}
  ~SqliteConnection() override {
    for (auto& [sql, st] : cache_) sqlite3_finalize(st.stmt);
    sqlite3_close_v2(db_);
  }

  Backend backend() const override { return Backend::sqlite; }
  bool broken() const override { return false; }
  bool busy() const override { return busy_; }
  bool in_transaction() const override { return sqlite3_get_autocommit(db_) == 0; }
  void destroy() override {
    // A job still running on the pool holds this connection (its request
    // was torn down mid-query): let it go rather than free it under the job.
    if (!busy_) delete this;
  }

  Task<void> run(std::span<const Statement> batch, std::vector<Rows>& out) override {
    busy_ = true;
    std::exception_ptr failed;
    try {
      co_await executor_->run([&] { run_blocking(batch, out); });
    } catch (...) {
      failed = std::current_exception();
    }
    busy_ = false;
    if (failed) std::rethrow_exception(failed);
  }

 private:
  struct Cached {
    sqlite3_stmt* stmt;
    std::vector<int> position;  // bind index - 1 -> parameter index ($N - 1)
    int needs;                  // the highest $N used
  };

  [[noreturn]] void fail(int rc, std::string_view sql = {}) {
    std::string msg = sqlite3_errmsg(db_);
    if (!sql.empty()) msg.append(" [SQL: ").append(sql.substr(0, 300)).append("]");
    if ((rc & 0xff) == SQLITE_CONSTRAINT) throw ConstraintViolation(msg, "23000");
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      log_ = "sqlite: " + msg;
      throw Unavailable("database busy");
    }
    throw Error(msg);
  }

  Cached& statement(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* st = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &st,
                                      &tail);
    if (rc != SQLITE_OK) fail(rc, sql);
    if (!st) throw Error("empty statement");
    while (tail && *tail && std::strchr(" \t\r\n;", *tail)) ++tail;
    if (tail && *tail) {
      sqlite3_finalize(st);
      throw Error("one statement per query (text follows the first ';')");
    }
    Cached c{st, {}, 0};
    const int n = sqlite3_bind_parameter_count(st);
    for (int k = 1; k <= n; ++k) {
      const char* name = sqlite3_bind_parameter_name(st, k);
      int pos = k;
      if (name) {
        if ((name[0] != '$' && name[0] != '?') || name[1] < '1' || name[1] > '9') {
          sqlite3_finalize(st);
          throw Error(std::string("parameter ") + name + ": write parameters as $1, $2, ...");
        }
        pos = std::atoi(name + 1);
      }
      c.position.push_back(pos - 1);
      c.needs = std::max(c.needs, pos);
    }
    if (cache_.size() >= kMaxCached) {
      // Too many distinct statements to keep: this one is used once.
      once_ = c;
      return once_;
    }
    return cache_.emplace(std::move(key), std::move(c)).first->second;
  }

  void step(const Statement& s, Rows& rows) {
    Cached& c = statement(s.sql);
    sqlite3_stmt* st = c.stmt;
    struct Reset {
      sqlite3_stmt* st;
      bool finalize;
      ~Reset() {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (finalize) sqlite3_finalize(st);
      }
    } reset{st, &c == &once_};
    if (static_cast<size_t>(c.needs) != s.params.size())
      throw Error("the statement uses " + std::to_string(c.needs) + " parameters, " + std::to_string(s.params.size()) +
                  " given");
    for (size_t k = 0; k < c.position.size(); ++k) {
      const Param& p = s.params[static_cast<size_t>(c.position[k])];
      const int i = static_cast<int>(k + 1);
      int rc = SQLITE_OK;
      switch (p.kind) {
        case Param::Kind::null: rc = sqlite3_bind_null(st, i); break;
        case Param::Kind::integer:
        case Param::Kind::boolean: rc = sqlite3_bind_int64(st, i, p.i); break;
        case Param::Kind::real: rc = sqlite3_bind_double(st, i, p.d); break;
        case Param::Kind::text:
          rc = sqlite3_bind_text64(st, i, p.s.data(), p.s.size(), SQLITE_STATIC, SQLITE_UTF8);
          break;
      }
      if (rc != SQLITE_OK) fail(rc);
    }
    const int nf = sqlite3_column_count(st);
    for (int col = 0; col < nf; ++col) rows.add_column(sqlite3_column_name(st, col));
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) fail(rc, s.sql);
      for (int col = 0; col < nf; ++col) {
        if (sqlite3_column_type(st, col) == SQLITE_NULL) {
          rows.add_cell(nullptr, 0, true);
          continue;
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
        rows.add_cell(text, static_cast<size_t>(sqlite3_column_bytes(st, col)), false);
      }
    }
    rows.set_affected(nf == 0 ? static_cast<uint64_t>(sqlite3_changes64(db_)) : 0);
  }

  void exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) fail(rc);
  }

  // A batch is one implicit transaction, as a PostgreSQL pipeline up to its sync.
  void run_blocking(std::span<const Statement> batch, std::vector<Rows>& out) {
    out.clear();
    out.resize(batch.size());
    const bool wrap = batch.size() > 1 && sqlite3_get_autocommit(db_);
    if (wrap) exec("BEGIN");
    try {
      for (size_t i = 0; i < batch.size(); ++i) step(batch[i], out[i]);
    } catch (...) {
      if (wrap) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    if (wrap) exec("COMMIT");
  }

  sqlite3* db_;
  app::LoopExecutor* executor_;
  bool busy_ = false;
  std::unordered_map<std::string, Cached> cache_;
  Cached once_{};
  std::string log_;
};

struct Opening {
  Task<void> task;
};

Task<void> open_on_pool(const Config* config, std::string path, app::LoopExecutor* executor, ConnectDone done) {
  sqlite3* db = nullptr;
  std::string why;
  try {
    why = co_await executor->run([&] { return open_db(*config, path, &db); });
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (!why.empty()) done(nullptr, why);
  else done(new SqliteConnection(db, executor), "");
}

}  // namespace

void connect_sqlite(const Config& config, const std::string& path, uv_loop_t*, app::LoopExecutor* executor,
                    ConnectDone done) {
  auto* op = new Opening{open_on_pool(&config, path, executor, std::move(done))};
  op->task.start([](void* p) { delete static_cast<Opening*>(p); }, op);
}

std::shared_ptr<void> keep_memory_database(const Config& config) {
  sqlite3* db = nullptr;
  if (!open_db(config, ":memory:", &db).empty()) return nullptr;
  return std::shared_ptr<void>(db, [](void* p) { sqlite3_close_v2(static_cast<sqlite3*>(p)); });
}

std::string check_sqlite(const Config& config, const std::string& path) {
  sqlite3* db = nullptr;
  std::string why = open_db(config, path, &db);
  if (!why.empty()) return why;
  char* err = nullptr;
  // Reading the schema proves the file is a database, not just openable.
  if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, &err) != SQLITE_OK) {
    why = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
  }
  sqlite3_close_v2(db);
  return why;
}

}  // namespace strata::db
