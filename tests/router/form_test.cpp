// Form<>, File<> and app::BackgroundTasks& parameters through the test
// client: urlencoded and multipart forms, FastAPI's 422s for them, spooled
// uploads and the limits' 413, hostile bodies, the OpenAPI description of
// both content types, and tasks that run after the response.
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "app/middleware.hpp"
#include "app/testclient.hpp"
#include "router/api.hpp"

namespace rt_form {

using namespace strata::router;
using strata::Task;
using strata::app::TestClient;
using strata::app::TestRequest;
using strata::app::TestResponse;
namespace app = strata::app;
namespace http = strata::http;

inline constexpr Constraints kAge{.ge = 0, .le = 150};

APIConfig no_docs() {
  APIConfig c;
  c.app.threads = 2;
  c.docs_url = "";
  c.redoc_url = "";
  return c;
}

const std::string kBoundary = "----strataTyped42";
const std::string kMultipart = "multipart/form-data; boundary=" + kBoundary;
const std::string kUrlencoded = "application/x-www-form-urlencoded";

std::string part(std::string_view name, std::string_view value) {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n" +
         std::string(value) + "\r\n";
}
std::string file_part(std::string_view name, std::string_view filename, std::string_view type,
                      std::string_view content) {
  return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"; filename=\"" +
         std::string(filename) + "\"\r\nContent-Type: " + std::string(type) + "\r\n\r\n" + std::string(content) +
         "\r\n";
}
std::string close_delim() { return "--" + kBoundary + "--\r\n"; }

TestResponse post(TestClient& c, std::string target, std::string body, std::string content_type,
                  size_t piece = 0) {
  TestRequest r;
  r.method = "POST";
  r.target = std::move(target);
  if (!content_type.empty()) r.headers = {{"content-type", std::move(content_type)}};
  r.body = std::move(body);
  r.body_piece = piece;
  return c.request(r);
}

void add_profile(API& api) {
  api.post("/profile",
           [](Form<"name", std::string> name, Form<"age", int, no_default, kAge> age,
              Form<"nick", std::optional<std::string>> nick, Form<"lang", std::string, fixed_string{"en"}> lang,
              Form<"tag", std::vector<std::string>> tags) -> Task<PlainText> {
             std::string out = *name + "|" + std::to_string(*age) + "|" + (nick->has_value() ? **nick : "-") + "|" +
                               *lang + "|";
             for (const auto& t : *tags) out += t + ",";
             co_return PlainText{out};
           });
}

TEST(TypedForm, UrlencodedFieldsConvertLikeQueryParameters) {
  API api(no_docs());
  add_profile(api);
  TestClient c(api.application());
  auto r = post(c, "/profile", "name=Ada+L&age=+36&tag=a&tag=b%2Cc", kUrlencoded + "; charset=utf-8");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "Ada L|36|-|en|a,b,c,");
  // Of repeated fields the last is read; an empty value is no value.
  r = post(c, "/profile", "name=x&name=Bob&age=1&nick=&lang=fr", kUrlencoded);
  EXPECT_EQ(r.body, "Bob|1|-|fr|");
}

TEST(TypedForm, MultipartFieldsAreReadTheSameWay) {
  API api(no_docs());
  add_profile(api);
  TestClient c(api.application());
  const std::string body = part("name", "Grace") + part("age", "85") + part("nick", "amazing") + close_delim();
  for (size_t piece : {size_t{0}, size_t{1}, size_t{13}}) {
    auto r = post(c, "/profile", body, kMultipart, piece);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "Grace|85|amazing|en|") << piece;
  }
}

TEST(TypedForm, MissingAndInvalidFieldsAre422AtBody) {
  API api(no_docs());
  add_profile(api);
  TestClient c(api.application());
  auto r = post(c, "/profile", "age=abc&name=", kUrlencoded);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.header("content-type").value_or(""), "application/json");
  // In the order of the parameters, as FastAPI lists a form's errors.
  EXPECT_EQ(r.body,
            R"({"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":null},)"
            R"({"type":"int_parsing","loc":["body","age"],"msg":"Input should be a valid integer, unable to parse )"
            R"(string as an integer","input":"abc"}]})");
  r = post(c, "/profile", "name=a&age=200", kUrlencoded);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body,
            R"({"detail":[{"type":"less_than_equal","loc":["body","age"],"msg":"Input should be less than or equal )"
            R"(to 150","input":"200","ctx":{"le":150}}]})");
}

