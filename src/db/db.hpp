// The database layer: PostgreSQL on the worker's own event loop, SQLite on
// tier 3's thread pool, one interface for both.
//
//   db::Database db({.url = "postgresql:///shop?host=/tmp/pg"});  // or "sqlite:///shop.db"
//   db.check();            // start-up: throws db::Unavailable naming the URL (password hidden)
//   db.attach(app);        // every worker opens its pool when it starts
//   ...in a handler, on a worker's loop:
//   auto rows = co_await db.pool().query("select id, name from items where id = $1", id);
//   std::vector<Item> items = co_await db.pool().query<Item>("select id, name from items");
//
// Contract:
//  - SQL text is never built from values: parameters are `$1`, `$2`, ... in
//    both backends and always bound (ints, floats, bool, text, nullopt for
//    NULL). Await every query at once, in the expression that makes it: the
//    parameters are read where they are, not copied.
//  - A Pool belongs to one worker loop and is used only on that loop's
//    thread. PostgreSQL connections are driven by libpq's non-blocking API
//    from a uv_poll_t; SQLite's blocking calls run on the thread pool and the
//    coroutine resumes on the loop. The loop is never blocked by either.
//  - A Lease is one connection for one user at a time. A batch of several
//    statements is sent together (PostgreSQL's pipeline mode) and runs as
//    one implicit transaction in both backends. A lease returned in the
//    middle of a transaction is rolled back before anyone else gets it; a
//    connection that broke is closed and replaced, with backoff.
//  - Errors: db::Unavailable (an app::HTTPException, 503) when the database
//    cannot be reached or the pool is exhausted past acquire_timeout;
//    db::Error for a failing statement (a 500 whose body says nothing of
//    the SQL: the message is for the log); db::ConstraintViolation, a kind
//    of db::Error, for unique/foreign-key/check violations an app may map
//    to 409.
#pragma once

#include <array>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "app/application.hpp"
#include "app/http_exception.hpp"
#include "parser/task.hpp"

typedef struct uv_loop_s uv_loop_t;

namespace strata::db {

// ------------------------------------------------------------------ errors

// The database is unreachable, or no connection was free in time. The
// detail is generic on purpose; the cause is logged.
class Unavailable : public app::HTTPException {
 public:
  explicit Unavailable(std::string detail = "database unavailable") : HTTPException(503, std::move(detail)) {}
};

// A statement failed. what() holds the driver's message and is meant for
// the log, never for a client.
class Error : public std::runtime_error {
 public:
  Error(std::string message, std::string sqlstate = {})
      : std::runtime_error(std::move(message)), sqlstate_(std::move(sqlstate)) {}
  // PostgreSQL's SQLSTATE ("23505"); SQLite: "23000" for constraints, else empty.
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// Integrity constraint violation (SQLSTATE class 23; SQLITE_CONSTRAINT).
class ConstraintViolation : public Error {
 public:
  using Error::Error;
};

// ------------------------------------------------------------------ parameters

struct Param {
  enum class Kind : uint8_t { null, integer, real, text, boolean };
  Kind kind = Kind::null;
  int64_t i = 0;  // integer, boolean (0/1)
  double d = 0;
  std::string_view s;  // text: a view of the caller's string
};

template <class T>
Param to_param(const T& v) {
  using U = std::remove_cvref_t<T>;
  Param p;
  if constexpr (std::is_same_v<U, std::nullopt_t> || std::is_same_v<U, std::nullptr_t>) {
    (void)v;
  } else if constexpr (std::is_same_v<U, bool>) {
    p.kind = Param::Kind::boolean;
    p.i = v ? 1 : 0;
  } else if constexpr (std::is_integral_v<U>) {
    if constexpr (std::is_unsigned_v<U> && sizeof(U) >= sizeof(int64_t))
      if (v > static_cast<U>(INT64_MAX)) throw Error("parameter out of range for a 64-bit integer");
    p.kind = Param::Kind::integer;
    p.i = static_cast<int64_t>(v);
  } else if constexpr (std::is_floating_point_v<U>) {
    p.kind = Param::Kind::real;
    p.d = static_cast<double>(v);
  } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
    p.kind = Param::Kind::text;
    p.s = std::string_view(v);
  } else if constexpr (requires { v.has_value(); *v; }) {
    if (v.has_value()) return to_param(*v);
  } else {
    static_assert(sizeof(U) == 0, "a database parameter is an integer, float, bool, string, optional or nullopt");
  }
  return p;
}

// One statement of a batch.
struct Statement {
  std::string_view sql;
  std::vector<Param> params = {};
};

// ------------------------------------------------------------------ results

class Rows;

// One cell, read as text (both backends hand values over as text) or
// converted: get<int64_t>, get<double>, get<bool>, get<std::string>,
// get<std::optional<T>> (NULL: nullopt). A NULL read as a non-optional, or
// text that does not convert, throws db::Error naming the column.
class Row {
 public:
  size_t size() const;
  bool is_null(size_t col) const;
  bool is_null(std::string_view name) const { return is_null(column(name)); }
  std::string_view text(size_t col) const;
  std::string_view text(std::string_view name) const { return text(column(name)); }
  template <class T>
  T get(size_t col) const;
  template <class T>
  T get(std::string_view name) const { return get<T>(column(name)); }
  size_t column(std::string_view name) const;  // throws db::Error if there is no such column

