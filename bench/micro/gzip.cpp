// The GZip middleware's cost per KiB (Catch2 benchmarks, `bench_gzip`):
// one GET through TestClient for a 64 KiB JSON-like body, with and without
// Accept-Encoding: gzip, at compress levels 1, 6 and 9 (9 is the default,
// as Starlette's), and the same 64 KiB streamed in 1 KiB pieces (a
// Z_SYNC_FLUSH per piece). The per-KiB cost is (gzip - identity) / 64.

// As in main.cpp, which holds the runner: both sides must see one Catch2.
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "app/application.hpp"
#include "app/gzip.hpp"
#include "app/testclient.hpp"

namespace {

using namespace strata;
using namespace strata::app;

constexpr size_t kBodySize = 64 * 1024;

// Records of an API's kind: repeated keys, varying numbers and names.
std::string json_like(size_t n) {
  std::string s = "[";
  for (unsigned i = 0; s.size() < n; ++i)
    s += R"({"id":)" + std::to_string(i * 7919 % 100003) + R"(,"name":"user )" + std::to_string(i * 31 % 977) +
         R"(","email":"u)" + std::to_string(i) + R"(@example.com","active":)" + (i % 3 ? "true" : "false") + "},";
  s.resize(n - 1);
  s += "]";
  return s;
}

struct Fixture {
  explicit Fixture(int level) : app(config()) {
    app.get("/whole", [body = body](Request&) -> Task<Response> { co_return Response::json(body); });
    app.get("/stream", [body = body](Request&) -> Task<Response> {
      co_return Response::stream([body](BodyWriter& w) -> Task<void> {
        for (size_t at = 0; at < body.size(); at += 1024) co_await w.write(std::string_view(body).substr(at, 1024));
      });
    });
    app.add_middleware(gzip({.compresslevel = level}));
    client = std::make_unique<TestClient>(app);
  }
  static AppConfig config() {
    AppConfig c;
    c.threads = 1;
    return c;
  }
  size_t get(const char* target, bool gz) {
    TestRequest r;
    r.target = target;
    if (gz) r.headers = {{"Accept-Encoding", "gzip"}};
    return client->request(r).body.size();
  }
  std::string body = json_like(kBodySize);
  Application app;
  std::unique_ptr<TestClient> client;
};

}  // namespace

// Each case checks its answer once before measuring (compressed when it
// should be, whole when not), and the measured lambdas return the size.
TEST_CASE("gzip 64 KiB", "[gzip]") {
  for (int level : {1, 6, 9}) {
    Fixture f(level);
    REQUIRE(f.get("/whole", false) == kBodySize);
    REQUIRE(f.get("/whole", true) < kBodySize / 3);
    REQUIRE(f.get("/stream", true) < kBodySize / 2);
    if (level == 9) BENCHMARK("identity, whole body") { return f.get("/whole", false); };
    BENCHMARK("gzip level " + std::to_string(level) + ", whole body") { return f.get("/whole", true); };
    BENCHMARK("gzip level " + std::to_string(level) + ", 64 pieces of 1 KiB") { return f.get("/stream", true); };
    if (level == 9) BENCHMARK("identity, 64 pieces of 1 KiB") { return f.get("/stream", false); };
  }
}
