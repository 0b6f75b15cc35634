// Seed 001's contacts API, the workload of a database-backed service:
//   GET /version                       no database
//   GET /contacts/?page=N&last_name=X  a page of contacts, exactly 3 queries
//   GET /contacts/{id}                 one contact, exactly 3 queries; 404 when missing
//   GET /types                         the contact types, one query
//   GET /digest/?page=N&rounds=R       a page (3 queries), then CPU work over it:
//                                      FNV-1a over its text R times (seed 001's
//                                      "significant computation" claim)
// on tier 3 (Request/Response, JSON written by hand, as a Starlette app
// with asyncpg would) and tier 4 (typed parameters, a pooled connection as
// a dependency, models validated and encoded). The schema and a
// deterministic data generator load the same rows into PostgreSQL or
// SQLite (`strata db load`). docs/results-db.md describes them.
#pragma once

#include <cstdint>
#include <string>

#include "app/application.hpp"
#include "db/db.hpp"
#include "router/api.hpp"

namespace strata::cli {

inline constexpr int64_t kDefaultContacts = 10'000;
inline constexpr int64_t kPageSize = 20;

void add_contacts_routes(app::Application& app, db::Database& database);
void add_contacts_routes(router::API& api, db::Database& database);

struct LoadReport {
  int64_t contacts = 0, phones = 0, emails = 0, types = 0;
};
// Creates the schema and loads `contacts` generated contacts (fixed seed:
// the same rows every time, in either database). Throws std::runtime_error
// with a sentence when the database already holds contacts and `replace`
// is false; db errors as thrown.
LoadReport load_contacts(db::Database& database, int64_t contacts, bool replace);

}  // namespace strata::cli
