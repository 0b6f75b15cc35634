// The per-worker pool: FIFO waiters with one deadline timer, connections
// opened in the background and replaced with backoff, leases returned
// clean. Everything here runs on the pool's loop thread.
#include <algorithm>
#include <deque>
#include <mutex>
#include <utility>

#include <uv.h>

#include "app/context.hpp"
#include "db/backend.hpp"

namespace strata::db {

namespace {

constexpr unsigned kFirstBackoffMs = 100;
constexpr unsigned kMaxBackoffMs = 2000;

template <class H>
H* new_handle() {
  return new H{};
}
template <class H>
void close_and_free(H* h) {
  if (!h) return;
  uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t* x) { delete reinterpret_cast<H*>(x); });
}

}  // namespace

struct Pool::State {
  struct Waiter {
    State* state = nullptr;
    std::coroutine_handle<> handle;
    Connection* conn = nullptr;
    std::exception_ptr error;
    uint64_t deadline = 0;
    ~Waiter() {
      // A frame destroyed while waiting (shutdown) must not be resumed.
      if (!state) return;
      std::erase(state->waiters, this);
      std::erase(state->ready, this);
      if (conn) state->make_available(conn);
    }
  };

  const Config* config = nullptr;
  Backend backend = Backend::sqlite;
  std::string sqlite_path;
  uv_loop_t* loop = nullptr;
  app::LoopExecutor* executor = nullptr;

  std::vector<Connection*> all;   // open: idle or lent
  std::vector<Connection*> idle;  // the most recently used last
  std::deque<Waiter*> waiters;    // FIFO, so the head has the earliest deadline
  std::vector<Waiter*> ready;     // answered, to be resumed from `wake`
  uv_timer_t* acquire_timer = nullptr;
  uv_timer_t* retry_timer = nullptr;
  uv_idle_t* wake = nullptr;
  size_t connecting = 0;
  unsigned backoff_ms = 0;
  bool last_failed = false;
  bool retry_pending = false;
  uint64_t reconnects = 0;
  uint64_t opened = 0;
  // Connect callbacks can outlive the pool; they check this first.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  uint64_t now() const { return uv_now(loop); }

  void start() {
    acquire_timer = new_handle<uv_timer_t>();
    retry_timer = new_handle<uv_timer_t>();
    wake = new_handle<uv_idle_t>();
    uv_timer_init(loop, acquire_timer);
    uv_timer_init(loop, retry_timer);
    uv_idle_init(loop, wake);
    acquire_timer->data = retry_timer->data = wake->data = this;
    // Open the connections once the loop runs (start() may be called from
    // the thread that builds the worker, before its loop thread starts).
    retry_pending = true;
    uv_timer_start(retry_timer, [](uv_timer_t* t) { static_cast<State*>(t->data)->on_retry(); }, 0, 0);
  }

  void shutdown() {
    *alive = false;
    for (Waiter* w : waiters) w->state = nullptr;
    for (Waiter* w : ready) w->state = nullptr;
    waiters.clear();
    ready.clear();
    close_and_free(acquire_timer);
    close_and_free(retry_timer);
    close_and_free(wake);
    for (Connection* c : idle) {
      std::erase(all, c);
      c->destroy();
    }
    idle.clear();
    // Lent connections die with their leases, which must end first (the
    // contract of Pool); anything left is closed here rather than leaked.
    for (Connection* c : all) c->destroy();
    all.clear();
  }

  size_t open() const { return all.size(); }

  void on_retry() {
    retry_pending = false;
    fill();
  }

  // Opens connections up to the pool's size, unless a failure is being
  // backed off from.
  void fill() {
    if (retry_pending) return;
    while (all.size() + connecting < config->pool_size) {
      ++connecting;
      std::weak_ptr<bool> guard = alive;
      auto done = [this, guard](Connection* c, const std::string& error) {
        auto still = guard.lock();
        if (!still || !*still) {
          if (c) c->destroy();
          return;
        }
        on_connected(c, error);
      };
      if (backend == Backend::postgresql) connect_postgres(*config, loop, std::move(done));
      else connect_sqlite(*config, sqlite_path, loop, executor, std::move(done));
    }
  }

  void on_connected(Connection* c, const std::string& error) {
    --connecting;
    if (!c) {
      if (!last_failed) config->log("database " + redact_url(config->url) + ": " + error);
      last_failed = true;
      backoff_ms = backoff_ms ? std::min(backoff_ms * 2, kMaxBackoffMs) : kFirstBackoffMs;
      if (!retry_pending) {
        retry_pending = true;
        uv_timer_start(retry_timer, [](uv_timer_t* t) { static_cast<State*>(t->data)->on_retry(); }, backoff_ms, 0);
      }
      // Fail the waiters only when nothing can serve them soon: with
      // another connection still opening (two SQLite connections setting
      // WAL mode on a new file at once: one may see SQLITE_BUSY), they wait
      // for it instead.
      if (all.empty() && connecting == 0) fail_waiters();
      return;
    }
    if (last_failed) config->log("database " + redact_url(config->url) + ": connected again");
    last_failed = false;
    backoff_ms = 0;
    if (++opened > config->pool_size) ++reconnects;
    c->opened_ms = c->used_ms = now();
    c->on_broken = [this](Connection* broken) { drop(broken); };
    all.push_back(c);
    make_available(c);
  }

