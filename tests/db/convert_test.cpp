// Pure functions of the database layer: URL handling, text -> value
// conversions, rows and their decoding into described structs.
#include <gtest/gtest.h>

#include <cmath>

#include <boost/describe.hpp>

#include "db/db.hpp"

namespace db = strata::db;
using namespace std::chrono;

TEST(DbUrl, PasswordIsNeverShown) {
  EXPECT_EQ(db::redact_url("postgresql://app:s3cret@db.local:5432/shop"), "postgresql://app:***@db.local:5432/shop");
  EXPECT_EQ(db::redact_url("postgresql://app@db/shop?password=s3cret&sslmode=off"),
            "postgresql://app@db/shop?password=***&sslmode=off");
  EXPECT_EQ(db::redact_url("postgresql://app:p%40ss@h/x"), "postgresql://app:***@h/x");
  EXPECT_EQ(db::redact_url("postgresql:///shop?host=/tmp"), "postgresql:///shop?host=/tmp");
  EXPECT_EQ(db::redact_url("sqlite:///a.db"), "sqlite:///a.db");
}

TEST(DbUrl, SqlitePathsAsSqlAlchemyReadsThem) {
  EXPECT_EQ(db::sqlite_path("sqlite:///shop.db"), "shop.db");
  EXPECT_EQ(db::sqlite_path("sqlite:////var/lib/shop.db"), "/var/lib/shop.db");
  EXPECT_EQ(db::sqlite_path("sqlite://"), ":memory:");
  EXPECT_EQ(db::sqlite_path("sqlite:///:memory:"), ":memory:");
  EXPECT_EQ(db::sqlite_path("sqlite://host/x.db"), std::nullopt);
  EXPECT_EQ(db::sqlite_path("postgresql:///x"), std::nullopt);
}

TEST(DbUrl, UnknownSchemeIsAClearError) {
  try {
    db::Database d({.url = "mysql://root:pw@host/db"});
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("mysql://root:***@host/db"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("pw"), std::string::npos);
  }
}

TEST(DbConvert, NumbersAndBooleansFromEitherBackend) {
  int64_t i = 0;
  db::detail::convert("-42", i, "c");
  EXPECT_EQ(i, -42);
  EXPECT_THROW(db::detail::convert("4x", i, "c"), db::Error);
  EXPECT_THROW(db::detail::convert("", i, "c"), db::Error);
  double d = 0;
  db::detail::convert("Infinity", d, "c");
  EXPECT_TRUE(std::isinf(d));
  db::detail::convert("0.1", d, "c");
  EXPECT_DOUBLE_EQ(d, 0.1);
  bool b = false;
  db::detail::convert("t", b, "c");
  EXPECT_TRUE(b);
  db::detail::convert("0", b, "c");
  EXPECT_FALSE(b);
  EXPECT_THROW(db::detail::convert("yes", b, "c"), db::Error);
  int8_t small = 0;
  EXPECT_THROW(db::detail::convert_cell(false, "300", small, "c"), db::Error);
}

TEST(DbConvert, TimestampsInPostgresAndIsoForms) {
  system_clock::time_point t;
  const auto expect = sys_days{2024y / 1 / 2} + 3h + 4min + 5s;
  db::detail::convert("2024-01-02 03:04:05", t, "c");
  EXPECT_EQ(t, expect);
  db::detail::convert("2024-01-02T03:04:05Z", t, "c");
  EXPECT_EQ(t, expect);
  db::detail::convert("2024-01-02 05:04:05+02", t, "c");
  EXPECT_EQ(t, expect);
  db::detail::convert("2024-01-02 00:34:05-02:30", t, "c");
  EXPECT_EQ(t, expect);
  db::detail::convert("2024-01-02 03:04:05.25+00", t, "c");
  EXPECT_EQ(t, expect + 250ms);
  db::detail::convert("2024-01-02", t, "c");
  EXPECT_EQ(t, sys_days{2024y / 1 / 2});
  for (const char* bad : {"2024-02-30 00:00:00", "2024-01-02 03:04", "2024/01/02", "2024-01-02 03:04:05 junk", "",
                          "2024-01-02 03:04:05+2"})
    EXPECT_THROW(db::detail::convert(bad, t, "c"), db::Error) << bad;
}

struct Person {
  int64_t id;
  std::string name;
  std::optional<double> height;
};
BOOST_DESCRIBE_STRUCT(Person, (), (id, name, height))

db::Rows people() {
  db::Rows r;
  r.add_column("name");
  r.add_column("id");
  r.add_column("height");
  r.add_cell("Ada", 3, false);
  r.add_cell("1", 1, false);
  r.add_cell("1.7", 3, false);
  r.add_cell("Bob", 3, false);
  r.add_cell("2", 1, false);
  r.add_cell(nullptr, 0, true);
  return r;
}

TEST(DbRows, RowViewReadsByNameOrIndex) {
  const db::Rows r = people();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].text("name"), "Ada");
  EXPECT_EQ(r[1].get<int64_t>("id"), 2);
  EXPECT_TRUE(r[1].is_null("height"));
  EXPECT_EQ(r[1].get<std::optional<double>>("height"), std::nullopt);
  EXPECT_THROW(r[1].get<double>("height"), db::Error);  // NULL into a non-optional
  EXPECT_THROW(r[0].text("missing"), db::Error);
  size_t n = 0;
  for (db::Row row : r) n += row.size();
  EXPECT_EQ(n, 6u);
}

TEST(DbRows, DecodeMatchesColumnsByNameInAnyOrder) {
  const auto v = db::decode_rows<Person>(people());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].id, 1);
  EXPECT_EQ(v[0].name, "Ada");
  EXPECT_DOUBLE_EQ(*v[0].height, 1.7);
  EXPECT_FALSE(v[1].height.has_value());
  db::Rows missing;
  missing.add_column("id");
  EXPECT_THROW(db::decode_rows<Person>(missing), db::Error);
}

TEST(DbParams, ValuesBecomeTypedParameters) {
  EXPECT_EQ(db::to_param(7).kind, db::Param::Kind::integer);
  EXPECT_EQ(db::to_param(true).kind, db::Param::Kind::boolean);
  EXPECT_EQ(db::to_param(2.5).kind, db::Param::Kind::real);
  EXPECT_EQ(db::to_param(std::string("x")).s, "x");
  EXPECT_EQ(db::to_param(std::optional<int>()).kind, db::Param::Kind::null);
  EXPECT_EQ(db::to_param(std::optional<int>(3)).i, 3);
  EXPECT_THROW(db::to_param(UINT64_MAX), db::Error);
}
