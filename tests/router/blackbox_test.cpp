// Tier 4 as a client sees it: the real binaries on --port 0, over raw TCP.
//   TypedBlackbox      `strata serve --tier typed` (the seed workloads through
//                      typed endpoints)
//   BookshelfBlackbox  strata-example-bookshelf (models with constraints, a
//                      guarding dependency, path/query/header parameters)
//   FormBlackbox       form_app.cpp (Form<>, File<>, BackgroundTasks&) with
//                      curl: an 8 MiB upload spooled to disk, 422s, the body
//                      limit's 413, a malformed body's 400, a task's output
// Every server is stopped with SIGTERM at the end of its test and must exit 0.
// /openapi.json validity and the /docs page in a browser are tests/web's.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "blackbox/blackbox.hpp"

#ifndef BOOKSHELF_BIN
#error "BOOKSHELF_BIN must name the strata-example-bookshelf binary under test"
#endif
#ifndef FORM_BIN
#error "FORM_BIN must name the test_router_form_app binary under test"
#endif

namespace strata::test {
namespace {

std::string post_json(std::string_view target, std::string_view body, std::string_view type = "application/json",
                      std::string_view extra_headers = "") {
  std::string r = "POST ";
  r.append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
  if (!type.empty()) r.append("Content-Type: ").append(type).append("\r\n");
  r.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  return r.append(extra_headers).append("\r\n").append(body);
}

::testing::AssertionResult IsJson(const std::optional<Response>& r, int status, std::string_view body) {
  if (!r) return ::testing::AssertionFailure() << "no response";
  if (r->status != status || r->header("content-type") != "application/json" || r->body != body)
    return ::testing::AssertionFailure() << "expected " << status << " application/json " << body << "; got "
                                         << describe(r);
  return ::testing::AssertionSuccess();
}

class TypedBlackbox : public BlackboxServerTest {
 protected:
  uint16_t start_typed(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--tier", "typed"});
    ServerProcess* s = start(std::move(extra));
    return s ? s->port() : 0;
  }
};

TEST_F(TypedBlackbox, ServesTheUserWorkloadOnOneConnection) {
  const uint16_t port = start_typed();
  ASSERT_NE(port, 0);
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(post_user()));
    EXPECT_TRUE(IsUserOk(c.read_response()));
  }
  ASSERT_TRUE(c.send(get("/")));
  EXPECT_TRUE(IsText(c.read_response(), kHello));
  ASSERT_TRUE(c.send(get("/index?name=strata")));
  EXPECT_TRUE(IsText(c.read_response(), "Hello strata"));
}

