// The strata command line: `strata serve` runs one tier of the stack alone.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include "app/application.hpp"
#include "app/staticfiles.hpp"
#include "cli/contacts.hpp"
#include "cli/db_routes.hpp"
#include "cli/invoke.hpp"
#include "cli/profile.hpp"
#include "harness/command.hpp"
#include "app/workload_app.hpp"
#include "common/ablation.hpp"
#include "loop/raw.hpp"
#include "parser/bare_app.hpp"
#include "parser/http_server.hpp"
#include "router/api.hpp"
#include "router/workload.hpp"
#include "serve/serve_internal.hpp"

namespace {

// `strata serve`'s own flags; the standard ones fill `serve` (strata::ServeConfig).
struct ServeArgs {
  std::string tier = "http";
  strata::ServeConfig serve;
  bool no_validate_responses = false;
  std::string database_url;
  unsigned database_pool = 8;
  double database_timeout = 5;
  std::string static_dir;  // --static: mounted at /static/ on app and typed
};

// An ablation asked of a tier it does not touch would measure nothing:
// refuse it, naming the tiers where it applies.
bool ablations_apply(const std::string& tier) {
  for (const strata::ablation::Setting& s : strata::ablation::active()) {
    if (strata::ablation::applies(s.name, tier)) continue;
    for (const strata::ablation::Known& k : strata::ablation::known())
      if (k.name == s.name)
        std::fprintf(stderr, "strata: ablation %s does not apply to tier %s (only to: %s)\n", s.name.c_str(),
                     tier.c_str(), std::string(k.tiers).c_str());
    return false;
  }
  return true;
}

strata::app::StaticFilesOptions static_files(const ServeArgs& a) {
  strata::app::StaticFilesOptions o;
  o.directory = a.static_dir;
  return o;
}

int serve(ServeArgs& a) {
  // --no-validate-responses is the older spelling of this ablation.
  if (a.no_validate_responses && !strata::ablation::on("validate-response"))
    strata::ablation::add({"validate-response", "off"});
  if (!ablations_apply(a.tier)) return 2;
  if (strata::ablation::extra_routes() > 0 && a.tier != "app" && a.tier != "typed") {
    std::fprintf(stderr, "strata: --routes needs --tier app or --tier typed\n");
    return 2;
  }
  // The database is checked before anything listens: a wrong URL is a
  // start-up error naming it (password hidden), not a stream of 503s.
  std::unique_ptr<strata::db::Database> database;
  if (!a.database_url.empty()) {
    if (a.tier != "app" && a.tier != "typed") {
      std::fprintf(stderr, "strata: --database-url needs --tier app or --tier typed\n");
      return 2;
    }
    try {
      strata::db::Config dbc;
      dbc.url = a.database_url;
      dbc.pool_size = a.database_pool;
      dbc.acquire_timeout_ms = static_cast<unsigned>(strata::serving::to_ms(a.database_timeout));
      dbc.connect_timeout_ms = static_cast<unsigned>(strata::serving::to_ms(a.database_timeout));
      database = std::make_unique<strata::db::Database>(dbc);
      database->check();
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "strata: %s\n", e.what());
      return 2;
    } catch (const strata::db::Unavailable& e) {
      std::fprintf(stderr, "strata: %s\n", e.what());
      return 1;
    }
  }
  if (!a.static_dir.empty()) {
    if (a.tier != "app" && a.tier != "typed") {
      std::fprintf(stderr, "strata: --static needs --tier app or --tier typed\n");
      return 2;
    }
    struct stat st{};
    if (::stat(a.static_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      std::fprintf(stderr, "strata: --static %s is not a directory\n", a.static_dir.c_str());
      return 2;
    }
  }
  // The Application (or API) serves every worker and outlives the server.
  if (a.tier == "typed") {
    strata::router::APIConfig api_config;
    api_config.title = "strata typed tier: the seed workloads";
    api_config.version = STRATA_VERSION;
    strata::router::API api(api_config);
    strata::router::add_extra_routes(api, strata::ablation::extra_routes());
    strata::router::add_workload_routes(api);
    if (!a.static_dir.empty()) api.mount("/static", strata::app::StaticFiles(static_files(a)));
    if (database) {
      strata::cli::add_db_routes(api, *database);
      strata::cli::add_contacts_routes(api, *database);
    }
    return strata::serve(api, a.serve);
  }
  if (a.tier == "app") {
    strata::app::Application app;
    strata::app::add_extra_routes(app, strata::ablation::extra_routes());
    strata::app::add_workload_routes(app);
    if (!a.static_dir.empty()) app.mount("/static", strata::app::StaticFiles(static_files(a)));
    if (database) {
      strata::cli::add_db_routes(app, *database);
      strata::cli::add_contacts_routes(app, *database);
    }
    return strata::serve(app, a.serve);
  }
  if (a.tier == "raw") {
    return strata::serving::run(a.serve, a.tier, [](const strata::ServeConfig& c) -> strata::loop::Server::WorkerFactory {
      return [quiet = c.http.idle_timeout_ms](int index, const strata::loop::ServerConfig& sc)
                 -> std::unique_ptr<strata::loop::Worker> {
        return std::make_unique<strata::loop::raw::RawWorker>(index, sc, quiet);
      };
    });
  }
  return strata::serving::run(a.serve, a.tier, [](const strata::ServeConfig& c) {
    return strata::http::http_workers(c.http, [](strata::http::AppHost&) { return strata::http::make_bare_app(); });
  });
}

}  // namespace

