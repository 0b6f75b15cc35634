// PostgreSQL on the loop: libpq's non-blocking API driven from a uv_poll_t
// on PQsocket, every batch sent in pipeline mode and ended by a sync, so
// the statements of one request cost one round trip together.
//
// Parameters go as text (libpq's text format, NUL-terminated copies in a
// reused arena) and PostgreSQL infers their types from the statement, as
// psql and asyncpg's text path do. Each connection prepares a statement
// the first time it sees its SQL (up to kMaxPrepared of them), in the same
// pipeline as its first execution.
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <libpq-fe.h>
#include <uv.h>

#include "db/backend.hpp"

namespace strata::db {

namespace {

constexpr size_t kMaxPrepared = 256;

// libpq's messages end in newlines and may hold several lines.
std::string one_line(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  return s.empty() ? "unknown error" : s;
}

class PgConnection final : public Connection {
 public:
  PgConnection(const Config& config, uv_loop_t* loop, ConnectDone done)
      : loop_(loop), query_timeout_ms_(config.query_timeout_ms), done_(std::move(done)) {
    timer_ = new uv_timer_t{};
    uv_timer_init(loop_, timer_);
    timer_->data = this;
    const std::string timeout = std::to_string(std::max(2u, (config.connect_timeout_ms + 999) / 1000));
    const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
    const char* values[] = {config.url.c_str(), timeout.c_str(), "strata", nullptr};
    pg_ = PQconnectStartParams(keys, values, 1);
    if (!pg_ || PQstatus(pg_) == CONNECTION_BAD) {
      // Report from the loop, never from inside connect_postgres.
      early_error_ = pg_ ? one_line(PQerrorMessage(pg_)) : "out of memory";
      uv_timer_start(timer_, [](uv_timer_t* t) {
        auto* self = static_cast<PgConnection*>(t->data);
        self->fail_connect(self->early_error_);
      }, 0, 0);
      return;
    }
    uv_timer_start(timer_, [](uv_timer_t* t) {
      static_cast<PgConnection*>(t->data)->fail_connect("timeout expired");
    }, config.connect_timeout_ms, 0);
    // PQconnectPoll starts as if it had asked to wait for writing.
    watch(UV_WRITABLE, /*fresh=*/true);
  }

  Backend backend() const override { return Backend::postgresql; }
  bool broken() const override { return broken_; }
  bool busy() const override { return phase_ == Phase::busy; }
  bool in_transaction() const override {
    const PGTransactionStatusType t = PQtransactionStatus(pg_);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
  }

  void destroy() override {
    if (destroyed_) return;
    destroyed_ = true;
    if (poll_) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    // The poll is stopped, so the socket can go now.
    if (pg_) PQfinish(std::exchange(pg_, nullptr));
    uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) {
      auto* t = reinterpret_cast<uv_timer_t*>(h);
      delete static_cast<PgConnection*>(t->data);
      delete t;
    });
  }

  Task<void> run(std::span<const Statement> batch, std::vector<Rows>& out) override;

 private:
  enum class Phase { connecting, idle, busy };
  struct Cmd {
    size_t stmt;
    bool prepare;  // a Prepare whose own result is not the statement's
  };

