// strata::serve: the twin of uvicorn.run(app). One call runs a tier-3
// Application or a tier-4 API on a TCP port until SIGINT or SIGTERM:
//
//   int main(int argc, char** argv) {
//     strata::router::API api;
//     api.get("/", [] { return std::string("hello"); });
//     return strata::serve(api, argc, argv);
//   }
//
// It ignores SIGPIPE (a client that hangs up must not kill the server),
// starts the workers, prints one line on stdout,
//
//   listening on http://HOST:PORT tier=app|typed      (IPv6 hosts in brackets)
//
// (and "admin on http://HOST:PORT/metrics" with an admin port), and returns
// the process's exit code when stopped: 0 after a graceful stop, 1 when it
// could not start (the port is taken, a start-up hook threw; one sentence
// on stderr), 2 for bad command-line flags (a sentence and --help's hint).
//
// Configuration: ServeConfig holds every limit and timeout exactly once; the
// application reads the body limit from the server (http::AppHost), so no
// copy of it can disagree. The argv overloads parse the standard flags
// into a ServeConfig (see `--help`):
//   --host --port --workers --threads --max-connections
//   --max-head-bytes --max-headers --max-body-bytes --limit-concurrency
//   --head-timeout --idle-timeout --body-timeout --send-timeout (seconds)
//   --ws-max-size --ws-ping-interval --ws-ping-timeout (WebSockets, as uvicorn's)
//   --graceful-timeout --access-log --probes --server-timing --admin-port
//   --io (libuv, the default; uring; or auto: uring when the kernel allows)
// and the program's own string options given as Flags.
//
// Threading: call from the main thread, once per Application; it blocks.
// The Application (or API) must outlive the call.
#pragma once

#include <string>
#include <vector>

#include "loop/server.hpp"
#include "parser/http1.hpp"

namespace strata {

namespace app {
class Application;
}
namespace router {
class API;
}

struct ServeConfig {
  // host, port, workers, max_connections, send_timeout_ms, graceful_ms
  loop::ServerConfig server;
  // the HTTP engine's limits and timeouts (max_body_bytes and the rest),
  // limit_concurrency, access_log
  http::Options http;
  // The thread pool for synchronous handlers; 0 keeps the Application's
  // own setting (app::AppConfig::threads, 40 by default, as Starlette's).
  unsigned threads = 0;
  // Time each request's phases; print the table on stop (common/probe.hpp).
  bool probes = false;
  // A Server-Timing header on every response (implies probes).
  bool server_timing = false;
  // >= 0: serve GET /metrics (Prometheus text) on this port; 0 picks one.
  int admin_port = -1;
  // The transport: "libuv", "uring" (exit 1 with a sentence when the
  // kernel refuses io_uring) or "auto" (io_uring when the kernel allows it,
  // else libuv with a one-line notice on stderr). Resolved into
  // server.io when serving starts.
  std::string io = "libuv";
  // How the server names itself in its messages ("bookshelf: ...").
  std::string name = "strata";
};

// An option of the program's own, parsed beside the standard ones:
// {"--api-key", &key, "the key that writes need"}. The string keeps its
// value when the flag is absent, and that value is shown in --help.
struct Flag {
  std::string name;
  std::string* value;
  std::string help;
};

int serve(app::Application& app, const ServeConfig& config);
int serve(router::API& api, const ServeConfig& config);

// What the argv overloads add to the standard flags:
//   strata::serve(api, argc, argv, {.description = "a book catalogue",
//                                   .flags = {{"--api-key", &key, "the key writes need"}}});
struct CommandLine {
  // (Each member has an initializer, so any of them may be left out.)
  std::string description = {};  // --help's first line
  std::vector<Flag> flags = {};
  ServeConfig defaults = {};     // what the flags start from (e.g. a larger max_body_bytes)
};

// Parses argv (the name from argv[0]) over cl.defaults, then serves;
// --help prints every flag with its default and returns 0.
int serve(app::Application& app, int argc, char** argv, CommandLine cl = {});
int serve(router::API& api, int argc, char** argv, CommandLine cl = {});

}  // namespace strata
