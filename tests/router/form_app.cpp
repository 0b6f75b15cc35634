// The server the form tests talk to over TCP (blackbox_test.cpp's
// FormBlackbox with curl, tests/web's validator): a typed app with an
// urlencoded form, a multipart upload and a background task, built like
// any user's program.
#include <cstdint>
#include <cstdio>
#include <string>

#include <strata/router/api.hpp>
#include <strata/serve.hpp>

namespace {

using namespace strata::router;
using strata::Task;
namespace app = strata::app;

struct Profile {
  std::string name;
  int age = 0;
};
BOOST_DESCRIBE_STRUCT(Profile, (), (name, age))

struct Stored {
  std::string title;
  std::string filename;
  std::string content_type;
  int64_t size = 0;
  bool spooled = false;
  std::string fnv1a;  // of the content, in hex: proves every byte arrived
};
BOOST_DESCRIBE_STRUCT(Stored, (), (title, filename, content_type, size, spooled, fnv1a))

inline constexpr Constraints kAge{.ge = 0, .le = 150};

}  // namespace

int main(int argc, char** argv) {
  API api({.title = "Forms"});
  api.post("/profile", [](Form<"name", std::string> name, Form<"age", int, no_default, kAge> age) -> Task<Profile> {
    co_return Profile{*name, *age};
  });
  // A plain function, so reading a spooled file blocks a pool thread, not the loop.
  api.post("/upload", [](Form<"title", std::string> title, File<"doc"> doc) -> Stored {
    uint64_t hash = 1469598103934665603ull;
    for (std::string piece = doc->read(1 << 16); !piece.empty(); piece = doc->read(1 << 16))
      for (char c : piece) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return Stored{*title, doc->filename(), doc->content_type(), static_cast<int64_t>(doc->size()), !doc->in_memory(),
                  hex};
  });
  api.post("/notify", [](Form<"email", std::string> email, app::BackgroundTasks& tasks) -> Task<PlainText> {
    tasks.add_sync([e = *email] { std::fprintf(stderr, "notified %s\n", e.c_str()); });
    co_return PlainText{"queued"};
  }, {.status_code = 202});
  return strata::serve(api, argc, argv);
}