TEST(TypedForm, AnotherContentTypeIsAnEmptyFormAsInFastAPI) {
  API api(no_docs());
  add_profile(api);
  TestClient c(api.application());
  for (const std::string type : {"application/json", "text/plain", ""}) {
    auto r = post(c, "/profile", R"({"name":"x","age":1})", type);
    EXPECT_EQ(r.status, 422) << type;
    EXPECT_EQ(r.body,
              R"({"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":null},)"
              R"({"type":"missing","loc":["body","age"],"msg":"Field required","input":null}]})")
        << type;
  }
}

void add_upload(API& api) {
  api.post("/upload", [](Form<"title", std::string> title, File<"doc"> doc) -> Task<PlainText> {
    co_return PlainText{*title + "|" + doc->filename() + "|" + doc->content_type() + "|" +
                        std::to_string(doc->size()) + "|" + (doc->in_memory() ? "memory" : "disk") + "|" +
                        doc->read()};
  });
}

TEST(TypedForm, UploadFileGivesNameTypeSizeAndContent) {
  API api(no_docs());
  add_upload(api);
  TestClient c(api.application());
  const std::string body =
      part("title", "notes") + file_part("doc", "a.txt", "text/plain", "hello\r\nworld") + close_delim();
  auto r = post(c, "/upload", body, kMultipart);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "notes|a.txt|text/plain|12|memory|hello\r\nworld");
}

TEST(TypedForm, MissingFileOrTextWhereAFileBelongsIs422) {
  API api(no_docs());
  add_upload(api);
  TestClient c(api.application());
  auto r = post(c, "/upload", part("title", "t") + close_delim(), kMultipart);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"({"detail":[{"type":"missing","loc":["body","doc"],"msg":"Field required","input":null}]})");
  r = post(c, "/upload", "title=t&doc=plain", kUrlencoded);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body,
            R"({"detail":[{"type":"value_error","loc":["body","doc"],"msg":"Value error, Expected UploadFile, )"
            R"(received: <class 'str'>","input":"plain","ctx":{"error":{}}}]})");
}

TEST(TypedForm, OptionalAndListsOfFiles) {
  API api(no_docs());
  api.post("/many", [](File<"pics", std::vector<UploadFile>> pics,
                       File<"cover", std::optional<UploadFile>> cover) -> Task<PlainText> {
    std::string out = cover ? cover->filename() : "-";
    for (UploadFile* f : pics) out += "|" + f->filename() + ":" + f->read();
    co_return PlainText{out};
  });
  TestClient c(api.application());
  auto r = post(c, "/many",
                file_part("pics", "1.png", "image/png", "one") + file_part("pics", "2.png", "image/png", "two") +
                    close_delim(),
                kMultipart);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "-|1.png:one|2.png:two");
  r = post(c, "/many", file_part("cover", "c.jpg", "image/jpeg", "c") + close_delim(), kMultipart);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.body, R"({"detail":[{"type":"missing","loc":["body","pics"],"msg":"Field required","input":null}]})");
}

TEST(TypedForm, LargeUploadIsSpooledAndReadOnThePool) {
  APIConfig config = no_docs();
  config.form_limits.spool_threshold = 1024;
  API api(config);
  api.post("/big", [](File<"blob"> blob) -> PlainText {  // a plain function: on the pool
    const std::string all = blob->read();
    size_t xs = 0;
    for (char ch : all) xs += ch == 'x';
    return PlainText{std::to_string(blob->size()) + "|" + (blob->in_memory() ? "memory" : "disk") + "|" +
                     std::to_string(xs)};
  });
  TestClient c(api.application(), 10000, 1 << 20);
  const std::string content(300'000, 'x');
  auto r = post(c, "/big", file_part("blob", "b.bin", "application/octet-stream", content) + close_delim(),
                kMultipart, 4096);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "300000|disk|300000");

  // Above the body limit: tier 3's 413, as FastAPI's {"detail": ...}.
  const std::string too_big(2 << 20, 'y');
  r = post(c, "/big", file_part("blob", "b.bin", "application/octet-stream", too_big) + close_delim(), kMultipart,
           65536);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.header("content-type").value_or(""), "application/json");
  EXPECT_EQ(r.body.rfind(R"({"detail":)", 0), 0u) << r.body;
}

