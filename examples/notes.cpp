// A small notes API on strata's tier 3, to read in five minutes.
//
//   strata-example-notes --port 8000
//   curl -X POST localhost:8000/notes -d '{"title": "milk", "tags": ["shop"]}'
//   curl localhost:8000/notes?tag=shop
//   curl localhost:8000/notes/1
//   curl localhost:8000/notes/export          # streamed, one JSON line per note
//   curl -X POST --data-binary @big.file localhost:8000/upload   # streamed upload
//   curl localhost:8000/slow?ms=500           # a blocking handler, run on the pool
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include <strata/app/application.hpp>
#include <strata/app/http_exception.hpp>
#include <strata/common/json.hpp>
#include <strata/serve.hpp>

using namespace strata;
using app::HTTPException;
using app::Request;
using app::Response;

namespace {

struct Note {
  int64_t id;
  std::string title;
  std::vector<std::string> tags;
};

// Shared by every worker and by handlers on the thread pool, hence the lock.
struct Store {
  std::mutex mu;
  std::map<int64_t, Note> notes;
  int64_t next_id = 1;
} store;

void write_note(const Note& n, std::string& out) {
  out.append("{\"id\":");
  json::append_int(out, n.id);
  out.append(",\"title\":");
  json::append_string(out, n.title);
  out.append(",\"tags\":[");
  for (size_t i = 0; i < n.tags.size(); ++i) {
    if (i) out.push_back(',');
    json::append_string(out, n.tags[i]);
  }
  out.append("]}");
}

int64_t query_int(const Request& req, std::string_view key, int64_t fallback) {
  const auto v = req.query(key);
  if (!v) return fallback;
  try {
    return std::stoll(std::string(*v));
  } catch (...) {
    throw HTTPException(400, "query parameter '" + std::string(key) + "' must be an integer");
  }
}

void add_routes(app::Application& api) {
  api.get("/notes", [](Request& req) -> Task<Response> {
    const auto tag = req.query("tag");
    const int64_t limit = query_int(req, "limit", 100);
    std::string out = "[";
    std::lock_guard lock(store.mu);
    int64_t n = 0;
    for (const auto& [id, note] : store.notes) {
      if (tag && std::find(note.tags.begin(), note.tags.end(), *tag) == note.tags.end()) continue;
      if (n++ == limit) break;
      if (out.size() > 1) out.push_back(',');
      write_note(note, out);
    }
    out.push_back(']');
    co_return Response::json(std::move(out));
  });

  api.post("/notes", [](Request& req) -> Task<Response> {
    simdjson::dom::element doc = co_await req.json();  // 400 if not JSON
    std::string_view title;
    if (doc["title"].get(title)) throw HTTPException(422, "field 'title' (string) is required");
    Note note{0, std::string(title), {}};
    simdjson::dom::array tags;
    if (!doc["tags"].get(tags)) {
      for (auto t : tags) {
        std::string_view s;
        if (t.get(s)) throw HTTPException(422, "field 'tags' must be a list of strings");
        note.tags.emplace_back(s);
      }
    }
    std::string out;
    {
      std::lock_guard lock(store.mu);
      note.id = store.next_id++;
      write_note(note, out);
      store.notes.emplace(note.id, std::move(note));
    }
    co_return Response::json(std::move(out), 201);
  });

  api.get("/notes/{id:int}", [](Request& req) -> Task<Response> {
    std::lock_guard lock(store.mu);
    auto it = store.notes.find(req.path_int("id"));
    if (it == store.notes.end()) throw HTTPException(404, "no such note");
    std::string out;
    write_note(it->second, out);
    co_return Response::json(std::move(out));
  });

  api.route("/notes/{id:int}", {"DELETE"}, [](Request& req) -> Task<Response> {
    std::lock_guard lock(store.mu);
    if (store.notes.erase(req.path_int("id")) == 0) throw HTTPException(404, "no such note");
    co_return Response::empty(204);
  });

  // A streamed response: one JSON line per note, sent as it is written.
  api.get("/notes/export", [](Request&) -> Task<Response> {
    co_return Response::stream(
        [](app::BodyWriter& w) -> Task<void> {
          std::vector<Note> snapshot;
          {
            std::lock_guard lock(store.mu);
            for (const auto& [id, note] : store.notes) snapshot.push_back(note);
          }
          for (const Note& n : snapshot) {
            std::string line;
            write_note(n, line);
            line.push_back('\n');
            co_await w.write(line);
          }
        },
        "application/x-ndjson");
  });

  // A streamed request body: counted piece by piece, never held whole.
  api.post("/upload", [](Request& req) -> Task<Response> {
    size_t bytes = 0, pieces = 0;
    while (auto piece = co_await req.stream()) {
      bytes += piece->size();
      ++pieces;
    }
    co_return Response::json("{\"bytes\":" + std::to_string(bytes) + ",\"pieces\":" + std::to_string(pieces) + "}");
  });

  // A plain blocking function: strata runs it on the thread pool, so the
  // loop keeps answering other requests while it sleeps.
  api.route_sync("/slow", {"GET"}, [](Request& req) {
    const int64_t ms = query_int(req, "ms", 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return Response::text("slept " + std::to_string(ms) + " ms");
  });

  // An unexpected error: a 500 for the client, the details in the log.
  api.get("/boom", [](Request&) -> Task<Response> {
    throw std::runtime_error("the database is on fire");
    co_return Response::empty(200);
  });
}

}  // namespace

int main(int argc, char** argv) {
  app::Application api;
  app::CorsOptions cors;
  cors.allow_origins = {"*"};
  cors.allow_methods = {"GET", "POST", "DELETE"};
  api.add_middleware(app::cors(cors));
  api.add_middleware(app::request_id());
  api.on_startup([] { std::fprintf(stderr, "notes: worker starting\n"); });
  add_routes(api);
  strata::ServeConfig defaults;
  defaults.http.max_body_bytes = 64 << 20;  // uploads are streamed, so allow big ones
  return strata::serve(api, argc, argv,
                       {.description = "strata example: a notes API on tier 3", .defaults = defaults});
}
