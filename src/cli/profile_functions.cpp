// `strata profile --functions N`: seed 000's two cProfile tables, from
// callgrind, on the Lambda event path.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unordered_map>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define STRATA_HAVE_CALLGRIND 1
#else
#define STRATA_HAVE_CALLGRIND 0
#endif

#include "app/application.hpp"
#include "app/workload_app.hpp"
#include "cli/profile_internal.hpp"
#include "kit/process.hpp"
#include "lambda/lambda.hpp"
#include "router/api.hpp"
#include "router/workload.hpp"

namespace strata::cli::profiling {

// AWS's documented REST API (payload 1.0) example, cut to what a GET
// carries, asking the route both tiers and both Python twins serve.
const char* const kLambdaEvent =
    R"({"version":"1.0","resource":"/index","path":"/index","httpMethod":"GET",)"
    R"("headers":{"Host":"id.execute-api.us-east-1.amazonaws.com","User-Agent":"curl/7.64.1",)"
    R"("X-Forwarded-Proto":"https","Accept":"*/*"},)"
    R"("multiValueHeaders":{"Host":["id.execute-api.us-east-1.amazonaws.com"],"User-Agent":["curl/7.64.1"],)"
    R"("X-Forwarded-Proto":["https"],"Accept":["*/*"]},)"
    R"("queryStringParameters":{"name":"strata"},"multiValueQueryStringParameters":{"name":["strata"]},)"
    R"("requestContext":{"accountId":"123456789012","apiId":"id","domainName":"id.execute-api.us-east-1.amazonaws.com",)"
    R"("httpMethod":"GET","identity":{"sourceIp":"192.0.2.1","userAgent":"curl/7.64.1"},"path":"/index",)"
    R"("protocol":"HTTP/1.1","requestId":"id=","resourcePath":"/index","stage":"$default"},)"
    R"("pathParameters":null,"stageVariables":null,"body":null,"isBase64Encoded":false})";

struct LambdaTarget::Parts {
  std::unique_ptr<router::API> api;
  std::unique_ptr<app::Application> application;
  std::unique_ptr<lambda::Invoker> invoker;
};

LambdaTarget::LambdaTarget(const std::string& tier) : parts_(std::make_unique<Parts>()) {
  // As `strata invoke` builds it: the routes of `strata serve --tier T`.
  app::Application* target;
  if (tier == "typed") {
    router::APIConfig config;
    config.title = "strata typed tier: the seed workloads";
    config.version = STRATA_VERSION;
    parts_->api = std::make_unique<router::API>(config);
    router::add_workload_routes(*parts_->api);
    target = &parts_->api->application();
  } else {
    parts_->application = std::make_unique<app::Application>();
    app::add_workload_routes(*parts_->application);
    target = parts_->application.get();
  }
  parts_->invoker = std::make_unique<lambda::Invoker>(*target);
}

LambdaTarget::~LambdaTarget() = default;

std::string LambdaTarget::invoke() {
  lambda::Outcome o = parts_->invoker->invoke(kLambdaEvent);
  if (!o.ok || o.document.find(R"("statusCode":200)") == std::string::npos ||
      o.document.find("Hello strata") == std::string::npos)
    throw Failure{"the Lambda event was answered wrongly: " + o.document.substr(0, 200)};
  return std::move(o.document);
}

SeedTarget::SeedTarget(const std::string& tier) : tier_(tier) {
  if (tier == "app" || tier == "typed")
    lambda_ = std::make_unique<LambdaTarget>(tier);
  else
    driver_ = make_driver(tier);
}

SeedTarget::~SeedTarget() = default;

void SeedTarget::answer_in_memory() {
  // A check as cheap as the Lambda path's: a full response parse would
  // cost raw more than raw's own request does.
  static const Scenario sc = scenario("hello");
  const std::string_view got = driver_->once(sc.request);
  if (!got.starts_with("HTTP/1.1 200 ") || got.find("Hello strata") == std::string_view::npos)
    throw Failure{"tier " + tier_ + " answered wrongly: " + std::string(got.substr(0, 200))};
}

void SeedTarget::answer() {
  if (lambda_)
    lambda_->invoke();
  else
    answer_in_memory();
}

// ---------------------------------------------------------------- the child, under callgrind

int functions_child(const std::string& tier) {
#if STRATA_HAVE_CALLGRIND
  if (!RUNNING_ON_VALGRIND) {
    std::fprintf(stderr, "strata: --functions-child is for `strata profile --functions`, under callgrind\n");
    return 2;
  }
  // Collection has been on since the process's first instruction: the
  // loader, static initialisers, main, building the app, the first answer.
  SeedTarget target(tier);
  target.answer();
  CALLGRIND_DUMP_STATS_AT("cold");
  // Warm: one call alone, once the first few have grown what grows once.
  for (int i = 0; i < kWarmUpCalls; ++i) target.answer();
  CALLGRIND_ZERO_STATS;
  target.answer();
  CALLGRIND_DUMP_STATS_AT("warm");
  return 0;
#else
  (void)tier;
  std::fprintf(stderr, "strata: built without <valgrind/callgrind.h>\n");
  return 1;
#endif
}

// ---------------------------------------------------------------- reading callgrind's file

namespace {

// One cost figure from a cost line ("POSITION IR"): the event is Ir only.
uint64_t line_cost(const std::string& line) {
  const size_t sp = line.find(' ');
  return sp == std::string::npos ? 0 : std::strtoull(line.c_str() + sp + 1, nullptr, 10);
}

}  // namespace

// callgrind's format (valgrind's docs, "Callgrind Format Specification"),
// written with --compress-pos=no: "fn=(id) name" the first time a name is
// used, "fn=(id)" after; the same ids for cfn=. A cost line after
// "calls=COUNT POS" is the inclusive cost of those calls, not self cost.
Profile read_profile(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw Failure{"cannot read callgrind's output " + file};
  Profile p;
  std::unordered_map<std::string, std::string> fn_names, ob_names;
  std::unordered_map<std::string, size_t> index;  // object, name -> functions[]
  auto resolve = [](std::unordered_map<std::string, std::string>& names, const std::string& v) {
    if (v.empty() || v[0] != '(') return v;
    const size_t close = v.find(')');
    if (close == std::string::npos) return v;
    const std::string id = v.substr(0, close + 1);
    if (close + 1 < v.size()) return names[id] = v.substr(close + 2);
    return names[id];
  };
  // Keyed by object and name: ld.so and libc each have a strcmp.
  auto at = [&](const std::string& name, const std::string& object) -> FunctionCost& {
    auto [it, fresh] = index.try_emplace(object + '\0' + name, p.functions.size());
    if (fresh) p.functions.push_back({name, object});
    return p.functions[it->second];
  };
  std::string line, ob, cob, fn, cfn;
  bool call_cost_next = false;
  uint64_t pending_calls = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const char c = line[0];
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '*') {
      const uint64_t cost = line_cost(line);
      if (call_cost_next) {
        call_cost_next = false;
        at(cfn, cob).calls += pending_calls;
        p.calls += pending_calls;
        if (cfn != fn) at(fn, ob).inclusive_calls += cost;
        cob = ob;  // a cob= names the object of one call only
      } else if (!fn.empty()) {
        at(fn, ob).self += cost;
      }
      continue;
    }
    const size_t eq = line.find('=');
    const std::string key = eq == std::string::npos ? "" : line.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : line.substr(eq + 1);
    if (key == "ob") {
      ob = resolve(ob_names, value);
      cob = ob;
    } else if (key == "cob") {
      cob = resolve(ob_names, value);
    } else if (key == "fn") {
      fn = resolve(fn_names, value);
      cob = ob;
    } else if (key == "cfn") {
      cfn = resolve(fn_names, value);
    } else if (key == "calls") {
      pending_calls = std::strtoull(value.c_str(), nullptr, 10);
      call_cost_next = true;
    } else if (line.rfind("summary:", 0) == 0 || line.rfind("totals:", 0) == 0) {
      p.total = std::strtoull(line.c_str() + line.find(':') + 1, nullptr, 10);
    }
  }
  std::erase_if(p.functions, [](const FunctionCost& f) { return f.self == 0 && f.calls == 0; });
  return p;
}

