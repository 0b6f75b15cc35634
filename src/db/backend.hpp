// What the pool asks of a backend connection. Internal to src/db.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "db/db.hpp"

namespace strata::db {

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  // Runs `batch` as one implicit transaction, one Rows per statement into
  // `out`. Throws Error (the statement failed; the connection stays usable)
  // or Unavailable (the connection broke: broken() is now true).
  virtual Task<void> run(std::span<const Statement> batch, std::vector<Rows>& out) = 0;
  virtual bool broken() const = 0;
  virtual bool busy() const = 0;  // a batch is running
  virtual bool in_transaction() const = 0;
  // Closes the connection and frees this object (later, for loop handles).
  virtual void destroy() = 0;

  uint64_t opened_ms = 0;  // loop time
  uint64_t used_ms = 0;
  // Set by the pool: the connection broke while idle (the server went away).
  std::function<void(Connection*)> on_broken;
};

// Called once on the loop thread, never from inside the connect call:
// the connection, or null and the reason.
using ConnectDone = std::function<void(Connection*, const std::string& error)>;

void connect_postgres(const Config& config, uv_loop_t* loop, ConnectDone done);
void connect_sqlite(const Config& config, const std::string& path, uv_loop_t* loop, app::LoopExecutor* executor,
                    ConnectDone done);
// An open connection that keeps a sqlite ":memory:" database alive while
// pool connections come and go (null if it cannot be opened).
std::shared_ptr<void> keep_memory_database(const Config& config);
// Blocking start-up checks: "" when a connection could be opened, else why.
std::string check_postgres(const Config& config);
std::string check_sqlite(const Config& config, const std::string& path);

}  // namespace strata::db