TEST_F(TypedBlackbox, BadInputIsA422ThatSaysWhere) {
  const uint16_t port = start_typed();
  ASSERT_NE(port, 0);
  EXPECT_TRUE(IsJson(round_trip(port, post_json("/user", R"({"id": "one", "name": "user"})")), 422,
                     R"({"detail":[{"type":"int_parsing","loc":["body","id"],"msg":"Input should be a valid )"
                     R"(integer, unable to parse string as an integer","input":"one"},{"type":"missing","loc":)"
                     R"(["body","email"],"msg":"Field required","input":{"id":"one","name":"user"}}]})"));
  EXPECT_TRUE(IsJson(round_trip(port, post_json("/user", R"({"id": 1,)")), 422,
                     R"({"detail":[{"type":"json_invalid","loc":["body",9],"msg":"JSON decode error","input":{},)"
                     R"("ctx":{"error":"Expecting property name enclosed in double quotes"}}]})"));
  EXPECT_TRUE(IsJson(round_trip(port, post_json("/user", kUserBody, "text/plain")), 422,
                     R"({"detail":[{"type":"content_type","loc":["body"],"msg":"Content-Type should be )"
                     R"(application/json","input":"text/plain"}]})"));
  EXPECT_TRUE(IsJson(round_trip(port, get("/fastapi/async_sleep/?delay=soon")), 422,
                     R"({"detail":[{"type":"float_parsing","loc":["query","delay"],"msg":"Input should be a )"
                     R"(valid number, unable to parse string as a number","input":"soon"}]})"));
  // Unknown routes and methods keep tier 3's answers.
  auto missing = round_trip(port, get("/nowhere"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto wrong = round_trip(port, get("/user"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
}

TEST_F(TypedBlackbox, ServesSeed004Routes) {
  const uint16_t port = start_typed({"--threads", "4"});
  ASSERT_NE(port, 0);
  const std::pair<std::string, std::string> routes[] = {
      {"/fastapi/async_slowest/?delay=0.01", R"({"message":"async mode but use sync sleep"})"},
      {"/fastapi/async_sleep_in_thread/?delay=0.01", R"({"message":"sleep run in thread pool"})"},
      {"/fastapi/async_sleep/?delay=0.01", R"({"message":"async mode sleep"})"},
      {"/fastapi/sync/?delay=0.01", R"({"message":"sync, but run in thread pool"})"},
      {"/fastapi/sync_cpu_bound/?n=5000", R"({"data":5000,"message":"sync mode cpu operation"})"},
      {"/fastapi/async_cpu_bound/?n=5000", R"({"data":5000,"message":"async mode cpu operation"})"},
      {"/fastapi/async_cpu_bound_slow/?n=5000", R"({"message":"sync mode operation but run in async mode"})"},
  };
  Client c(port);
  ASSERT_TRUE(c.ok()) << c.error();
  for (const auto& [target, body] : routes) {
    ASSERT_TRUE(c.send(get(target)));
    EXPECT_TRUE(IsJson(c.read_response(), 200, body)) << target;
  }
}

TEST_F(TypedBlackbox, ServesItsOpenApiDocument) {
  const uint16_t port = start_typed({"--no-validate-responses"});
  ASSERT_NE(port, 0);
  auto r = round_trip(port, get("/openapi.json"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->body.rfind(R"({"openapi":"3.1.0",)", 0), 0u) << printable(r->body, 200);
  for (const char* path : {R"("/user":)", R"("/index":)", R"("/fastapi/async_slowest/":)", R"("User":)"})
    EXPECT_NE(r->body.find(path), std::string::npos) << path;
  EXPECT_TRUE(IsUserOk(round_trip(port, post_user())));
}

// ------------------------------------------------------------ the example

class BookshelfBlackbox : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    proc_ = spawn_process(BOOKSHELF_BIN, {"--port", "0", "--api-key", "k3y", "--threads", "2"}, {}, &error);
    ASSERT_TRUE(proc_) << error;
    auto line = proc_->read_stdout_line();
    ASSERT_TRUE(line) << "no banner";
    const auto banner = parse_banner(*line);
    ASSERT_TRUE(banner) << *line;
    port_ = banner->port;
    EXPECT_EQ(banner->tier, "typed");
  }
  void TearDown() override {
    if (!proc_) return;
    proc_->send_signal(SIGTERM);
    auto st = proc_->wait_exit();
    ASSERT_TRUE(st) << "the example did not stop on SIGTERM";
    EXPECT_TRUE(st->exited && st->code == 0) << st->describe();
  }
  std::optional<Response> send(const std::string& request) { return round_trip(port_, request); }
  std::unique_ptr<Subprocess> proc_;
  uint16_t port_ = 0;
};

TEST_F(BookshelfBlackbox, AddsListsLendsAndDeletes) {
  const std::string key = "X-API-Key: k3y\r\n";
  const std::string dune = R"({"title": "Dune", "author": "Frank Herbert", "year": 1965, "tags": ["sf"]})";
  const std::string stored =
      R"({"id":1,"title":"Dune","author":"Frank Herbert","year":1965,"tags":["sf"],"rating":null,"status":)";
  EXPECT_TRUE(IsJson(send(post_json("/books", dune, "application/json", key)), 201, stored + R"("available"})"));
  EXPECT_TRUE(IsJson(send(get("/books?tag=sf&limit=5")), 200,
                     R"({"total":1,"items":[)" + stored + R"("available"}]})"));
  EXPECT_TRUE(IsJson(send(get("/books?author=Nobody")), 200, R"({"total":0,"items":[]})"));
  const std::string lend = "PATCH /books/1/lend HTTP/1.1\r\nHost: localhost\r\n" + key + "\r\n";
  EXPECT_TRUE(IsJson(send(lend), 200, stored + R"("lent"})"));
  EXPECT_TRUE(IsJson(send(lend), 409, R"({"detail":"Book already lent"})"));
  auto gone = send("DELETE /books/1 HTTP/1.1\r\nHost: localhost\r\n" + key + "\r\n");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 204);
  EXPECT_TRUE(IsJson(send(get("/books/1")), 404, R"({"detail":"Book not found"})"));
}

TEST_F(BookshelfBlackbox, DocumentsItsRouterAndSecurityScheme) {
  auto doc = send(get("/openapi.json"));
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->status, 200);
  for (const char* expected :
       {R"("securitySchemes":{"APIKeyHeader":{"type":"apiKey","in":"header","name":"X-API-Key"}})",
        R"("/books/{book_id}/lend":{"patch":{"tags":["books"],"summary":"Lend Book","operationId":"lend_book",)"
        R"("parameters":[{"name":"book_id","in":"path")",
        R"("required":true},"security":[{"APIKeyHeader":[]}],"responses":{"201")"})
    EXPECT_NE(doc->body.find(expected), std::string::npos) << expected << " in " << doc->body;
  // Reads are open: no security requirement on them.
  EXPECT_NE(doc->body.find(R"("operationId":"get_book","parameters")"), std::string::npos) << doc->body;
}

