#include "app/testclient.hpp"

#include <exception>

#include "common/text.hpp"
#include "common/url.hpp"

namespace strata::app {

namespace {

class MemoryReceive final : public http::Receive {
 public:
  MemoryReceive(std::string_view body, size_t piece) : body_(body), piece_(piece ? piece : body.size()) {}
  Task<http::ReceiveEvent> operator()() override {
    if (done_) co_return http::ReceiveEvent{http::ReceiveEvent::disconnect, {}, false};
    const std::string_view p = body_.substr(pos_, piece_);
    pos_ += p.size();
    done_ = pos_ >= body_.size();
    co_return http::ReceiveEvent{http::ReceiveEvent::body, p, !done_};
  }

 private:
  std::string_view body_;
  size_t piece_;
  size_t pos_ = 0;
  bool done_ = false;
};

class MemorySend final : public http::Send {
 public:
  explicit MemorySend(TestResponse& r, bool head) : r_(r), head_(head) {}
  Task<void> start(http::ResponseStart s) override {
    if (started_) throw std::logic_error("response already started");
    started_ = true;
    r_.status = s.status;
    for (const http::Header& h : s.headers) r_.headers.emplace_back(text::ascii_lowered(h.name), std::string(h.value));
    co_return;
  }
  Task<void> body(http::ResponseBody b) override {
    if (!started_) throw std::logic_error("response body before response start");
    if (complete_) throw std::logic_error("response body after the final body event");
    if (!head_) r_.body.append(b.bytes);
    ++r_.body_events;
    complete_ = !b.more_body;
    co_return;
  }
  bool started_ = false;
  bool complete_ = false;

 private:
  TestResponse& r_;
  bool head_;
};

}  // namespace

std::optional<std::string> TestResponse::header(std::string_view name) const {
  const std::string n = text::ascii_lowered(name);
  for (const auto& [k, v] : headers)
    if (k == n) return v;
  return std::nullopt;
}

std::vector<std::string> TestResponse::header_all(std::string_view name) const {
  const std::string n = text::ascii_lowered(name);
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (k == n) out.push_back(v);
  return out;
}

TestClient::TestClient(Application& app, uint64_t timeout_ms, size_t max_body_bytes) : timeout_ms_(timeout_ms) {
  uv_loop_init(&loop_);
  host_.loop = &loop_;
  host_.max_body_bytes = max_body_bytes;
  try {
    app_ = app.build(host_);
  } catch (...) {
    // A failing start-up hook: nothing was opened on the loop yet.
    uv_loop_close(&loop_);
    throw;
  }
}

TestClient::TestClient(http::App app, uint64_t timeout_ms) : app_(std::move(app)), timeout_ms_(timeout_ms) {
  uv_loop_init(&loop_);
  host_.loop = &loop_;
}

TestClient::~TestClient() {
  for (auto& hook : host_.on_shutdown) hook();
  uv_run(&loop_, UV_RUN_DEFAULT);  // lets closing handles (and late pool jobs) finish
  uv_loop_close(&loop_);
}

TestResponse TestClient::request(const TestRequest& r) {
  // The scope views these strings, as tier 2's scope views its read buffer.
  std::vector<std::pair<std::string, std::string>> headers;
  bool has_host = false;
  for (const auto& [n, v] : r.headers) {
    headers.emplace_back(text::ascii_lowered(n), v);
    has_host |= headers.back().first == "host";
  }
  if (!has_host) headers.emplace_back("host", "testserver");
  if (!r.body.empty()) headers.emplace_back("content-length", std::to_string(r.body.size()));
  std::vector<http::Header> hs;
  for (const auto& [n, v] : headers) hs.push_back({n, v});

  const std::string_view target = r.target;
  const size_t q = target.find('?');
  std::string raw_path(target.substr(0, q));
  std::string path;
  url::percent_decode(raw_path, path);
  http::Scope scope;
  scope.method = r.method;
  scope.http_version = "1.1";
  scope.raw_path = raw_path;
  scope.path = path;
  scope.query_string = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  scope.headers = hs;

  return request(scope, r.body, 0, r.body_piece);
}

TestResponse TestClient::request(const http::Scope& scope, std::string_view body, uint64_t timeout_ms,
                                 size_t body_piece) {
  TestResponse out;
  MemoryReceive receive(body, body_piece);
  MemorySend send(out, scope.method == "HEAD");
  struct Done {
    bool done = false;
    static void cb(void* self) { static_cast<Done*>(self)->done = true; }
  } done;
  Task<void> task;
  try {
    task = app_(scope, receive, send);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  if (task) {
    // The loop's clock stood still while nobody ran it (between two
    // events, say): a deadline counted from it would be short.
    uv_update_time(&loop_);
    task.start(&Done::cb, &done);
    const uint64_t deadline = uv_now(&loop_) + (timeout_ms ? timeout_ms : timeout_ms_);
    while (!done.done && uv_now(&loop_) < deadline) {
      // Wake at least every 10 ms: the loop may have nothing of its own to
      // wait on while the app waits on the pool.
      uv_timer_t t;
      uv_timer_init(&loop_, &t);
      uv_timer_start(&t, [](uv_timer_t*) {}, 10, 0);
      uv_run(&loop_, UV_RUN_ONCE);
      uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
      uv_run(&loop_, UV_RUN_NOWAIT);
    }
    if (!done.done) {
      out.status = 0;
      out.error = "timed out waiting for the app";
      // It may still be running on the pool: leak it rather than free a
      // frame something will resume.
      new Task<void>(std::move(task));
      return out;
    }
    if (auto e = task.error()) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        out.error = ex.what();
      } catch (...) {
        out.error = "unknown exception";
      }
    }
  }
  // What tier 2 would do for an app that did not answer.
  if (!send.started_) {
    out.status = 500;
    out.body = "Internal Server Error\n";
  }
  return out;
}

TestResponse TestClient::get(std::string target, std::vector<std::pair<std::string, std::string>> headers) {
  TestRequest r;
  r.target = std::move(target);
  r.headers = std::move(headers);
  return request(r);
}

TestResponse TestClient::post(std::string target, std::string body, std::string_view content_type) {
  TestRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers.emplace_back("content-type", std::string(content_type));
  return request(r);
}

}  // namespace strata::app