namespace {

std::string short_object(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string clip(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 3) + "...";
  return s;
}

void print_profile(const Profile& p, const std::string& title, long n) {
  std::vector<const FunctionCost*> order;
  for (const FunctionCost& f : p.functions) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(),
                   [](const FunctionCost* a, const FunctionCost* b) { return a->self > b->self; });
  const size_t shown = std::min(order.size(), static_cast<size_t>(n));
  std::printf("%s\n", title.c_str());
  std::printf("         %s function calls in %s instructions\n\n", group(static_cast<double>(p.calls)).c_str(),
              group(static_cast<double>(p.total)).c_str());
  std::printf("   Ordered by: self instructions\n");
  if (shown < order.size())
    std::printf("   List reduced from %zu to %zu due to restriction <%ld>\n", order.size(), shown, n);
  std::printf("\n%10s %12s %9s %12s %9s  %s\n", "ncalls", "self", "percall", "inclusive", "percall", "object:function");
  for (size_t i = 0; i < shown; ++i) {
    const FunctionCost& f = *order[i];
    // A function entered from outside what callgrind saw (the process's
    // entry point, a signal) has cost but no recorded call: it ran once.
    const uint64_t calls = std::max<uint64_t>(f.calls, 1);
    const uint64_t inclusive = std::min(f.self + f.inclusive_calls, p.total);
    std::printf("%10s %12s %9s %12s %9s  %s\n", group(static_cast<double>(calls)).c_str(),
                group(static_cast<double>(f.self)).c_str(),
                group(static_cast<double>(f.self) / static_cast<double>(calls)).c_str(),
                group(static_cast<double>(inclusive)).c_str(),
                group(static_cast<double>(inclusive) / static_cast<double>(calls)).c_str(),
                clip(short_object(f.object) + ":" + (f.name.empty() ? "???" : f.name), 110).c_str());
  }
  std::printf("\n\n");
}