TEST(TypedForm, FormLimitsAnswer413) {
  APIConfig config = no_docs();
  config.form_limits.max_fields = 2;
  API api(config);
  add_profile(api);
  TestClient c(api.application());
  auto r = post(c, "/profile", "name=a&age=1&tag=x", kUrlencoded);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body, R"({"detail":"Too many form fields: the limit is 2."})");
}

TEST(TypedForm, MalformedMultipartIs400NeverA500) {
  API api(no_docs());
  add_upload(api);
  TestClient c(api.application());
  const std::vector<std::pair<std::string, std::string>> hostile = {
      {"multipart/form-data", close_delim()},                                           // no boundary
      {"multipart/form-data; boundary=\"\"", close_delim()},                            // empty boundary
      {kMultipart, part("title", "t")},                                                 // never closed
      {kMultipart, "--" + kBoundary + "\r\nContent-Type: text/plain\r\n\r\nx\r\n" + close_delim()},  // no name
      {kMultipart, "--" + kBoundary + "\nContent-Disposition: form-data; name=\"a\"\n\nx\n" + close_delim()},
      {kMultipart, "--" + kBoundary + "garbage\r\n" + close_delim()},
      {kMultipart, std::string("\0\xff\r\n--", 6)},
  };
  for (const auto& [type, body] : hostile) {
    auto r = post(c, "/upload", body, type);
    EXPECT_EQ(r.status, 400) << type << "\n" << body << "\n" << r.body;
    EXPECT_EQ(r.body.rfind(R"({"detail":)", 0), 0u) << r.body;
  }
}

std::string login_user(Form<"user", std::string> u, Form<"password", std::string> p) {
  if (*p != "pw") throw app::HTTPException(401, "Bad password");
  return *u;
}

TEST(TypedForm, FormInADependency) {
  API api(no_docs());
  api.post("/login", [](Depends<login_user> user) -> Task<PlainText> { co_return PlainText{"hi " + *user}; });
  TestClient c(api.application());
  EXPECT_EQ(post(c, "/login", "user=ada&password=pw", kUrlencoded).body, "hi ada");
  EXPECT_EQ(post(c, "/login", "user=ada&password=no", kUrlencoded).status, 401);
  auto r = post(c, "/login", "user=ada", kUrlencoded);
  EXPECT_EQ(r.body,
            R"({"detail":[{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]})");
  // A replacement reads the form too, since the dependency it replaces does.
  api.override_dependency<login_user>([](Form<"user", std::string> u) -> std::string { return "test " + *u; });
  EXPECT_EQ(post(c, "/login", "user=ada", kUrlencoded).body, "hi test ada");
}

// ------------------------------------------------------------------ OpenAPI

std::string between(const std::string& doc, std::string_view from, std::string_view to) {
  const size_t a = doc.find(from);
  if (a == std::string::npos) return "(no " + std::string(from) + ")";
  const size_t b = doc.find(to, a + from.size());
  return doc.substr(a, b == std::string::npos ? std::string::npos : b + to.size() - a);
}

