#include "cli/invoke.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "app/application.hpp"
#include "app/workload_app.hpp"
#include "lambda/lambda.hpp"
#include "router/api.hpp"
#include "router/workload.hpp"

namespace strata::cli {

namespace {

struct InvokeArgs {
  std::string tier = "typed";
  std::string event = "-";
};

bool read_event(const std::string& path, std::string& out, std::string& error) {
  if (path == "-") {
    std::ostringstream s;
    s << std::cin.rdbuf();
    if (std::cin.bad()) {
      error = "cannot read the event from stdin";
      return false;
    }
    out = s.str();
    return true;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  if (f.bad()) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

int invoke(const InvokeArgs& a) {
  std::string event, error;
  if (!read_event(a.event, event, error)) {
    std::fprintf(stderr, "strata invoke: %s\n", error.c_str());
    return 1;
  }
  // The same routes as `strata serve --tier T` builds (src/main.cpp).
  std::unique_ptr<router::API> api;
  std::unique_ptr<app::Application> application;
  app::Application* target;
  if (a.tier == "typed") {
    router::APIConfig config;
    config.title = "strata typed tier: the seed workloads";
    config.version = STRATA_VERSION;
    api = std::make_unique<router::API>(config);
    router::add_workload_routes(*api);
    target = &api->application();
  } else {
    application = std::make_unique<app::Application>();
    app::add_workload_routes(*application);
    target = application.get();
  }
  lambda::Invoker invoker(*target);
  const lambda::Outcome outcome = invoker.invoke(event);
  if (!outcome.ok) {
    std::fprintf(stderr, "strata invoke: %s (%s)\n", outcome.error_message.c_str(), outcome.error_type.c_str());
    return 1;
  }
  std::printf("%s\n", outcome.document.c_str());
  return 0;
}

}  // namespace

void register_invoke_command(CLI::App& root) {
  auto a = std::make_shared<InvokeArgs>();
  auto* cmd = root.add_subcommand(
      "invoke",
      "Run one AWS Lambda event (API Gateway REST or HTTP API, ALB) through a tier in-process and print the "
      "response event as JSON");
  cmd->add_option("--tier", a->tier, "Which tier answers: app or typed (the routes of `strata serve`)")
      ->check(CLI::IsMember({"app", "typed"}))
      ->capture_default_str();
  cmd->add_option("event", a->event, "The event's JSON file; - reads stdin")->required();
  cmd->callback([a] {
    const int status = invoke(*a);
    std::fflush(stdout);
    if (status != 0) throw CLI::RuntimeError(status);
  });
}

}  // namespace strata::cli