  void drop(Connection* c) {
    std::erase(idle, c);
    std::erase(all, c);
    c->destroy();
    fill();
  }

  void fail_waiters() {
    while (!waiters.empty()) {
      Waiter* w = waiters.front();
      waiters.pop_front();
      w->error = std::make_exception_ptr(Unavailable());
      to_ready(w);
    }
  }

  void to_ready(Waiter* w) {
    ready.push_back(w);
    uv_idle_start(wake, [](uv_idle_t* i) { static_cast<State*>(i->data)->resume_ready(); });
  }

  // Resumed from the loop rather than from whoever released a connection,
  // so a waiter never runs inside another request's teardown.
  void resume_ready() {
    uv_idle_stop(wake);
    std::vector<Waiter*> batch;
    batch.swap(ready);
    for (Waiter* w : batch) {
      w->state = nullptr;  // no longer listed anywhere
      w->handle.resume();
    }
  }

  void make_available(Connection* c) {
    if (!waiters.empty()) {
      Waiter* w = waiters.front();
      waiters.pop_front();
      w->conn = c;
      to_ready(w);
      arm_acquire_timer();
      return;
    }
    idle.push_back(c);
  }

  bool expired(const Connection* c, uint64_t t) const {
    return t - c->opened_ms >= config->max_lifetime_ms;
  }

  Connection* take_idle() {
    const uint64_t t = now();
    while (!idle.empty()) {
      Connection* c = idle.back();
      idle.pop_back();
      if (!c->broken() && !expired(c, t) && t - c->used_ms < config->max_idle_ms) return c;
      std::erase(all, c);
      c->destroy();
      fill();
    }
    return nullptr;
  }

  void arm_acquire_timer() {
    if (waiters.empty()) {
      uv_timer_stop(acquire_timer);
      return;
    }
    const uint64_t t = now();
    const uint64_t due = waiters.front()->deadline;
    uv_timer_start(acquire_timer, [](uv_timer_t* h) { static_cast<State*>(h->data)->on_acquire_timeout(); },
                   due > t ? due - t : 0, 0);
  }

  void on_acquire_timeout() {
    const uint64_t t = now();
    while (!waiters.empty() && waiters.front()->deadline <= t) {
      Waiter* w = waiters.front();
      waiters.pop_front();
      w->error = std::make_exception_ptr(Unavailable("database busy: no connection became free in time"));
      to_ready(w);
    }
    arm_acquire_timer();
  }

  void give_back(Connection* c) {
    if (!*alive) {
      c->destroy();
      return;
    }
    c->used_ms = now();
    if (c->broken() || c->busy() || expired(c, c->used_ms)) {
      drop(c);
      return;
    }
    if (c->in_transaction()) {
      rollback_then_give_back(c);
      return;
    }
    make_available(c);
  }

  // A lease ended inside a transaction (its holder threw, or forgot to
  // commit): roll back before the next user sees the connection.
  struct Cleanup {
    Task<void> task;
  };
  static Task<void> rollback(State* s, Connection* c) {
    std::weak_ptr<bool> guard = s->alive;
    static const Statement kRollback{"ROLLBACK"};
    std::vector<Rows> out;
    try {
      co_await c->run(std::span<const Statement>(&kRollback, 1), out);
    } catch (const std::exception&) {
      // Broken or refused: give_back drops a broken one; a refused
      // rollback leaves in_transaction() true, so drop it too.
    }
    auto still = guard.lock();
    if (!still || !*still) {
      c->destroy();
      co_return;
    }
    if (c->in_transaction()) s->drop(c);
    else s->give_back(c);
  }
  void rollback_then_give_back(Connection* c) {
    auto* cleanup = new Cleanup{rollback(this, c)};
    cleanup->task.start([](void* p) { delete static_cast<Cleanup*>(p); }, cleanup);
  }
};

// ------------------------------------------------------------------ Pool

Pool::Pool(std::unique_ptr<State> state) : state_(std::move(state)) { state_->start(); }

Pool::~Pool() { state_->shutdown(); }

Backend Pool::backend() const { return state_->backend; }

PoolStats Pool::stats() const {
  PoolStats s;
  s.open = state_->all.size();
  s.idle = state_->idle.size();
  s.waiting = state_->waiters.size();
  s.connecting = state_->connecting;
  s.reconnects = state_->reconnects;
  return s;
}

void Pool::give_back(Connection* conn) { state_->give_back(conn); }