 private:
  friend class Rows;
  Row(const Rows* rows, size_t index) : rows_(rows), index_(index) {}
  const Rows* rows_;
  size_t index_;
};

// A statement's result: rows of text cells, owned (nothing points into the
// driver's buffers once the statement is done).
class Rows {
 public:
  size_t size() const { return columns_.empty() ? 0 : cells_.size() / columns_.size(); }
  bool empty() const { return size() == 0; }
  const std::vector<std::string>& columns() const { return columns_; }
  Row operator[](size_t i) const { return Row(this, i); }
  // Rows changed by an INSERT/UPDATE/DELETE.
  uint64_t affected() const { return affected_; }
  // The column's index, or -1.
  int find(std::string_view name) const;

  struct iterator {
    const Rows* rows;
    size_t i;
    Row operator*() const { return (*rows)[i]; }
    iterator& operator++() { ++i; return *this; }
    bool operator!=(const iterator& o) const { return i != o.i; }
  };
  iterator begin() const { return {this, 0}; }
  iterator end() const { return {this, size()}; }

  // Building, for the drivers.
  void add_column(std::string name) { columns_.push_back(std::move(name)); }
  void add_cell(const char* data, size_t len, bool null);
  void set_affected(uint64_t n) { affected_ = n; }

 private:
  friend class Row;
  struct Cell {
    uint32_t offset;
    uint32_t length;
    bool null;
  };
  std::vector<std::string> columns_;
  std::vector<Cell> cells_;
  std::string data_;
  uint64_t affected_ = 0;
};

namespace detail {
template <class T>
struct task_result;
template <class T>
struct task_result<Task<T>> {
  using type = T;
};

// Text -> value, as both backends write values (PostgreSQL: "t"/"f",
// "Infinity"; SQLite: 1/0). Throws db::Error mentioning `column`.
void convert(std::string_view text, int64_t& out, std::string_view column);
void convert(std::string_view text, uint64_t& out, std::string_view column);
void convert(std::string_view text, double& out, std::string_view column);
void convert(std::string_view text, bool& out, std::string_view column);
void convert(std::string_view text, std::chrono::system_clock::time_point& out, std::string_view column);
[[noreturn]] void throw_null(std::string_view column);

template <class T>
void convert_cell(bool null, std::string_view text, T& out, std::string_view column) {
  if constexpr (requires { typename T::value_type; out.has_value(); out.reset(); }) {
    if (null) { out.reset(); return; }
    typename T::value_type v{};
    convert_cell(false, text, v, column);
    out = std::move(v);
  } else {
    if (null) throw_null(column);
    if constexpr (std::is_same_v<T, std::string>) out.assign(text);
    else if constexpr (std::is_same_v<T, std::string_view>) out = text;
    else if constexpr (std::is_same_v<T, bool>) convert(text, out, column);
    else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      int64_t v;
      convert(text, v, column);
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
        throw Error("column " + std::string(column) + ": " + std::string(text) + " is out of range");
      out = static_cast<T>(v);
    } else if constexpr (std::is_integral_v<T>) {
      uint64_t v;
      convert(text, v, column);
      if (v > std::numeric_limits<T>::max())
        throw Error("column " + std::string(column) + ": " + std::string(text) + " is out of range");
      out = static_cast<T>(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      double v;
      convert(text, v, column);
      out = static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, std::chrono::system_clock::time_point>) {
      convert(text, out, column);
    } else {
      static_assert(sizeof(T) == 0, "a column reads into an integer, float, bool, string, time_point or optional");
    }
  }
}
}  // namespace detail

template <class T>
T Row::get(size_t col) const {
  T out{};
  detail::convert_cell(is_null(col), text(col), out, rows_->columns_.at(col));
  return out;
}

// Rows -> structs described with BOOST_DESCRIBE_STRUCT (db/decode.hpp):
// each public member from the column of the same name; a member with no
// column throws db::Error (select it, or give it another name with AS).
template <class T>
std::vector<T> decode_rows(const Rows& rows);

// ------------------------------------------------------------------ connections

struct Config {
  // sqlite:///relative.db, sqlite:////absolute.db, sqlite:///:memory: ;
  // postgresql://user:password@host:port/dbname?host=/socket/dir (libpq's URI).
  std::string url;
  unsigned pool_size = 8;                 // connections per worker
  unsigned acquire_timeout_ms = 5000;     // waiting for a free connection, then 503
  unsigned connect_timeout_ms = 5000;     // one connection attempt
  // PostgreSQL: a batch with no complete answer in this long (a server that
  // stopped answering) closes its connection and throws Unavailable, so no
  // request waits on the database without a deadline.
  unsigned query_timeout_ms = 30000;
  unsigned max_lifetime_ms = 30 * 60 * 1000;  // replaced after this long in service
  unsigned max_idle_ms = 10 * 60 * 1000;      // closed after this long unused
  unsigned busy_timeout_ms = 5000;        // SQLite: how long a writer waits for the file lock
  app::Logger log = app::stderr_logger();
};

enum class Backend { postgresql, sqlite };

class Connection;  // one backend connection (db/backend.hpp)
class Pool;

// One connection, lent to one user until it is destroyed (then back to its
// pool, rolled back first if a transaction was left open). Move-only.
class Lease {
 public:
  Lease() = default;
  Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::exchange(o.conn_, nullptr)) {}
  Lease& operator=(Lease&& o) noexcept;
  ~Lease() { release(); }

