// Seed 001's contacts API as a client sees it: `strata db load` fills a
// SQLite file and a private PostgreSQL cluster with the same rows, then
// `strata serve --tier app|typed` answers the same bytes on every
// combination, three statements per page, and hostile parameters get
// answers, never a 500.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "blackbox/blackbox.hpp"
#include "temp_postgres.hpp"

namespace strata::test {
namespace {

using namespace std::chrono_literals;

std::optional<Response> fetch(uint16_t port, std::string_view target) {
  Client c(port);
  if (!c.ok() || !c.send(get(target))) return std::nullopt;
  return c.read_response();
}

const std::vector<std::string> kTargets = {
    "/version",          "/types",          "/contacts/",         "/contacts/?page=2&page_size=5",
    "/contacts/?page=500&page_size=20", "/contacts/?page=501", "/contacts/7", "/contacts/10000",
    "/contacts/?last_name=Belason",     "/contacts/?last_name=Belason&page=2&page_size=2",
};

class ContactsBlackbox : public BlackboxServerTest {
 protected:
  static void SetUpTestSuite() {
    // One cluster and one file for the suite, each loaded once.
    pg_ = new testing::TempPostgres("-c log_statement=all");
    file_ = (std::filesystem::temp_directory_path() / ("strata-contacts-" + std::to_string(::getpid()) + ".db"))
                .string();
    for (const std::string& url : {pg_->url(), sqlite()}) {
      const auto r = run_command(kStrataBin, {"db", "load", "--database-url", url, "--contacts", "10000"}, 60s);
      ASSERT_TRUE(r.ok()) << r.err << r.out;
      EXPECT_NE(r.out.find("loaded 10000 contacts"), std::string::npos) << r.out;
    }
  }
  static void TearDownTestSuite() {
    delete pg_;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_ + suffix);
  }
  static std::string sqlite() { return "sqlite:///" + file_; }

  // A head limit above the 10 KB hostile name, so that it reaches the database.
  uint16_t serve(const std::string& tier, const std::string& url) {
    ServerProcess* s = start({"--tier", tier, "--database-url", url, "--max-head-bytes", "65536"});
    return s ? s->port() : 0;
  }

  static testing::TempPostgres* pg_;
  static std::string file_;
};
testing::TempPostgres* ContactsBlackbox::pg_ = nullptr;
std::string ContactsBlackbox::file_;

TEST_F(ContactsBlackbox, EveryTierOnEveryDatabaseAnswersTheSameBytes) {
  std::map<std::string, std::string> reference;  // target -> body from the first combination
  for (const std::string& url : {sqlite(), pg_->url()})
    for (const char* tier : {"app", "typed"}) {
      const uint16_t port = serve(tier, url);
      ASSERT_NE(port, 0);
      for (const auto& target : kTargets) {
        auto r = fetch(port, target);
        ASSERT_TRUE(r) << tier << " " << target;
        EXPECT_EQ(r->status, 200) << tier << " " << target;
        EXPECT_EQ(r->header("content-type"), "application/json") << tier << " " << target;
        auto [it, fresh] = reference.emplace(target, r->body);
        if (!fresh) {
          EXPECT_EQ(r->body, it->second) << tier << " on " << url << ": " << target;
        }
      }
    }
  EXPECT_NE(reference["/contacts/7"].find("\"id\":7,"), std::string::npos) << reference["/contacts/7"];
  EXPECT_NE(reference["/contacts/?page=501"].find("\"results\":[]"), std::string::npos);
  EXPECT_NE(reference["/contacts/?last_name=Belason"].find("\"last_name\":\"Belason\""), std::string::npos);
  EXPECT_EQ(reference["/contacts/?last_name=Belason"].find("\"last_name\":\"Anason\""), std::string::npos);
  // A page of 20 holds 20 contacts.
  const std::string& page = reference["/contacts/"];
  size_t n = 0;
  for (size_t at = page.find("\"first_name\""); at != std::string::npos; at = page.find("\"first_name\"", at + 1)) ++n;
  EXPECT_EQ(n, 20u);
}

TEST_F(ContactsBlackbox, AMissingContactIs404OnBothTiers) {
  for (const char* tier : {"app", "typed"}) {
    const uint16_t port = serve(tier, sqlite());
    auto r = fetch(port, "/contacts/10001");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << tier;
    EXPECT_EQ(r->body, R"({"detail":"Contact not found"})") << tier;
    auto bad = fetch(port, "/contacts/abc");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, std::string(tier) == "app" ? 404 : 422) << tier << ": " << bad->body;
  }
}

