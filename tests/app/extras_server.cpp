// The server behind test_app_extras_blackbox: background tasks, exception
// handlers, TrustedHost, GZip and form uploads in one strata::serve program.
//
// Background tasks talk to the test through files in the directory given as
// ?dir=: a task waits for DIR/release to appear, then writes DIR/done, so
// the test decides when a task may end without timing anything.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <strata/app/application.hpp>
#include <strata/app/background.hpp>
#include <strata/app/gzip.hpp>
#include <strata/app/http_exception.hpp>
#include <strata/serve.hpp>

using namespace strata;
using app::Request;
using app::Response;

namespace {

struct QuotaExceeded : std::runtime_error {
  QuotaExceeded() : std::runtime_error("quota exceeded") {}
};

// Bounded, so a test that never releases cannot keep the server forever.
void wait_then_mark_done(const std::string& dir) {
  namespace fs = std::filesystem;
  for (int i = 0; i < 3000 && !fs::exists(dir + "/release"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::ofstream(dir + "/done") << "done";
}

std::string text_of(size_t n) {
  std::string s;
  while (s.size() < n) s += "line " + std::to_string(s.size()) + " of a compressible body\n";
  s.resize(n);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  app::Application api;
  api.get("/background/pool", [](Request& req) -> Task<Response> {
    app::BackgroundTasks tasks;
    const std::string dir(req.query("dir").value_or("."));
    tasks.add_sync([dir] { wait_then_mark_done(dir); });
    // Runs only if the loop is still there after the pool task.
    tasks.add([dir]() -> Task<void> {
      std::ofstream(dir + "/after") << "after";
      co_return;
    });
    co_return Response::text("accepted").background(std::move(tasks));
  });
  // Blocks its loop on purpose: the response must still have left first.
  api.get("/background/loop", [](Request& req) -> Task<Response> {
    app::BackgroundTasks tasks;
    tasks.add([dir = std::string(req.query("dir").value_or("."))]() -> Task<void> {
      wait_then_mark_done(dir);
      co_return;
    });
    co_return Response::text("accepted").background(std::move(tasks));
  });
  api.get("/background/fail", [](Request&) -> Task<Response> {
    app::BackgroundTasks tasks;
    tasks.add_sync([] { throw std::runtime_error("background secret"); });
    co_return Response::text("accepted").background(std::move(tasks));
  });
  api.get("/quota", [](Request&) -> Task<Response> {
    throw QuotaExceeded();
    co_return Response::text("");
  });
  api.get("/text/{n:int}", [](Request& req) -> Task<Response> {
    co_return Response::text(text_of(static_cast<size_t>(req.path_int("n"))));
  });
  api.get("/stream/{n:int}", [](Request& req) -> Task<Response> {
    const int64_t n = req.path_int("n");
    co_return Response::stream([n](app::BodyWriter& w) -> Task<void> {
      for (int64_t i = 0; i < n; ++i) co_await w.write(text_of(100));
    });
  });
  // Each form field as a line: a text value, or a file's name, size, where
  // it was kept and an FNV-1a hash of its bytes (read back in 1 MiB pieces,
  // so checking an upload never holds it whole either).
  api.post("/upload", [](Request& req) -> Task<Response> {
    const app::FormData& form = co_await req.form();
    std::string out;
    for (const app::FormField& f : form.items()) {
      if (!f.is_file()) {
        out += f.name + "=" + f.value + "\n";
        continue;
      }
      uint64_t hash = 1469598103934665603ull;
      for (std::string piece; !(piece = f.file->read(1 << 20)).empty();)
        for (unsigned char c : piece) hash = (hash ^ c) * 1099511628211ull;
      out += f.name + "=file " + f.file->filename() + " " + std::to_string(f.file->size()) + " " +
             (f.file->in_memory() ? "memory " : "disk ") + std::to_string(hash) + "\n";
    }
    co_return Response::text(out);
  });
  api.exception_handler(404, [](Request& req, const app::HTTPException&) -> Task<Response> {
    co_return Response::json(R"({"missing":")" + std::string(req.path()) + "\"}", 404);
  });
  api.exception_handler<QuotaExceeded>(
      [](Request&, const QuotaExceeded& e) -> Task<Response> { co_return Response::text(e.what(), 429); });
  api.add_middleware(app::trusted_host({.allowed_hosts = {"127.0.0.1", "localhost", "www.example.test"}}));
  api.add_middleware(app::gzip());
  return strata::serve(api, argc, argv);
}