  template <class... A>
  Task<Rows> query(std::string_view sql, const A&... args) {
    const std::array<Param, sizeof...(A)> params{to_param(args)...};
    co_return co_await run_one(sql, std::span<const Param>(params.data(), params.size()));
  }
  template <class T, class... A>
  Task<std::vector<T>> query_as(std::string_view sql, const A&... args);
  // Several statements sent at once, answered together: one Rows each.
  Task<std::vector<Rows>> pipeline(std::span<const Statement> batch);

  // BEGIN; fn(*this); COMMIT, or ROLLBACK when fn throws (and rethrow).
  template <class F>
  auto transaction(F fn) -> decltype(fn(std::declval<Lease&>()));

  Backend backend() const;
  explicit operator bool() const { return conn_ != nullptr; }
  Connection* connection() const { return conn_; }
  void release();  // back to the pool now

 private:
  friend class Pool;
  Lease(Pool* pool, Connection* conn) : pool_(pool), conn_(conn) {}
  Task<Rows> run_one(std::string_view sql, std::span<const Param> params);
  Pool* pool_ = nullptr;
  Connection* conn_ = nullptr;
};

struct PoolStats {
  size_t open = 0;     // connected, idle or lent
  size_t idle = 0;
  size_t waiting = 0;  // acquire() calls waiting
  size_t connecting = 0;
  uint64_t reconnects = 0;
};

