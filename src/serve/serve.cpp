#include <csignal>
#include <cstdio>
#include <stdexcept>

#include "app/application.hpp"
#include "common/probe.hpp"
#include "loop/uring.hpp"
#include "parser/http_server.hpp"
#include "router/api.hpp"
#include "serve/admin_internal.hpp"
#include "serve/serve_internal.hpp"

namespace strata {

namespace serving {

uint64_t to_ms(double seconds) { return static_cast<uint64_t>(seconds * 1000.0 + 0.5); }

namespace {

std::string seconds_str(uint64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(ms) / 1000.0);
  return buf;
}

// A duration flag: seconds on the command line, milliseconds in the config.
void add_seconds(CLI::App& cmd, const char* name, uint64_t& ms, const char* help, bool allow_zero = false) {
  cmd.add_option_function<double>(name, [&ms](double s) { ms = to_ms(s); }, help)
      ->check(allow_zero ? CLI::NonNegativeNumber : CLI::PositiveNumber)
      ->default_str(seconds_str(ms));
}

std::string program_name(const char* argv0) {
  std::string_view s = argv0 ? argv0 : "strata";
  if (auto slash = s.rfind('/'); slash != std::string_view::npos) s.remove_prefix(slash + 1);
  return s.empty() ? "strata" : std::string(s);
}

}  // namespace

void add_flags(CLI::App& cmd, ServeConfig& c) {
  cmd.add_option("--host", c.server.host, "Address to listen on")->capture_default_str();
  cmd.add_option("--port", c.server.port, "Port to listen on; 0 picks a free one")->capture_default_str();
  cmd.add_option("--workers", c.server.workers, "Event loops, one thread each, sharing the port")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd.add_option("--threads", c.threads, "Thread-pool size for synchronous handlers (0: the app's own, 40 by default)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd.add_option("--max-connections", c.server.max_connections,
                 "Open connections, all workers together; new ones are closed at once above (0: no limit)")
      ->capture_default_str();
  cmd.add_option("--max-head-bytes", c.http.max_head_bytes, "Request line + headers limit (431 above)")
      ->check(CLI::Range(256, 1 << 20))
      ->capture_default_str();
  cmd.add_option("--max-headers", c.http.max_headers, "Header count limit (431 above)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd.add_option("--max-body-bytes", c.http.max_body_bytes, "Request body limit (413 above)")->capture_default_str();
  cmd.add_option("--limit-concurrency", c.http.limit_concurrency,
                 "Requests in progress at once, all workers together; 503 above (0: no limit)")
      ->capture_default_str();
  add_seconds(cmd, "--head-timeout", c.http.head_timeout_ms, "Seconds allowed to send a request head (408 after)");
  add_seconds(cmd, "--idle-timeout", c.http.idle_timeout_ms,
              "Seconds an idle keep-alive connection stays open (raw: one that sends nothing)");
  add_seconds(cmd, "--body-timeout", c.http.body_timeout_ms,
              "Seconds without request-body bytes while the app waits for them (408 after)");
  add_seconds(cmd, "--send-timeout", c.server.send_timeout_ms,
              "Seconds a response may make no progress (the client reads nothing) before the connection closes");
  cmd.add_option("--ws-max-size", c.http.ws_max_message_bytes, "WebSocket message limit in bytes (close 1009 above)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 31))
      ->capture_default_str();
  add_seconds(cmd, "--ws-ping-interval", c.http.ws_ping_interval_ms,
              "Seconds without input from a WebSocket client before the server pings it");
  add_seconds(cmd, "--ws-ping-timeout", c.http.ws_ping_timeout_ms,
              "Seconds a pinged WebSocket client has to send anything before the connection closes");
  add_seconds(cmd, "--graceful-timeout", c.server.graceful_ms,
              "Seconds in-flight responses get after SIGINT/SIGTERM; then connections are cut and the process "
              "exits, abandoning handlers still running",
              true);
  cmd.add_flag("--access-log", c.http.access_log,
               "One line per response on stderr, in uvicorn's format (off: benchmarks measure the server, not the "
               "terminal)");
  cmd.add_flag("--probes", c.probes, "Time each request's phases (parse, route, handler, ...); print the table on stop");
  cmd.add_flag("--server-timing", c.server_timing,
               "Add a Server-Timing header with each response's phase times (implies --probes)");
  cmd.add_option("--admin-port", c.admin_port,
                 "Serve GET /metrics (Prometheus text) on this port, 0 picks one (implies --probes)")
      ->check(CLI::Range(0, 65535));
  cmd.add_option("--io", c.io, "Transport: libuv, uring (io_uring; fails if the kernel refuses it) or auto (uring, else libuv)")
      ->check(CLI::IsMember({"libuv", "uring", "auto"}))
      ->capture_default_str();
}

std::string http_url(std::string_view host, unsigned port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  std::string url = "http://";
  url += v6 ? "[" : "";
  url += host;
  url += v6 ? "]:" : ":";
  url += std::to_string(port);
  return url;
}

std::string listening_line(std::string_view host, unsigned port, std::string_view tier) {
  return "listening on " + http_url(host, port) + " tier=" + std::string(tier);
}

int run(const ServeConfig& c, std::string_view tier, const MakeWorkers& make) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer that hangs up must not kill the server
  const char* name = c.name.c_str();
  // Server-Timing and /metrics read the probes, so either turns them on.
  if (c.probes || c.server_timing || c.admin_port >= 0) {
    if (!probe::set_enabled(true)) {
      std::fprintf(stderr, "%s: this build has no probes (configured with -DSTRATA_PROBES=OFF)\n", name);
      return 2;
    }
    probe::set_server_timing(c.server_timing);
  }
  std::string error;
  loop::ServerConfig server_config = c.server;
  server_config.io = loop::ServerConfig::Io::libuv;
  if (c.io == "uring" || c.io == "auto") {
    // Asked once here, so the refusal is one sentence, not one per worker.
    if (loop::Ring::create(error)) {
      server_config.io = loop::ServerConfig::Io::uring;
    } else if (c.io == "uring") {
      std::fprintf(stderr, "%s: %s\n", name, error.c_str());
      return 1;
    } else {
      std::fprintf(stderr, "%s: %s; using libuv\n", name, error.c_str());
    }
  }
  std::unique_ptr<loop::Server> server;
  try {
    server = std::make_unique<loop::Server>(server_config, make(c));
  } catch (const std::exception& e) {  // e.g. the Application is already serving
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
  if (!server->listen(error)) {
    std::fprintf(stderr, "%s: %s\n", name, error.c_str());
    return 1;
  }
  std::printf("%s\n", listening_line(c.server.host, server->port(), tier).c_str());
  AdminServer admin;
  if (c.admin_port >= 0) {
    if (!admin.start(c.server.host, static_cast<uint16_t>(c.admin_port), error)) {
      std::fprintf(stderr, "%s: %s\n", name, error.c_str());
      return 1;
    }
    std::printf("admin on %s/metrics\n", http_url(c.server.host, admin.port()).c_str());
  }
  std::fflush(stdout);
  const int rc = server->run();
  admin.stop();
  if (probe::enabled()) {
    const std::string table = probe::format_table(probe::read_totals());
    std::fprintf(stderr, "%s: time per phase (self time, per request; write: per write)\n%s", name, table.c_str());
  }
  return rc;
}

namespace {

int serve_app(app::Application& app, const ServeConfig& config, std::string_view tier,
              const http::AppFactory& factory) {
  return run(config, tier, [&](const ServeConfig& c) {
    if (c.threads) app.set_threads(c.threads);
    return http::http_workers(c.http, factory);
  });
}

template <class T>
int serve_argv(T& target, int argc, char** argv, CommandLine cl) {
  ServeConfig config = std::move(cl.defaults);
  config.name = program_name(argc > 0 ? argv[0] : nullptr);
  CLI::App cli{cl.description.empty() ? config.name + ": an HTTP server built on strata" : std::move(cl.description),
               config.name};
  add_flags(cli, config);
  for (const Flag& f : cl.flags) {
    if (!f.value) throw std::invalid_argument("strata::serve: flag " + f.name + " has no string to write to");
    cli.add_option(f.name, *f.value, f.help)->capture_default_str();
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s (see %s --help)\n", config.name.c_str(), e.what(), config.name.c_str());
    return 2;
  }
  return serve(target, config);
}

}  // namespace

}  // namespace serving

int serve(app::Application& app, const ServeConfig& config) {
  return serving::serve_app(app, config, "app", app.factory());
}

int serve(router::API& api, const ServeConfig& config) {
  return serving::serve_app(api.application(), config, "typed", api.factory());
}

int serve(app::Application& app, int argc, char** argv, CommandLine cl) {
  return serving::serve_argv(app, argc, argv, std::move(cl));
}

int serve(router::API& api, int argc, char** argv, CommandLine cl) {
  return serving::serve_argv(api, argc, argv, std::move(cl));
}

}  // namespace strata
