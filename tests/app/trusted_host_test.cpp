// TrustedHost middleware (app::trusted_host) through TestClient.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "app/application.hpp"
#include "app/testclient.hpp"
#include "helpers.hpp"

namespace {

using namespace strata;
using namespace strata::app;
using namespace strata::app::test;

TestResponse get_with_host(TestClient& c, std::string target, std::string host) {
  TestRequest r;
  r.target = std::move(target);
  if (!host.empty()) r.headers = {{"Host", std::move(host)}};
  return c.request(r);
}

TEST(AppTrustedHost, ExactAndWildcardHostsPassOthersAre400) {
  Captured log;
  Application app(log.config());
  app.get("/", [](Request&) -> Task<Response> { co_return Response::text("in"); });
  app.add_middleware(trusted_host({.allowed_hosts = {"example.com", "*.example.org", "[::1]"}}));
  TestClient client(app);
  for (const char* host : {"example.com", "example.com:8080", "EXAMPLE.com", "api.example.org", "a.b.example.org:1",
                           "[::1]:8000", "[::1]"}) {
    TestResponse r = get_with_host(client, "/", host);
    EXPECT_EQ(r.status, 200) << host << "\n" << dump(r);
    EXPECT_EQ(r.body, "in");
  }
  for (const char* host : {"evil.com", "example.org", "xexample.org", "example.com.evil.com", "sub.example.com",
                           "example.org.", "[::2]:80", ":80", ""}) {
    TestResponse r = get_with_host(client, "/", host);
    EXPECT_EQ(r.status, 400) << "'" << host << "'\n" << dump(r);
    EXPECT_EQ(r.body, "Invalid host header");
  }
}

TEST(AppTrustedHost, WwwRedirectKeepsPortPathAndQuery) {
  Captured log;
  Application app(log.config());
  app.get("/a/b", [](Request&) -> Task<Response> { co_return Response::text("in"); });
  app.add_middleware(trusted_host({.allowed_hosts = {"www.example.com"}}));
  TestClient client(app);
  TestResponse r = get_with_host(client, "/a/b?x=1", "example.com:8080");
  EXPECT_EQ(r.status, 307) << dump(r);
  EXPECT_EQ(r.header("location"), "http://www.example.com:8080/a/b?x=1");
  EXPECT_EQ(get_with_host(client, "/a/b", "www.example.com").status, 200);
  EXPECT_EQ(get_with_host(client, "/a/b", "other.com").status, 400);

  Application no_redirect(log.config());
  no_redirect.add_middleware(trusted_host({.allowed_hosts = {"www.example.com"}, .www_redirect = false}));
  TestClient client2(no_redirect);
  EXPECT_EQ(get_with_host(client2, "/a/b", "example.com").status, 400);
}

TEST(AppTrustedHost, AnyHostIsAllowedByStarAndBadPatternsAreRefused) {
  Captured log;
  Application app(log.config());
  app.get("/", [](Request&) -> Task<Response> { co_return Response::text("in"); });
  app.add_middleware(trusted_host({.allowed_hosts = {"*"}}));
  TestClient client(app);
  EXPECT_EQ(get_with_host(client, "/", "anything.test").status, 200);
  EXPECT_EQ(get_with_host(client, "/", "").status, 200);
  for (const char* bad : {"*example.com", "api.*.com", "*.*.com", "example.*"})
    EXPECT_THROW(trusted_host({.allowed_hosts = {bad}}), std::invalid_argument) << bad;
}

TEST(AppTrustedHost, AVeryLongHostIsRefusedWithoutTrouble) {
  Captured log;
  Application app(log.config());
  app.add_middleware(trusted_host({.allowed_hosts = {"*.example.com"}}));
  app.get("/", [](Request&) -> Task<Response> { co_return Response::text("in"); });
  TestClient client(app);
  EXPECT_EQ(get_with_host(client, "/", std::string(60000, 'a')).status, 400);
  EXPECT_EQ(get_with_host(client, "/", std::string(60000, 'a') + ".example.com").status, 200);
  // An empty pattern matches nothing, not even a missing Host.
  Application empty(log.config());
  empty.add_middleware(trusted_host({.allowed_hosts = {""}}));
  TestClient client2(empty);
  EXPECT_EQ(get_with_host(client2, "/", "").status, 400);
  EXPECT_EQ(get_with_host(client2, "/", "a").status, 400);
}

}  // namespace