std::string what_answers(const std::string& tier) {
  if (tier == "typed") return "typed (API) + lambda::Invoker";
  if (tier == "app") return "app (Application) + lambda::Invoker";
  return tier + " + the in-memory HTTP engine (GET /index: no Lambda path below tier 3)";
}

struct Dumps {
  Profile cold, warm;
};

Dumps profile_tier(const std::string& valgrind, const std::string& tier) {
  char file[] = "/tmp/strata-functions-XXXXXX";
  const int fd = ::mkstemp(file);
  if (fd < 0) throw Failure{std::string("cannot create a temporary file: ") + std::strerror(errno)};
  ::close(fd);
  kit::SpawnSpec spec;
  spec.argv = {valgrind,
               "--tool=callgrind",
               "--compress-pos=no",
               std::string("--callgrind-out-file=") + file,
               kit::self_exe(),
               "profile",
               "--tier",
               tier,
               "--functions-child"};
  const kit::RunResult ran = kit::run_to_end(spec, std::chrono::hours(1));
  const std::string cold_file = std::string(file) + ".1", warm_file = std::string(file) + ".2";
  Dumps d;
  std::string error;
  if (!ran.ok()) {
    error = kit::last_line(ran.error.empty() ? ran.err : ran.error);
  } else {
    try {
      d.cold = read_profile(cold_file);
      d.warm = read_profile(warm_file);
    } catch (const Failure& f) {
      error = f.why;
    }
  }
  for (const std::string& f : {std::string(file), cold_file, warm_file}) ::unlink(f.c_str());
  if (!error.empty()) throw Failure{"callgrind run of tier " + tier + " failed: " + error};
  return d;
}

// The Python twins under cProfile (bench/reference/python/lambda_profile.py).
void print_python(const std::string& twin, const std::string& label, const std::string& mode) {
  const std::string python = "/usr/bin/python3";
  const std::string script = std::string(STRATA_REFERENCE_DIR) + "/python/lambda_profile.py";
  kit::SpawnSpec spec;
  spec.argv = {python, "-E", "-s", script, "--twin", twin, "--event", kLambdaEvent, "--profile", mode};
  const kit::RunResult ran = kit::run_to_end(spec, std::chrono::minutes(5));
  std::printf("%s, %s\n", label.c_str(),
              mode == "cold" ? "cold: cProfile from the first import through the first answer"
                             : "warm: cProfile of one call alone");
  if (!ran.ok()) {
    std::printf("   skipped: %s (make bench-python installs the packages)\n\n\n",
                kit::last_line(ran.error.empty() ? ran.err : ran.error).c_str());
    return;
  }
  const size_t answer = ran.out.rfind("answer ");
  std::fwrite(ran.out.data(), 1, answer == std::string::npos ? ran.out.size() : answer, stdout);
  std::printf("\n");
}

}  // namespace

void print_functions(const std::vector<std::string>& tiers, long n, const std::string& reference) {
  const std::string valgrind = kit::find_executable("valgrind");
  if (valgrind.empty()) throw Failure{"--functions needs valgrind (apt-get install valgrind)"};
  if (!STRATA_HAVE_CALLGRIND) throw Failure{"--functions: this strata was built without <valgrind/callgrind.h>"};
  std::printf(
      "functions by self instructions (callgrind), one API Gateway REST API event, GET /index?name=strata,\n"
      "through the tier's Lambda Invoker (as `strata invoke` runs it; raw and http, below the adapter, take\n"
      "the same GET through the in-memory engine). cold: the whole process, from its\n"
      "first instruction (dynamic loader included) through the first answer; warm: one invocation alone,\n"
      "after %d uncounted ones. self/inclusive are instructions, percall per call.\n\n",
      kWarmUpCalls + 1);
  std::fflush(stdout);
  std::vector<std::pair<std::string, Dumps>> all;
  for (const std::string& tier : tiers) all.emplace_back(tier, profile_tier(valgrind, tier));
  const bool python = reference == "python";
  if (python && ::access("/usr/bin/python3", X_OK) != 0) {
    std::printf("python: skipped, /usr/bin/python3 is not installed\n\n");
  }
  const bool twins = python && ::access("/usr/bin/python3", X_OK) == 0;
  for (const char* mode : {"cold", "warm"}) {
    for (const auto& [tier, d] : all)
      print_profile(mode == std::string("cold") ? d.cold : d.warm,
                    "strata " + what_answers(tier) + ", " +
                        (mode == std::string("cold") ? "cold: process start through the first answer"
                                                     : "warm: one invocation alone"),
                    n);
    if (twins) {
      print_python("fastapi", "Python FastAPI + Mangum's twin (bench/reference/python/lambda_asgi.py)", mode);
      print_python("proxy", "Python lambda-proxy's twin (a dict-dispatch handler)", mode);
    }
    std::fflush(stdout);
  }
}

}  // namespace strata::cli::profiling