  // (Re)points the poll at libpq's socket. While connecting, libpq may
  // close a socket and open another with the same number, so every step
  // gets a fresh handle.
  void watch(int events, bool fresh = false) {
    const int fd = PQsocket(pg_);
    if (fd < 0) return;
    if (poll_ && (fresh || fd != fd_)) {
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (!poll_) {
      poll_ = new uv_poll_t{};
      if (uv_poll_init(loop_, poll_, fd) != 0) {
        delete poll_;
        poll_ = nullptr;
        broken_ = true;
        return;
      }
      poll_->data = this;
      fd_ = fd;
      events_ = 0;
    }
    if (events != events_) {
      events_ = events;
      uv_poll_start(poll_, events, [](uv_poll_t* p, int status, int ev) {
        static_cast<PgConnection*>(p->data)->on_io(status, ev);
      });
    }
  }

  void step_connect() {
    switch (PQconnectPoll(pg_)) {
      case PGRES_POLLING_READING:
        watch(UV_READABLE, true);
        return;
      case PGRES_POLLING_WRITING:
        watch(UV_WRITABLE, true);
        return;
      case PGRES_POLLING_OK:
        break;
      default:
        fail_connect(one_line(PQerrorMessage(pg_)));
        return;
    }
    // Notices ("table does not exist, skipping") are the server talking to
    // a person at a terminal; a server process has no such person.
    PQsetNoticeProcessor(pg_, [](void*, const char*) {}, nullptr);
    if (PQsetnonblocking(pg_, 1) != 0 || PQenterPipelineMode(pg_) != 1) {
      fail_connect(one_line(PQerrorMessage(pg_)));
      return;
    }
    uv_timer_stop(timer_);
    phase_ = Phase::idle;
    watch(UV_READABLE);
    std::exchange(done_, nullptr)(this, "");
  }

  void fail_connect(const std::string& why) {
    if (!done_) return;
    broken_ = true;
    auto done = std::exchange(done_, nullptr);
    destroy();
    done(nullptr, why);
  }

  void on_io(int status, int events) {
    if (phase_ == Phase::connecting) {
      // libuv reports a socket error (POLLERR) as UV_EBADF; libpq can tell
      // what it was (refused, reset), so it gets one look first.
      step_connect();
      if (status < 0 && done_ && phase_ == Phase::connecting) fail_connect("socket error while connecting");
      return;
    }
    if (status < 0) broken_ = true;
    if (!broken_ && (events & UV_WRITABLE)) {
      const int f = PQflush(pg_);
      if (f < 0) broken_ = true;
      want_write_ = f == 1;
    }
    if (!broken_ && (events & UV_READABLE) && PQconsumeInput(pg_) == 0) broken_ = true;
    if (!broken_ && PQstatus(pg_) == CONNECTION_BAD) broken_ = true;
    while (PGnotify* n = pg_ ? PQnotifies(pg_) : nullptr) PQfreemem(n);
    if (phase_ == Phase::busy) {
      if (!broken_) read_results();
      if (broken_ || finished_) {
        finish();
        return;
      }
      watch(UV_READABLE | (want_write_ ? UV_WRITABLE : 0));
      return;
    }
    // Idle: the only news can be the server going away.
    if (broken_) {
      if (poll_) uv_poll_stop(poll_);
      events_ = 0;
      if (on_broken) on_broken(this);  // may destroy() us; touch nothing after
    }
  }

  void read_results() {
    while (!PQisBusy(pg_)) {
      PGresult* r = PQgetResult(pg_);
      if (!r) {
        // The end of one command's results.
        if (++cmd_ > cmds_.size()) {
          broken_ = true;  // out of step with the server: never reuse
          return;
        }
        continue;
      }
      const ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        finished_ = true;
        return;
      }
      if (cmd_ < cmds_.size()) take(cmds_[cmd_], r, st);
      PQclear(r);
    }
  }

  void take(const Cmd& cmd, PGresult* r, ExecStatusType st) {
    const Statement& s = (*batch_)[cmd.stmt];
    switch (st) {
      case PGRES_TUPLES_OK:
      case PGRES_SINGLE_TUPLE:
        if (!cmd.prepare) copy_rows(r, (*out_)[cmd.stmt]);
        return;
      case PGRES_COMMAND_OK:
        if (!cmd.prepare) {
          const char* n = PQcmdTuples(r);
          (*out_)[cmd.stmt].set_affected(n && *n ? std::strtoull(n, nullptr, 10) : 0);
        }
        return;
      case PGRES_PIPELINE_ABORTED:
        if (cmd.prepare) prepared_.erase(std::string(s.sql));
        return;
      default:
        if (cmd.prepare) prepared_.erase(std::string(s.sql));
        if (error_.empty()) {
          // The SQL goes with the message: both are for the log, never a client.
          error_ = one_line(PQresultErrorMessage(r)) + " [SQL: " + std::string(s.sql.substr(0, 300)) + "]";
          const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
          sqlstate_ = code ? code : "";
        }
        return;
    }
  }