TEST_F(BookshelfBlackbox, RejectsWhatTheModelsForbid) {
  EXPECT_TRUE(IsJson(send(post_json("/books", R"({"title": "Dune"})", "application/json", "X-API-Key: nope\r\n")),
                     401, R"({"detail":"Invalid API key"})"));
  // No key at all: the scheme answers before the guard or the body is looked at.
  EXPECT_TRUE(IsJson(send(post_json("/books", R"({"title": "Dune"})")), 403, R"({"detail":"Not authenticated"})"));
  auto bad = send(post_json("/books", R"({"title": "", "author": "A", "year": 99, "tags": [], "isbn": 1})",
                            "application/json", "X-API-Key: k3y\r\n"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  for (const char* expected : {R"("type":"string_too_short","loc":["body","title"])",
                               R"("type":"greater_than_equal","loc":["body","year"])",
                               R"("type":"extra_forbidden","loc":["body","isbn"])"})
    EXPECT_NE(bad->body.find(expected), std::string::npos) << expected << " in " << bad->body;
  EXPECT_TRUE(IsJson(send(get("/books/abc")), 422,
                     R"({"detail":[{"type":"int_parsing","loc":["path","book_id"],"msg":"Input should be a valid )"
                     R"(integer, unable to parse string as an integer","input":"abc"}]})"));
  EXPECT_TRUE(IsJson(send(get("/books?limit=101")), 422,
                     R"({"detail":[{"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less )"
                     R"(than or equal to 100","input":"101","ctx":{"le":100}}]})"));
}

// ------------------------------------------------------------------ forms

class FormBlackbox : public ::testing::Test {
 protected:
  void SetUp() override {
    SpawnOptions o;
    o.capture_stderr = true;  // the background task writes there
    std::string error;
    server_ = ServerProcess::start_program(FORM_BIN, {"--workers", "1", "--max-body-bytes", "10000000"}, o, &error);
    ASSERT_TRUE(server_) << error;
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
    char tmpl[] = "/tmp/strata-form-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  // curl's output: the body, then the status on a line of its own.
  std::string curl(std::vector<std::string> args, std::string_view path) {
    args.insert(args.begin(), {"-sS", "-w", "\n%{http_code}"});
    args.push_back(base_ + std::string(path));
    const RunResult r = run_command("/usr/bin/curl", args, 30000ms);
    EXPECT_TRUE(r.status && r.status->exited && r.status->code == 0) << r.err;
    return r.out;
  }
  std::string file_of(size_t size, uint64_t& hash) {
    const std::string path = dir_ + "/up.bin";
    std::ofstream out(path, std::ios::binary);
    std::string block(1 << 16, '\0');
    uint32_t x = 7;
    hash = 1469598103934665603ull;
    for (size_t written = 0; written < size; written += block.size()) {
      block.resize(std::min(block.size(), size - written));
      for (char& c : block) {
        x = x * 1103515245u + 12345u;  // varied bytes, CRLFs and dashes included
        c = static_cast<char>(x >> 24);
        hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
      }
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
    return path;
  }
  std::unique_ptr<ServerProcess> server_;
  std::string base_, dir_;
};

TEST_F(FormBlackbox, CurlFormsAndUploads) {
  EXPECT_EQ(curl({"--data-urlencode", "name=Ada L", "-d", "age=36"}, "/profile"), R"({"name":"Ada L","age":36})"
                                                                                  "\n200");
  EXPECT_EQ(curl({"-F", "name=Ada", "-F", "age=x"}, "/profile"),
            R"({"detail":[{"type":"int_parsing","loc":["body","age"],"msg":"Input should be a valid integer, )"
            R"(unable to parse string as an integer","input":"x"}]})"
            "\n422");

  uint64_t hash = 0;
  const std::string path = file_of(8u << 20, hash);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  EXPECT_EQ(curl({"-F", "title=big", "-F", "doc=@" + path + ";type=application/octet-stream"}, "/upload"),
            R"({"title":"big","filename":"up.bin","content_type":"application/octet-stream","size":8388608,)"
            R"("spooled":true,"fnv1a":")" + std::string(hex) + "\"}\n200");
  EXPECT_EQ(curl({"-F", "title=none"}, "/upload"),
            R"({"detail":[{"type":"missing","loc":["body","doc"],"msg":"Field required","input":null}]})"
            "\n422");

  // Over --max-body-bytes: 413 and the connection closed, never a 500.
  const std::string too_big = file_of(12u << 20, hash);
  const std::string answer = curl({"-F", "title=big", "-F", "doc=@" + too_big}, "/upload");
  EXPECT_EQ(answer.substr(answer.size() - 4), "\n413") << answer;

  // A multipart body that never closes.
  EXPECT_EQ(curl({"-H", "Content-Type: multipart/form-data; boundary=xyz", "--data-binary",
                  "--xyz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n"},
                 "/upload")
                .substr(0, 10),
            R"({"detail":)");

  EXPECT_EQ(curl({"-d", "email=a@b.c"}, "/notify"), "queued\n202");
  server_->send_signal(SIGTERM);
  std::string out, err;
  server_->process().read_outputs_until_eof(out, err, 8000ms);
  auto st = server_->wait_exit(5000ms);
  EXPECT_TRUE(st && st->exited && st->code == 0) << (st ? st->describe() : "no exit") << "\n" << printable(err, 4000);
  EXPECT_NE(err.find("notified a@b.c\n"), std::string::npos) << printable(err, 4000);
}

}  // namespace
}  // namespace strata::test