// One worker's connections. Created by Database::attach on the worker's
// loop; use it only there.
class Pool {
 public:
  ~Pool();
  // A free connection, now or when one is returned or opened; throws
  // Unavailable after acquire_timeout_ms, or at once when no connection is
  // open and the last attempt to open one failed.
  Task<Lease> acquire();

  // acquire + one statement + release.
  template <class... A>
  Task<Rows> query(std::string_view sql, const A&... args) {
    Lease lease = co_await acquire();
    co_return co_await lease.query(sql, args...);
  }
  template <class T, class... A>
  Task<std::vector<T>> query(std::string_view sql, const A&... args) {
    Lease lease = co_await acquire();
    co_return co_await lease.query_as<T>(sql, args...);
  }

  Backend backend() const;
  PoolStats stats() const;
  struct State;

 private:
  friend class Database;
  friend class Lease;
  explicit Pool(std::unique_ptr<State> state);
  void give_back(Connection* conn);
  std::unique_ptr<State> state_;
};

// The process-wide handle: configuration, start-up check, and the pool of
// the calling worker.
class Database {
 public:
  // Throws std::invalid_argument for a URL that names no supported backend.
  explicit Database(Config config);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens and closes one connection, blocking: the start-up check. Throws
  // Unavailable whose what() names the URL (password replaced by ***) and
  // the driver's reason. Within connect_timeout_ms.
  void check() const;
  // Every worker of `app` opens a pool when it starts (its connections in
  // the background) and closes it when it stops.
  void attach(app::Application& app);
  // The calling worker's pool; throws std::logic_error off a worker.
  Pool& pool();
  // Opens a pool on `loop` by hand (tests, tools): the caller runs the loop
  // and destroys the pool before closing it. `executor` runs SQLite's calls.
  std::unique_ptr<Pool> open_pool(uv_loop_t* loop, app::LoopExecutor* executor);

  Backend backend() const { return backend_; }
  const Config& config() const { return config_; }
  std::string redacted_url() const;

 private:
  Config config_;
  Backend backend_;
  std::shared_ptr<void> keeper_;  // sqlite :memory: lives while this is open
};

// Runs `body` with a pool of `database` on a private loop (and a thread
// pool for SQLite) until it ends, then closes both: for command-line tools
// and loaders, never on a server's worker. Rethrows what `body` threw.
void run_sync(Database& database, const std::function<Task<void>(Pool&)>& body);

// The URL with its password (user:PASSWORD@ or password=...) replaced by ***.
std::string redact_url(std::string_view url);
// sqlite URL -> the file name SQLite opens (":memory:" kept); nullopt if not sqlite.
std::optional<std::string> sqlite_path(std::string_view url);

// ------------------------------------------------------------------ templates

template <class T, class... A>
Task<std::vector<T>> Lease::query_as(std::string_view sql, const A&... args) {
  Rows rows = co_await query(sql, args...);
  co_return decode_rows<T>(rows);
}

template <class F>
auto Lease::transaction(F fn) -> decltype(fn(std::declval<Lease&>())) {
  using R = typename detail::task_result<decltype(fn(std::declval<Lease&>()))>::type;
  co_await query("BEGIN");
  std::exception_ptr failed;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
  try {
    if constexpr (std::is_void_v<R>) co_await fn(*this);
    else result.emplace(co_await fn(*this));
  } catch (...) {
    failed = std::current_exception();
  }
  if (failed) {
    // A rollback that fails (the connection broke) changes nothing for the
    // caller: the transaction is gone either way, and the pool replaces
    // a broken connection.
    try {
      co_await query("ROLLBACK");
    } catch (const std::exception&) {
    }
    std::rethrow_exception(failed);
  }
  co_await query("COMMIT");
  if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace strata::db

#include "db/decode.hpp"