  static void copy_rows(PGresult* r, Rows& rows) {
    const int nf = PQnfields(r);
    const int nt = PQntuples(r);
    for (int c = 0; c < nf; ++c) rows.add_column(PQfname(r, c));
    for (int t = 0; t < nt; ++t)
      for (int c = 0; c < nf; ++c)
        rows.add_cell(PQgetvalue(r, t, c), static_cast<size_t>(PQgetlength(r, t, c)), PQgetisnull(r, t, c) != 0);
  }

  void finish() {
    uv_timer_stop(timer_);
    phase_ = Phase::idle;
    finished_ = false;
    if (!broken_) watch(UV_READABLE);
    else if (poll_) {
      uv_poll_stop(poll_);
      events_ = 0;
    }
    if (auto h = std::exchange(waiter_, nullptr)) h.resume();
  }

  // Text-format parameter values, NUL-terminated, for one statement.
  void bind(const Statement& s) {
    arena_.clear();
    offsets_.clear();
    for (size_t i = 0; i < s.params.size(); ++i) {
      const Param& p = s.params[i];
      char num[32];
      switch (p.kind) {
        case Param::Kind::null:
          offsets_.push_back(SIZE_MAX);
          continue;
        case Param::Kind::boolean:
          offsets_.push_back(arena_.size());
          arena_.append(p.i ? "t" : "f", 2);
          continue;
        case Param::Kind::integer: {
          const auto r = std::to_chars(num, num + sizeof num, p.i);
          offsets_.push_back(arena_.size());
          arena_.append(num, r.ptr).push_back('\0');
          continue;
        }
        case Param::Kind::real: {
          offsets_.push_back(arena_.size());
          if (std::isnan(p.d)) arena_.append("NaN", 4);
          else if (std::isinf(p.d)) arena_.append(p.d > 0 ? "Infinity" : "-Infinity").push_back('\0');
          else arena_.append(num, std::to_chars(num, num + sizeof num, p.d).ptr).push_back('\0');
          continue;
        }
        case Param::Kind::text:
          offsets_.push_back(arena_.size());
          arena_.append(p.s).push_back('\0');
          continue;
      }
    }
    values_.resize(offsets_.size());
    for (size_t i = 0; i < offsets_.size(); ++i)
      values_[i] = offsets_[i] == SIZE_MAX ? nullptr : arena_.data() + offsets_[i];
  }

  PGconn* pg_ = nullptr;
  uv_loop_t* loop_;
  uint64_t query_timeout_ms_;
  uv_poll_t* poll_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  int fd_ = -1;
  int events_ = 0;
  ConnectDone done_;
  std::string early_error_;
  Phase phase_ = Phase::connecting;
  bool broken_ = false;
  bool destroyed_ = false;
  bool want_write_ = false;
  bool finished_ = false;
  bool timed_out_ = false;

  std::span<const Statement>* batch_ = nullptr;
  std::vector<Rows>* out_ = nullptr;
  std::vector<Cmd> cmds_;
  size_t cmd_ = 0;
  std::coroutine_handle<> waiter_;
  std::string error_, sqlstate_;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  uint64_t next_name_ = 0;
  std::string arena_;
  std::vector<size_t> offsets_;
  std::vector<const char*> values_;
};