Task<Lease> Pool::acquire() {
  State& s = *state_;
  if (Connection* c = s.take_idle()) co_return Lease(this, c);
  // Fail fast while the database is down, but not while a connection that
  // may succeed is still opening.
  if (s.all.empty() && s.last_failed && s.connecting == 0) throw Unavailable();
  s.fill();
  struct Wait {
    State& s;
    State::Waiter& w;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      w.handle = h;
      w.state = &s;
      s.waiters.push_back(&w);
      if (s.waiters.size() == 1) s.arm_acquire_timer();
    }
    void await_resume() const noexcept {}
  };
  State::Waiter w;
  w.deadline = s.now() + s.config->acquire_timeout_ms;
  co_await Wait{s, w};
  if (w.error) std::rethrow_exception(w.error);
  Connection* c = std::exchange(w.conn, nullptr);
  co_return Lease(this, c);
}

// ------------------------------------------------------------------ Lease

Lease& Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = std::exchange(o.pool_, nullptr);
    conn_ = std::exchange(o.conn_, nullptr);
  }
  return *this;
}

void Lease::release() {
  if (conn_) std::exchange(pool_, nullptr)->give_back(std::exchange(conn_, nullptr));
}

Backend Lease::backend() const { return conn_ ? conn_->backend() : Backend::sqlite; }

Task<Rows> Lease::run_one(std::string_view sql, std::span<const Param> params) {
  if (!conn_) throw std::logic_error("db::Lease: query on an empty lease");
  const Statement st{sql, std::vector<Param>(params.begin(), params.end())};
  std::vector<Rows> out;
  co_await conn_->run(std::span<const Statement>(&st, 1), out);
  co_return std::move(out.at(0));
}

Task<std::vector<Rows>> Lease::pipeline(std::span<const Statement> batch) {
  if (!conn_) throw std::logic_error("db::Lease: query on an empty lease");
  std::vector<Rows> out;
  if (batch.empty()) co_return out;
  co_await conn_->run(batch, out);
  co_return out;
}

// ------------------------------------------------------------------ Database

Database::Database(Config config) : config_(std::move(config)) {
  const std::string_view url = config_.url;
  if (sqlite_path(url)) backend_ = Backend::sqlite;
  else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) backend_ = Backend::postgresql;
  else
    throw std::invalid_argument("database URL '" + redact_url(url) +
                                "' names no supported database (sqlite:///FILE or postgresql://...)");
  if (config_.pool_size == 0) throw std::invalid_argument("database pool size must be at least 1");
  if (backend_ == Backend::sqlite && *sqlite_path(config_.url) == ":memory:") keeper_ = keep_memory_database(config_);
}

Database::~Database() = default;

std::string Database::redacted_url() const { return redact_url(config_.url); }

void Database::check() const {
  const std::string why = backend_ == Backend::postgresql ? check_postgres(config_)
                                                          : check_sqlite(config_, *sqlite_path(config_.url));
  if (!why.empty()) throw Unavailable("cannot connect to " + redacted_url() + ": " + why);
}

namespace {
struct Entry {
  const Database* db;
  uv_loop_t* loop;
  Pool* pool;
};
// Every attached Database's pools, looked up by the calling worker's loop:
// a handful of entries, written when workers start and stop.
std::mutex g_mu;
std::vector<Entry> g_pools;
}  // namespace

std::unique_ptr<Pool> Database::open_pool(uv_loop_t* loop, app::LoopExecutor* executor) {
  auto st = std::make_unique<Pool::State>();
  st->config = &config_;
  st->backend = backend_;
  if (backend_ == Backend::sqlite) {
    st->sqlite_path = *sqlite_path(config_.url);
    if (!executor) throw std::logic_error("db: a SQLite pool needs an executor (the thread pool)");
  }
  st->loop = loop;
  st->executor = executor;
  return std::unique_ptr<Pool>(new Pool(std::move(st)));
}

void Database::attach(app::Application& app) {
  app.on_worker_start([this](app::Application::Worker& w) -> std::function<void()> {
    auto pool = open_pool(w.loop, &w.executor);
    Pool* raw = pool.release();
    {
      std::lock_guard lock(g_mu);
      g_pools.push_back({this, w.loop, raw});
    }
    return [this, raw] {
      {
        std::lock_guard lock(g_mu);
        std::erase_if(g_pools, [&](const Entry& e) { return e.db == this && e.pool == raw; });
      }
      delete raw;
    };
  });
}

Pool& Database::pool() {
  app::LoopExecutor* ex = app::loop_context().executor;
  if (ex) {
    std::lock_guard lock(g_mu);
    for (const Entry& e : g_pools)
      if (e.db == this && e.loop == ex->loop()) return *e.pool;
  }
  throw std::logic_error("db::Database::pool(): not on a worker of an Application this database is attached to");
}

void run_sync(Database& database, const std::function<Task<void>(Pool&)>& body) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  app::ThreadPool threads(1);
  auto executor = std::make_unique<app::LoopExecutor>(&loop, threads);
  auto pool = database.open_pool(&loop, executor.get());
  std::exception_ptr failed;
  {
    Task<void> t = body(*pool);
    bool done = false;
    t.start([](void* d) { *static_cast<bool*>(d) = true; }, &done);
    while (!done) uv_run(&loop, UV_RUN_ONCE);
    failed = t.error();
  }
  pool.reset();
  executor->close();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  if (failed) std::rethrow_exception(failed);
}

}  // namespace strata::db
