// The database routes of `strata serve --database-url`: GET /db/ping on the
// app and typed tiers, a `select 1` through the worker's pool answering
// {"database": "ok"}, or 503 {"detail": ...} when the database cannot be
// reached. The typed one takes its connection through a resource
// dependency (get_db), FastAPI's `yield` dependency.
#pragma once

#include "app/application.hpp"
#include "db/db.hpp"
#include "router/api.hpp"

namespace strata::cli {

void add_db_routes(app::Application& app, db::Database& database);
void add_db_routes(router::API& api, db::Database& database);

}  // namespace strata::cli
