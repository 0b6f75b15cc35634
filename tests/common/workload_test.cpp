#include "common/workload.hpp"

#include <gtest/gtest.h>

namespace {

using strata::workload::Status;

struct Answer {
  Status status;
  std::string body;
};

Answer run(std::string_view body) {
  static strata::workload::UserEndpoint endpoint;
  Answer a;
  a.status = endpoint(body, a.body);
  return a;
}

TEST(Workload, SeedBodyRoundTripsCompactly) {
  auto a = run(R"({"id": 1, "name": "user", "email": "user@email.com"})");
  EXPECT_EQ(a.status, Status::ok);
  EXPECT_EQ(a.body, R"({"id":1,"name":"user","email":"user@email.com"})");
}

TEST(Workload, FieldOrderAndUnknownFieldsDoNotMatter) {
  auto a = run(R"({"email": "e", "extra": [1, {"x": null}], "name": "n", "id": -7})");
  EXPECT_EQ(a.status, Status::ok);
  EXPECT_EQ(a.body, R"({"id":-7,"name":"n","email":"e"})");
}

TEST(Workload, EscapedStringsAreDecodedThenReEscaped) {
  auto a = run(R"({"id": 2, "name": "a\"b\u00e9\n", "email": "x\\y"})");
  EXPECT_EQ(a.status, Status::ok);
  EXPECT_EQ(a.body, "{\"id\":2,\"name\":\"a\\\"b\xc3\xa9\\n\",\"email\":\"x\\\\y\"}");
}

TEST(Workload, RejectsWithOneLineReasons) {
  struct Case { const char* body; const char* reason; };
  const Case cases[] = {
      {"", "invalid JSON"},
      {"{", "invalid JSON"},
      {"[1, 2]", "body must be a JSON object"},
      {"42", "body must be a JSON object"},
      {R"({"id": "1", "name": "n", "email": "e"})", "field 'id' must be an integer"},
      {R"({"id": 1.5, "name": "n", "email": "e"})", "field 'id' must be an integer"},
      {R"({"id": 1, "name": 3, "email": "e"})", "field 'name' must be a string"},
      {R"({"id": 1, "name": "n", "email": null})", "field 'email' must be a string"},
      {R"({"name": "n", "email": "e"})", "missing field 'id'"},
      {R"({"id": 1, "email": "e"})", "missing field 'name'"},
      {R"({"id": 1, "name": "n"})", "missing field 'email'"},
      {R"({"id": 1, "name": "n", "email": "e"} trailing)", "invalid JSON"},
  };
  for (const Case& c : cases) {
    auto a = run(c.body);
    EXPECT_EQ(a.status, Status::bad_request) << c.body;
    EXPECT_EQ(a.body.rfind(c.reason, 0), 0u) << c.body << " -> " << a.body;
    EXPECT_EQ(a.body.find('\n'), std::string::npos) << a.body;
  }
}

TEST(Workload, LargeBodiesGrowTheScratchBuffer) {
  std::string name(100000, 'x');
  auto a = run(R"({"id": 1, "name": ")" + name + R"(", "email": "e"})");
  ASSERT_EQ(a.status, Status::ok);
  EXPECT_EQ(a.body.size(), name.size() + 30);
}

TEST(Workload, HelloEndpoints) {
  std::string out;
  strata::workload::hello_root(out);
  EXPECT_EQ(out, "Hello ASGI World!");
  out.clear();
  strata::workload::hello_index("name=J%C3%BCrgen+M", out);
  EXPECT_EQ(out, "Hello Jürgen M");
  out.clear();
  strata::workload::hello_index("other=1", out);
  EXPECT_EQ(out, "Hello ASGI World!");
}

}  // namespace