TEST_F(ContactsBlackbox, HostileParametersGetAnswersNeverA500) {
  const std::string ten_kb(10240, 'x');
  const std::vector<std::string> names = {"O%27Brien", "%25", "_", "%27%3B%20DROP%20TABLE%20contacts%3B%20--",
                                          "J%C3%BCrgen%20%E2%9C%93", ten_kb, "%5C"};
  for (const std::string& url : {sqlite(), pg_->url()})
    for (const char* tier : {"app", "typed"}) {
      const uint16_t port = serve(tier, url);
      for (const auto& name : names) {
        auto r = fetch(port, "/contacts/?last_name=" + name);
        ASSERT_TRUE(r) << tier << " " << name.substr(0, 40);
        EXPECT_EQ(r->status, 200) << tier << " " << name.substr(0, 40) << ": " << r->body.substr(0, 200);
        EXPECT_NE(r->body.find("\"results\":[]"), std::string::npos) << r->body.substr(0, 200);
      }
      for (const char* page : {"1000000000000", "1000000000000000"}) {
        auto r = fetch(port, std::string("/contacts/?page=") + page);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << tier << " page=" << page << ": " << r->body;
      }
      for (const char* page : {"-1", "0", "10000000000000000000", "abc"}) {
        auto r = fetch(port, std::string("/contacts/?page=") + page);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, std::string(tier) == "app" ? 400 : 422) << tier << " page=" << page << ": " << r->body;
      }
      // The table is still there.
      auto after = fetch(port, "/contacts/10000");
      ASSERT_TRUE(after);
      EXPECT_EQ(after->status, 200);
    }
}

// PostgreSQL's own statement log says what ran: three executions per page
// or contact, one for the types, none for the version.
TEST_F(ContactsBlackbox, ExactlyThreeStatementsPerPageAndOneForTheTypes) {
  for (const char* tier : {"app", "typed"}) {
    const uint16_t port = serve(tier, pg_->url());
    auto count_after = [&](std::string_view target) {
      const size_t before = pg_->log_size();
      auto r = fetch(port, target);
      EXPECT_TRUE(r && r->status < 500) << target;
      std::this_thread::sleep_for(100ms);  // the server writes its log asynchronously
      const std::string lines = pg_->log(before);
      int n = 0;
      for (size_t at = lines.find("LOG:  execute "); at != std::string::npos; at = lines.find("LOG:  execute ", at + 1))
        ++n;
      return n;
    };
    EXPECT_EQ(count_after("/contacts/?page=3"), 3) << tier;
    EXPECT_EQ(count_after("/contacts/?page=2&last_name=Belason"), 3) << tier;
    EXPECT_EQ(count_after("/contacts/7"), 3) << tier;
    EXPECT_EQ(count_after("/contacts/10001"), 3) << tier << " (a missing contact costs the same)";
    EXPECT_EQ(count_after("/types"), 1) << tier;
    EXPECT_EQ(count_after("/version"), 0) << tier;
  }
}

TEST_F(ContactsBlackbox, LoadRefusesToOverwriteUnlessAskedTo) {
  const auto again = run_command(kStrataBin, {"db", "load", "--database-url", sqlite(), "--contacts", "10"}, 60s);
  ASSERT_TRUE(again.status);
  EXPECT_EQ(again.status->code, 1);
  EXPECT_NE(again.err.find("already holds 10000 contacts; pass --replace"), std::string::npos) << again.err;
  const std::string other = file_ + ".other.db";
  const std::string url = "sqlite:///" + other;
  auto a = run_command(kStrataBin, {"db", "load", "--database-url", url, "--contacts", "50"}, 60s);
  auto b = run_command(kStrataBin, {"db", "load", "--database-url", url, "--contacts", "50", "--replace"}, 60s);
  EXPECT_TRUE(a.ok()) << a.err;
  EXPECT_TRUE(b.ok()) << b.err;
  EXPECT_NE(b.out.find("loaded 50 contacts"), std::string::npos) << b.out;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(other + suffix);
  const auto bad = run_command(kStrataBin, {"db", "load", "--database-url", "sqlite:////nonexistent-dir/x.db"}, 60s);
  ASSERT_TRUE(bad.status);
  EXPECT_EQ(bad.status->code, 1);
  EXPECT_NE(bad.err.find("cannot connect to sqlite:////nonexistent-dir/x.db"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace strata::test