Task<void> PgConnection::run(std::span<const Statement> batch, std::vector<Rows>& out) {
  if (broken_) throw Unavailable();
  if (phase_ != Phase::idle) throw std::logic_error("db: a PostgreSQL connection runs one batch at a time");
  out.clear();
  out.resize(batch.size());
  cmds_.clear();
  cmd_ = 0;
  error_.clear();
  sqlstate_.clear();
  // Refuse what cannot be sent before sending anything: half a pipeline
  // without its sync would leave the connection unusable.
  for (const Statement& s : batch)
    for (size_t i = 0; i < s.params.size(); ++i)
      if (s.params[i].kind == Param::Kind::text && std::memchr(s.params[i].s.data(), '\0', s.params[i].s.size()))
        throw Error("parameter $" + std::to_string(i + 1) + " holds a NUL byte, which PostgreSQL text cannot");
  batch_ = &batch;
  out_ = &out;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Statement& s = batch[i];
    bind(s);
    const int n = static_cast<int>(values_.size());
    const std::string sql(s.sql);
    auto it = prepared_.find(sql);
    bool ok = true;
    if (it == prepared_.end() && prepared_.size() < kMaxPrepared) {
      std::string name = "strata_" + std::to_string(++next_name_);
      ok = PQsendPrepare(pg_, name.c_str(), sql.c_str(), n, nullptr) == 1;
      cmds_.push_back({i, true});
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    if (ok) {
      ok = it != prepared_.end()
               ? PQsendQueryPrepared(pg_, it->second.c_str(), n, values_.data(), nullptr, nullptr, 0) == 1
               : PQsendQueryParams(pg_, sql.c_str(), n, nullptr, values_.data(), nullptr, nullptr, 0) == 1;
      cmds_.push_back({i, false});
    }
    if (!ok) {
      // Half a pipeline is on its way: this connection cannot be trusted again.
      broken_ = true;
      throw Unavailable();
    }
  }
  if (PQpipelineSync(pg_) != 1) {
    broken_ = true;
    throw Unavailable();
  }
  const int f = PQflush(pg_);
  if (f < 0) {
    broken_ = true;
    throw Unavailable();
  }
  want_write_ = f == 1;
  phase_ = Phase::busy;
  watch(UV_READABLE | (want_write_ ? UV_WRITABLE : 0));
  // The connect deadline's timer, reused: no answer in time breaks the
  // connection (closing it makes the server abandon the statement).
  uv_timer_start(timer_, [](uv_timer_t* t) {
    auto* self = static_cast<PgConnection*>(t->data);
    self->broken_ = self->timed_out_ = true;
    self->finish();
  }, query_timeout_ms_, 0);
  struct Wait {
    PgConnection& c;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { c.waiter_ = h; }
    void await_resume() const noexcept {}
    ~Wait() {
      // Destroyed while suspended (the request's frame was torn down): the
      // answer can no longer be read, so the connection is not reused.
      if (c.waiter_) {
        c.waiter_ = nullptr;
        c.broken_ = true;
      }
    }
  };
  co_await Wait{*this};
  batch_ = nullptr;
  out_ = nullptr;
  if (timed_out_) throw Unavailable("database did not answer in time");
  if (broken_) throw Unavailable();
  if (!error_.empty()) {
    if (sqlstate_.starts_with("23")) throw ConstraintViolation(error_, sqlstate_);
    throw Error(error_, sqlstate_);
  }
}

}  // namespace

void connect_postgres(const Config& config, uv_loop_t* loop, ConnectDone done) {
  new PgConnection(config, loop, std::move(done));  // owns itself: destroy() frees it
}

std::string check_postgres(const Config& config) {
  const std::string timeout = std::to_string(std::max(2u, (config.connect_timeout_ms + 999) / 1000));
  const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
  const char* values[] = {config.url.c_str(), timeout.c_str(), "strata", nullptr};
  PGconn* pg = PQconnectdbParams(keys, values, 1);
  std::string why;
  if (!pg) why = "out of memory";
  else if (PQstatus(pg) != CONNECTION_OK) why = one_line(PQerrorMessage(pg));
  if (pg) PQfinish(pg);
  return why;
}

}  // namespace strata::db