TEST(TypedForm, OpenApiDescribesBothContentTypes) {
  API api(no_docs());
  add_profile(api);
  add_upload(api);
  api.post("/opt", [](File<"f", std::optional<UploadFile>>, File<"g", std::vector<UploadFile>>)
                       -> Task<void> { co_return; },
           {.name = "optional_files"});
  const std::string& doc = api.openapi();
  EXPECT_NE(doc.find(R"("requestBody":{"content":{"application/x-www-form-urlencoded":{"schema":{"$ref":)"
                     R"("#/components/schemas/Body_post_profile"}}},"required":true})"),
            std::string::npos)
      << doc;
  EXPECT_NE(doc.find(R"("requestBody":{"content":{"multipart/form-data":{"schema":{"$ref":)"
                     R"("#/components/schemas/Body_post_upload"}}},"required":true})"),
            std::string::npos)
      << doc;
  EXPECT_EQ(between(doc, R"("Body_post_profile":)", "]}"),
            R"("Body_post_profile":{"title":"Body_post_profile","type":"object","properties":{)"
            R"("name":{"type":"string","title":"Name"},)"
            R"("age":{"type":"integer","minimum":0,"maximum":150,"title":"Age"},)"
            R"("nick":{"anyOf":[{"type":"string"},{"type":"null"}],"title":"Nick"},)"
            R"("lang":{"type":"string","title":"Lang","default":"en"},)"
            R"("tag":{"type":"array","items":{"type":"string"},"title":"Tag"}},"required":["name","age"]})");
  EXPECT_EQ(between(doc, R"("Body_post_upload":)", "]}"),
            R"("Body_post_upload":{"title":"Body_post_upload","type":"object","properties":{)"
            R"("title":{"type":"string","title":"Title"},)"
            R"("doc":{"type":"string","format":"binary","title":"Doc"}},"required":["title","doc"]})");
  EXPECT_EQ(between(doc, R"("Body_optional_files":)", "]}"),
            R"("Body_optional_files":{"title":"Body_optional_files","type":"object","properties":{)"
            R"("f":{"anyOf":[{"type":"string","format":"binary"},{"type":"null"}],"title":"F"},)"
            R"("g":{"type":"array","items":{"type":"string","format":"binary"},"title":"G"}},"required":["g"]})");
  // A form answers 422 like a body does.
  EXPECT_NE(between(doc, R"("/upload")", R"("Validation Error")").find(R"("422")"), std::string::npos) << doc;
}

// ------------------------------------------------------------------ background tasks

using Events = std::shared_ptr<std::vector<std::string>>;

// Records the end of the response body, so a test can see what a task did
// before or after it.
class RecordingSend : public app::ForwardingSend {
 public:
  RecordingSend(http::Send& inner, Events events) : ForwardingSend(inner), events_(std::move(events)) {}
  Task<void> body(http::ResponseBody b) override {
    const bool last = !b.more_body;
    co_await inner_.body(b);
    if (last) events_->push_back("response end");
  }

 private:
  Events events_;
};

app::Middleware record_end(Events events) {
  return [events](http::App next) -> http::App {
    return [next, events](const http::Scope& s, http::Receive& r, http::Send& send) -> Task<void> {
      RecordingSend rec(send, events);
      co_await next(s, r, rec);
    };
  };
}

Events audit_events;

// A dependency that takes the tasks shares the handler's object.
int audit(app::BackgroundTasks& tasks, Query<"who", std::string> who) {
  tasks.add_sync([e = audit_events, w = *who] { e->push_back("audit " + w); });
  return 1;
}

TEST(TypedBackground, TasksRunAfterTheResponse) {
  API api(no_docs());
  auto events = std::make_shared<std::vector<std::string>>();
  api.application().add_middleware(record_end(events));
  audit_events = events;
  api.post("/notify", [events](Depends<audit>, Form<"email", std::string> email,
                               app::BackgroundTasks& tasks) -> Task<PlainText> {
    tasks.add([events, e = *email]() -> Task<void> {
      events->push_back("mail " + e);
      co_return;
    });
    events->push_back("handler");
    co_return PlainText{"sent"};
  });
  api.post("/sync", [events](app::BackgroundTasks& tasks) -> void {  // a plain function, returning nothing
    tasks.add_sync([events] { events->push_back("sync task"); });
  });
  TestClient c(api.application());
  auto r = post(c, "/notify?who=ops", "email=a%40b.c", kUrlencoded);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "sent");
  EXPECT_EQ(*events, (std::vector<std::string>{"handler", "response end", "audit ops", "mail a@b.c"}));

  // A 422 ends the request before the handler: nothing runs.
  events->clear();
  r = post(c, "/notify?who=ops", "", kUrlencoded);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(*events, (std::vector<std::string>{"response end"}));

  events->clear();
  r = post(c, "/sync", "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "null");
  EXPECT_EQ(*events, (std::vector<std::string>{"response end", "sync task"}));
}

TEST(TypedBackground, AResponsesOwnTasksWin) {
  API api(no_docs());
  auto events = std::make_shared<std::vector<std::string>>();
  api.get("/own", [events](app::BackgroundTasks& tasks) -> Task<app::Response> {
    tasks.add_sync([events] { events->push_back("parameter's"); });
    app::BackgroundTasks own;
    own.add_sync([events] { events->push_back("response's"); });
    co_return app::Response::text("ok").background(std::move(own));
  });
  TestClient c(api.application());
  EXPECT_EQ(c.get("/own").status, 200);
  EXPECT_EQ(*events, (std::vector<std::string>{"response's"}));
}

}  // namespace rt_form
