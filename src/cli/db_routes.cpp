#include "cli/db_routes.hpp"

namespace strata::cli {

namespace {

db::Database* g_database = nullptr;  // the one --database-url names

// A pooled connection for one request, back in the pool after its response.
Task<db::Lease> get_db() { co_return co_await g_database->pool().acquire(); }

struct DbStatus {
  std::string database;
};
BOOST_DESCRIBE_STRUCT(DbStatus, (), (database))

}  // namespace

void add_db_routes(app::Application& app, db::Database& database) {
  database.attach(app);
  app.get("/db/ping", [&database](app::Request&) -> Task<app::Response> {
    try {
      db::Rows r = co_await database.pool().query("SELECT 1 AS ok");
      if (r.size() == 1 && r[0].get<int>("ok") == 1) co_return app::Response::json(R"({"database":"ok"})");
    } catch (const db::Unavailable& e) {
      co_return app::Response::json(R"({"detail":")" + e.detail() + "\"}", e.status());
    }
    co_return app::Response::json(R"({"detail":"unexpected answer to select 1"})", 500);
  });
}

void add_db_routes(router::API& api, db::Database& database) {
  g_database = &database;
  database.attach(api.application());
  api.get(
      "/db/ping",
      [](router::Depends<get_db> db) -> Task<DbStatus> {
        db::Rows r = co_await db->query("SELECT 1 AS ok");
        co_return DbStatus{r.size() == 1 && r[0].get<int>("ok") == 1 ? "ok" : "unexpected"};
      },
      {.name = "db_ping", .summary = "Database round trip", .tags = {"database"}});
}

}  // namespace strata::cli