int main(int argc, char** argv) {
  strata::cli::note_main_entered();  // `strata profile --cold-split` times static initialisers up to here
  std::signal(SIGPIPE, SIG_IGN);  // `strata bench` and `profile` talk to servers that may hang up

  CLI::App app{
      "strata: an HTTP stack in four tiers, each runnable alone, to measure where a request's time goes.\n"
      "Tiers: raw (libuv, crude framing), http (llhttp, HTTP/1.1, ASGI-like boundary),\n"
      "app (Request/Response, routing, middleware, thread pool),\n"
      "typed (typed parameters, JSON validated into structs, 422s, OpenAPI).\n"
      "`strata bench` measures them side by side and prints the decay table;\n"
      "`strata profile` splits one request's cost by phase (ns, instructions, cold start)."};
  app.set_version_flag("--version", std::string("strata ") + STRATA_VERSION);
  app.require_subcommand(1);

  ServeArgs a;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the seed workloads (POST /user, GET /, GET /index?name=; typed adds seed 004's /fastapi/... routes) with one tier");
  serve_cmd->add_option("--tier", a.tier, "Which tier answers: raw, http, app or typed")
      ->check(CLI::IsMember({"raw", "http", "app", "typed"}))
      ->capture_default_str();
  serve_cmd->add_flag("--no-validate-responses", a.no_validate_responses,
                      "typed: skip checking each response against its model (FastAPI always checks); "
                      "the same as --ablate validate-response=off");
  strata::serving::add_ablation_flags(*serve_cmd);
  strata::serving::add_flags(*serve_cmd, a.serve);
  serve_cmd->add_option("--database-url", a.database_url,
                        "app, typed: serve GET /db/ping from this database: sqlite:///FILE (relative), "
                        "sqlite:////FILE (absolute), sqlite:///:memory: or postgresql://USER@HOST/DB (libpq URI)");
  serve_cmd->add_option("--static", a.static_dir,
                        "app, typed: serve the files of this directory under /static/ (ranges, ETag, 304)");
  serve_cmd->add_option("--database-pool", a.database_pool, "Database connections per worker")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  serve_cmd->add_option("--database-timeout", a.database_timeout,
                        "Seconds to connect to the database, and to wait for a free connection (503 after)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  // `strata db load`: seed 001's schema and rows, the same in either database.
  std::string load_url;
  int64_t load_contacts = strata::cli::kDefaultContacts;
  bool load_replace = false;
  auto* db_cmd = app.add_subcommand("db", "Database tools (seed 001's contacts data)");
  db_cmd->require_subcommand(1);
  auto* load_cmd = db_cmd->add_subcommand(
      "load", "Create the contacts schema and load generated rows (fixed seed: the same rows every time)");
  load_cmd->add_option("--database-url", load_url, "sqlite:///FILE or postgresql://... (as for serve)")->required();
  load_cmd->add_option("--contacts", load_contacts, "How many contacts")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}))
      ->capture_default_str();
  load_cmd->add_flag("--replace", load_replace, "Drop and reload a database that already holds contacts");

  strata::bench::register_command(app);
  // Each strata row's server gets the ablations that apply to its tier.
  strata::serving::add_ablation_flags(*app.get_subcommand("bench"));
  strata::cli::register_profile_command(app);
  strata::cli::register_invoke_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // `strata bench` failed; it said why on stderr
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    if (msg.empty()) msg = "a subcommand is required (try: strata serve --help)";
    std::fprintf(stderr, "strata: %s (see strata --help)\n", msg.c_str());
    return 2;
  }
  if (serve_cmd->parsed()) return serve(a);
  if (load_cmd->parsed()) {
    try {
      strata::db::Database database({.url = load_url});
      database.check();
      const auto t0 = std::chrono::steady_clock::now();
      const auto r = strata::cli::load_contacts(database, load_contacts, load_replace);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("loaded %lld contacts, %lld phones, %lld emails, %lld types into %s in %.1f s\n",
                  static_cast<long long>(r.contacts), static_cast<long long>(r.phones),
                  static_cast<long long>(r.emails), static_cast<long long>(r.types), database.redacted_url().c_str(),
                  s);
      return 0;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "strata: %s\n", e.what());
      return 1;
    }
  }
  return 0;  // `strata bench` ran in its callback
}
