#include "cli/contacts.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <span>

#include "common/json.hpp"

namespace strata::cli {

namespace {

// ------------------------------------------------------------------ SQL
//
// The three queries of a page: the contacts (with their type's name), then
// their phones, then their emails, each selecting the page again as a
// subquery so all three can go to the server together in one pipeline.
// The same text runs on PostgreSQL and SQLite.

const char* const kPageAll =
    "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c "
    "JOIN contact_types t ON t.id = c.type_id ORDER BY c.id LIMIT $1 OFFSET $2";
const char* const kPhonesAll =
    "SELECT contact_id, kind, number FROM phones WHERE contact_id IN "
    "(SELECT id FROM contacts ORDER BY id LIMIT $1 OFFSET $2) ORDER BY contact_id, id";
const char* const kEmailsAll =
    "SELECT contact_id, address FROM emails WHERE contact_id IN "
    "(SELECT id FROM contacts ORDER BY id LIMIT $1 OFFSET $2) ORDER BY contact_id, id";
const char* const kPageByName =
    "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c "
    "JOIN contact_types t ON t.id = c.type_id WHERE c.last_name = $1 ORDER BY c.id LIMIT $2 OFFSET $3";
const char* const kPhonesByName =
    "SELECT contact_id, kind, number FROM phones WHERE contact_id IN "
    "(SELECT id FROM contacts WHERE last_name = $1 ORDER BY id LIMIT $2 OFFSET $3) ORDER BY contact_id, id";
const char* const kEmailsByName =
    "SELECT contact_id, address FROM emails WHERE contact_id IN "
    "(SELECT id FROM contacts WHERE last_name = $1 ORDER BY id LIMIT $2 OFFSET $3) ORDER BY contact_id, id";
const char* const kOne =
    "SELECT c.id, c.first_name, c.last_name, t.name AS type, c.created_at FROM contacts c "
    "JOIN contact_types t ON t.id = c.type_id WHERE c.id = $1";
const char* const kOnePhones = "SELECT contact_id, kind, number FROM phones WHERE contact_id = $1 ORDER BY id";
const char* const kOneEmails = "SELECT contact_id, address FROM emails WHERE contact_id = $1 ORDER BY id";
const char* const kTypes = "SELECT id, name FROM contact_types ORDER BY id";

const char* const kSchema[] = {
    "CREATE TABLE contact_types (id integer PRIMARY KEY, name text NOT NULL UNIQUE)",
    "CREATE TABLE contacts (id integer PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, "
    "type_id integer NOT NULL REFERENCES contact_types (id), created_at text NOT NULL)",
    "CREATE INDEX contacts_last_name ON contacts (last_name, id)",
    "CREATE TABLE phones (id integer PRIMARY KEY, contact_id integer NOT NULL REFERENCES contacts (id), "
    "kind text NOT NULL, number text NOT NULL)",
    "CREATE INDEX phones_contact ON phones (contact_id, id)",
    "CREATE TABLE emails (id integer PRIMARY KEY, contact_id integer NOT NULL REFERENCES contacts (id), "
    "address text NOT NULL)",
    "CREATE INDEX emails_contact ON emails (contact_id, id)",
};

// ------------------------------------------------------------------ the rows both tiers read

struct ContactRow {
  int64_t id;
  std::string first_name, last_name, type, created_at;
};
BOOST_DESCRIBE_STRUCT(ContactRow, (), (id, first_name, last_name, type, created_at))
struct PhoneRow {
  int64_t contact_id;
  std::string kind, number;
};
BOOST_DESCRIBE_STRUCT(PhoneRow, (), (contact_id, kind, number))
struct EmailRow {
  int64_t contact_id;
  std::string address;
};
BOOST_DESCRIBE_STRUCT(EmailRow, (), (contact_id, address))

// The answer of one page or one contact: the three results.
struct Fetched {
  std::vector<ContactRow> contacts;
  std::vector<PhoneRow> phones;
  std::vector<EmailRow> emails;
};

// Exactly three statements, sent as one batch.
Task<Fetched> fetch(db::Lease& lease, const std::vector<db::Statement>& batch) {
  auto rows = co_await lease.pipeline(batch);
  co_return Fetched{db::decode_rows<ContactRow>(rows[0]), db::decode_rows<PhoneRow>(rows[1]),
                    db::decode_rows<EmailRow>(rows[2])};
}

Task<Fetched> fetch_page(db::Lease& lease, int64_t page, int64_t size, const std::optional<std::string>& last_name) {
  const int64_t offset = (page - 1) * size;
  std::vector<db::Statement> batch;
  if (last_name) {
    const std::vector<db::Param> p = {db::to_param(*last_name), db::to_param(size), db::to_param(offset)};
    batch = {{kPageByName, p}, {kPhonesByName, p}, {kEmailsByName, p}};
  } else {
    const std::vector<db::Param> p = {db::to_param(size), db::to_param(offset)};
    batch = {{kPageAll, p}, {kPhonesAll, p}, {kEmailsAll, p}};
  }
  co_return co_await fetch(lease, batch);
}

Task<Fetched> fetch_one(db::Lease& lease, int64_t id) {
  const std::vector<db::Param> p = {db::to_param(id)};
  const std::vector<db::Statement> batch = {{kOne, p}, {kOnePhones, p}, {kOneEmails, p}};
  co_return co_await fetch(lease, batch);
}

// Tier 3 takes a connection per call; it is back in the pool before the
// JSON is written.
Task<Fetched> fetch_page(db::Database& database, int64_t page, int64_t size,
                         const std::optional<std::string>& last_name) {
  db::Lease lease = co_await database.pool().acquire();
  co_return co_await fetch_page(lease, page, size, last_name);
}
Task<Fetched> fetch_one(db::Database& database, int64_t id) {
  db::Lease lease = co_await database.pool().acquire();
  co_return co_await fetch_one(lease, id);
}

// Walks the phones and emails (ordered by contact) beside the contacts.
template <class F>
void assemble(const Fetched& f, F&& each) {
  size_t p = 0, e = 0;
  for (const ContactRow& c : f.contacts) {
    while (p < f.phones.size() && f.phones[p].contact_id < c.id) ++p;
    while (e < f.emails.size() && f.emails[e].contact_id < c.id) ++e;
    size_t p_end = p, e_end = e;
    while (p_end < f.phones.size() && f.phones[p_end].contact_id == c.id) ++p_end;
    while (e_end < f.emails.size() && f.emails[e_end].contact_id == c.id) ++e_end;
    each(c, std::span(f.phones).subspan(p, p_end - p), std::span(f.emails).subspan(e, e_end - e));
    p = p_end;
    e = e_end;
  }
}

// The CPU-heavy variant (seed 001's second claim): FNV-1a 64 over the page's
// text, `rounds` times over, carrying the state. Every stack computes the
// same text: per contact "id|first|last|type|created|", then "kind:number;"
// per phone and "address;" per email, then a newline.
std::string digest(const Fetched& f, int64_t rounds) {
  std::string text;
  assemble(f, [&](const ContactRow& c, std::span<const PhoneRow> phones, std::span<const EmailRow> emails) {
    text.append(std::to_string(c.id)).append("|").append(c.first_name).append("|").append(c.last_name);
    text.append("|").append(c.type).append("|").append(c.created_at).append("|");
    for (const auto& p : phones) text.append(p.kind).append(":").append(p.number).append(";");
    for (const auto& e : emails) text.append(e.address).append(";");
    text.push_back('\n');
  });
  uint64_t h = 0xcbf29ce484222325ULL;
  for (int64_t r = 0; r < rounds; ++r)
    for (unsigned char ch : text) {
      h ^= ch;
      h *= 0x100000001b3ULL;
    }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

inline constexpr int64_t kDefaultRounds = 100;
inline constexpr int64_t kMaxRounds = 100'000;

// ------------------------------------------------------------------ tier 3: JSON by hand

void write_contact(std::string& out, const ContactRow& c, std::span<const PhoneRow> phones,
                   std::span<const EmailRow> emails) {
  out.append("{\"id\":").append(std::to_string(c.id));
  out.append(",\"first_name\":");
  json::append_string(out, c.first_name);
  out.append(",\"last_name\":");
  json::append_string(out, c.last_name);
  out.append(",\"type\":");
  json::append_string(out, c.type);
  out.append(",\"created_at\":");
  json::append_string(out, c.created_at);
  out.append(",\"phones\":[");
  for (size_t i = 0; i < phones.size(); ++i) {
    out.append(i ? ",{\"kind\":" : "{\"kind\":");
    json::append_string(out, phones[i].kind);
    out.append(",\"number\":");
    json::append_string(out, phones[i].number);
    out.push_back('}');
  }
  out.append("],\"emails\":[");
  for (size_t i = 0; i < emails.size(); ++i) {
    if (i) out.push_back(',');
    json::append_string(out, emails[i].address);
  }
  out.append("]}");
}

app::Response json_error(int status, std::string_view detail) {
  std::string out = "{\"detail\":";
  json::append_string(out, detail);
  out.push_back('}');
  return app::Response::json(std::move(out), status);
}

// An integer query parameter in [lo, hi], or nullopt.
std::optional<int64_t> int_param(const app::Request& req, std::string_view name, int64_t fallback, int64_t lo,
                                 int64_t hi) {
  const auto text = req.query(name);
  if (!text) return fallback;
  int64_t v = 0;
  const auto r = std::from_chars(text->data(), text->data() + text->size(), v);
  if (r.ec != std::errc() || r.ptr != text->data() + text->size() || v < lo || v > hi) return std::nullopt;
  return v;
}

inline constexpr int64_t kMaxPage = 1'000'000'000'000'000;  // keeps (page - 1) * size far from overflow
const char* const kPageError = "page must be an integer from 1 to 10^15";
inline constexpr int64_t kMaxPageSize = 100;

// ------------------------------------------------------------------ tier 4 models

struct Phone {
  std::string kind;
  std::string number;
};
BOOST_DESCRIBE_STRUCT(Phone, (), (kind, number))
struct Contact {
  int64_t id = 0;
  std::string first_name, last_name, type, created_at;
  std::vector<Phone> phones;
  std::vector<std::string> emails;
};
BOOST_DESCRIBE_STRUCT(Contact, (), (id, first_name, last_name, type, created_at, phones, emails))
struct ContactPage {
  int64_t page = 1;
  int64_t page_size = kPageSize;
  std::vector<Contact> results;
};
BOOST_DESCRIBE_STRUCT(ContactPage, (), (page, page_size, results))
struct ContactType {
  int64_t id = 0;
  std::string name;
};
BOOST_DESCRIBE_STRUCT(ContactType, (), (id, name))
struct Version {
  std::string name;
  std::string version;
};
BOOST_DESCRIBE_STRUCT(Version, (), (name, version))
struct Digest {
  int64_t page = 1;
  int64_t rounds = 0;
  std::string digest;
};
BOOST_DESCRIBE_STRUCT(Digest, (), (page, rounds, digest))

std::vector<Contact> to_models(const Fetched& f) {
  std::vector<Contact> out;
  out.reserve(f.contacts.size());
  assemble(f, [&](const ContactRow& c, std::span<const PhoneRow> phones, std::span<const EmailRow> emails) {
    Contact& m = out.emplace_back();
    m.id = c.id;
    m.first_name = c.first_name;
    m.last_name = c.last_name;
    m.type = c.type;
    m.created_at = c.created_at;
    for (const auto& p : phones) m.phones.push_back({p.kind, p.number});
    for (const auto& e : emails) m.emails.push_back(e.address);
  });
  return out;
}

db::Database* g_contacts_db = nullptr;
Task<db::Lease> contacts_db() { co_return co_await g_contacts_db->pool().acquire(); }

inline constexpr router::Constraints kPageRule{.ge = 1, .le = kMaxPage};
inline constexpr router::Constraints kPageSizeRule{.ge = 1, .le = kMaxPageSize};
inline constexpr router::Constraints kRoundsRule{.ge = 1, .le = kMaxRounds};

const char* const kVersionJson = R"({"name":"contacts","version":"1.0"})";

}  // namespace

void add_contacts_routes(app::Application& app, db::Database& database) {
  app.get("/version", [](app::Request&) -> Task<app::Response> { co_return app::Response::json(kVersionJson); });
  app.get("/types", [&database](app::Request&) -> Task<app::Response> {
    db::Rows rows = co_await database.pool().query(kTypes);
    std::string out = "[";
    for (db::Row r : rows) {
      if (out.size() > 1) out.push_back(',');
      out.append("{\"id\":").append(r.text("id")).append(",\"name\":");
      json::append_string(out, r.text("name"));
      out.push_back('}');
    }
    out.push_back(']');
    co_return app::Response::json(std::move(out));
  });
  app.get("/contacts/", [&database](app::Request& req) -> Task<app::Response> {
    const auto page = int_param(req, "page", 1, 1, kMaxPage);
    const auto size = int_param(req, "page_size", kPageSize, 1, kMaxPageSize);
    if (!page) co_return json_error(400, kPageError);
    if (!size) co_return json_error(400, "page_size must be an integer from 1 to 100");
    std::optional<std::string> last_name;
    if (auto v = req.query("last_name")) last_name.emplace(*v);
    const Fetched f = co_await fetch_page(database, *page, *size, last_name);
    std::string out = "{\"page\":" + std::to_string(*page) + ",\"page_size\":" + std::to_string(*size) +
                      ",\"results\":[";
    bool first = true;
    assemble(f, [&](const ContactRow& c, std::span<const PhoneRow> phones, std::span<const EmailRow> emails) {
      if (!first) out.push_back(',');
      first = false;
      write_contact(out, c, phones, emails);
    });
    out.append("]}");
    co_return app::Response::json(std::move(out));
  });
  app.get("/digest/", [&database](app::Request& req) -> Task<app::Response> {
    const auto page = int_param(req, "page", 1, 1, kMaxPage);
    const auto rounds = int_param(req, "rounds", kDefaultRounds, 1, kMaxRounds);
    if (!page) co_return json_error(400, kPageError);
    if (!rounds) co_return json_error(400, "rounds must be an integer from 1 to 100000");
    const Fetched f = co_await fetch_page(database, *page, kPageSize, std::nullopt);
    co_return app::Response::json("{\"page\":" + std::to_string(*page) + ",\"rounds\":" + std::to_string(*rounds) +
                                  ",\"digest\":\"" + digest(f, *rounds) + "\"}");
  });
  app.get("/contacts/{id:int}", [&database](app::Request& req) -> Task<app::Response> {
    const Fetched f = co_await fetch_one(database, req.path_int("id"));
    if (f.contacts.empty()) co_return json_error(404, "Contact not found");
    std::string out;
    assemble(f, [&](const ContactRow& c, std::span<const PhoneRow> phones, std::span<const EmailRow> emails) {
      write_contact(out, c, phones, emails);
    });
    co_return app::Response::json(std::move(out));
  });
}

void add_contacts_routes(router::API& api, db::Database& database) {
  using namespace router;
  g_contacts_db = &database;
  const RouteOptions tagged{.tags = {"contacts (seed 001)"}};
  auto named = [&](std::string name) {
    RouteOptions o = tagged;
    o.name = std::move(name);
    return o;
  };
  api.get("/version", []() -> Task<Version> { co_return Version{"contacts", "1.0"}; }, named("version"));
  api.get(
      "/types",
      [](Depends<contacts_db> db) -> Task<std::vector<ContactType>> {
        co_return db::decode_rows<ContactType>(co_await db->query(kTypes));
      },
      named("list_types"));
  api.get(
      "/contacts/",
      [](Query<"page", int64_t, int64_t{1}, kPageRule> page,
         Query<"page_size", int64_t, kPageSize, kPageSizeRule> page_size,
         Query<"last_name", std::optional<std::string>> last_name, Depends<contacts_db> db) -> Task<ContactPage> {
        const Fetched f = co_await fetch_page(*db, *page, *page_size, *last_name);
        co_return ContactPage{*page, *page_size, to_models(f)};
      },
      named("list_contacts"));
  api.get(
      "/digest/",
      [](Query<"page", int64_t, int64_t{1}, kPageRule> page, Query<"rounds", int64_t, kDefaultRounds, kRoundsRule> rounds,
         Depends<contacts_db> db) -> Task<Digest> {
        const Fetched f = co_await fetch_page(*db, *page, kPageSize, std::nullopt);
        co_return Digest{*page, *rounds, digest(f, *rounds)};
      },
      named("digest_contacts"));
  api.get(
      "/contacts/{id}",
      [](Path<"id", int64_t> id, Depends<contacts_db> db) -> Task<Contact> {
        const Fetched f = co_await fetch_one(*db, *id);
        if (f.contacts.empty()) throw app::HTTPException(404, "Contact not found");
        co_return std::move(to_models(f).front());
      },
      named("get_contact"));
}

// ------------------------------------------------------------------ the data

namespace {

// splitmix64: a fixed seed gives the same rows on every machine.
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

const char* const kTypeNames[] = {"family", "friend", "work", "vendor", "other"};
const char* const kFirst[] = {"Ada",   "Alan",  "Barbara", "Brian",  "Claude", "Donald", "Edsger", "Frances",
                              "Grace", "Guido", "Hedy",    "Ivan",   "John",   "Ken",    "Leslie", "Linus",
                              "Margaret", "Niklaus", "Radia", "Robin", "Shafi", "Sophie", "Tim",   "Tony",
                              "Vint",  "Whitfield", "Xiao", "Yukihiro", "Zelda", "Dennis"};
const char* const kStart[] = {"An",  "Bel", "Car", "Dor", "El",  "Far", "Gil", "Har", "Is",  "Jor",
                              "Kel", "Lam", "Mor", "Nor", "Ost", "Pen", "Quin", "Ros", "Sal", "Tor",
                              "Ul",  "Var", "Wil", "Yor", "Zan"};
const char* const kMiddle[] = {"a", "e", "i", "o", "u", "ar", "en", "il", "or", "us"};
const char* const kEnd[] = {"son", "man", "ley", "ton", "ford", "wood", "berg", "stein"};
const char* const kPhoneKinds[] = {"mobile", "home", "work"};

template <class T, size_t N>
constexpr size_t count_of(T (&)[N]) {
  return N;
}

std::string last_name(size_t i) {  // 25 * 10 * 8 = 2,000 distinct names
  return std::string(kStart[i % 25]) + kMiddle[(i / 25) % 10] + kEnd[(i / 250) % 8];
}

std::string iso_time(int64_t seconds_since_2020) {
  const std::time_t t = 1577836800 + seconds_since_2020;  // 2020-01-01T00:00:00Z
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Rows of one table, as text, inserted in batches of multi-row INSERTs.
struct Table {
  const char* name;
  size_t columns;
  std::vector<std::string> cells;
};

Task<void> insert_all(db::Lease& lease, const Table& t) {
  const size_t per_batch = 500;
  const size_t rows = t.cells.size() / t.columns;
  for (size_t start = 0; start < rows; start += per_batch) {
    const size_t n = std::min(per_batch, rows - start);
    std::string sql = std::string("INSERT INTO ") + t.name + " VALUES ";
    std::vector<db::Param> params;
    params.reserve(n * t.columns);
    for (size_t r = 0; r < n; ++r) {
      sql.append(r ? ",(" : "(");
      for (size_t c = 0; c < t.columns; ++c) {
        if (c) sql.push_back(',');
        sql.append("$").append(std::to_string(params.size() + 1));
        params.push_back(db::to_param(t.cells[(start + r) * t.columns + c]));
      }
      sql.push_back(')');
    }
    const std::vector<db::Statement> batch = {{sql, params}};
    co_await lease.pipeline(batch);
  }
}

}  // namespace

LoadReport load_contacts(db::Database& database, int64_t contacts, bool replace) {
  Rng rng{20010001};
  Table types{"contact_types", 2, {}}, people{"contacts", 5, {}}, phones{"phones", 4, {}}, emails{"emails", 3, {}};
  for (size_t i = 0; i < count_of(kTypeNames); ++i) {
    types.cells.push_back(std::to_string(i + 1));
    types.cells.push_back(kTypeNames[i]);
  }
  int64_t phone_id = 0, email_id = 0;
  for (int64_t id = 1; id <= contacts; ++id) {
    const std::string first = kFirst[rng.below(count_of(kFirst))];
    const std::string last = last_name(rng.below(2000));
    people.cells.insert(people.cells.end(), {std::to_string(id), first, last,
                                             std::to_string(1 + rng.below(count_of(kTypeNames))),
                                             iso_time(id * 3599)});
    for (size_t k = 1 + rng.below(3); k > 0; --k) {
      char number[32];
      std::snprintf(number, sizeof number, "+1-555-%03zu-%04zu", rng.below(1000), rng.below(10000));
      phones.cells.insert(phones.cells.end(), {std::to_string(++phone_id), std::to_string(id),
                                               kPhoneKinds[rng.below(count_of(kPhoneKinds))], number});
    }
    for (size_t k = rng.below(3); k > 0; --k)
      emails.cells.insert(emails.cells.end(),
                          {std::to_string(++email_id), std::to_string(id),
                           lower(first) + "." + lower(last) + std::to_string(email_id) + "@example.com"});
  }

  db::run_sync(database, [&](db::Pool& pool) -> Task<void> {
    db::Lease lease = co_await pool.acquire();
    int64_t existing = 0;
    try {
      db::Rows r = co_await lease.query("SELECT count(*) AS n FROM contacts");
      existing = r[0].get<int64_t>("n");
    } catch (const db::Error&) {
      // No table yet.
    }
    if (existing > 0 && !replace)
      throw std::runtime_error("the database already holds " + std::to_string(existing) +
                               " contacts; pass --replace to drop and load them again");
    co_await lease.transaction([&](db::Lease& tx) -> Task<void> {
      for (const char* t : {"emails", "phones", "contacts", "contact_types"})
        co_await tx.query(std::string("DROP TABLE IF EXISTS ") + t);
      for (const char* ddl : kSchema) co_await tx.query(ddl);
      for (const Table* t : {&types, &people, &phones, &emails}) co_await insert_all(tx, *t);
    });
    if (lease.backend() == db::Backend::postgresql) co_await lease.query("ANALYZE");
  });
  return {contacts, phone_id, email_id, static_cast<int64_t>(count_of(kTypeNames))};
}

}  // namespace strata::cli
