#include "parser/bare_app.hpp"

#include <charconv>
#include <memory>
#include <string>

#include "common/ablation.hpp"
#include "common/workload.hpp"
#include "common/workload_dom.hpp"

namespace strata::http {

namespace {

// Endpoint: workload::UserEndpoint, or DomUserEndpoint under json=dom.
template <class Endpoint>
struct BareApp {
  Endpoint user;
  std::string out;
};

template <class Endpoint>
Task<void> serve(BareApp<Endpoint>& app, const Scope& scope, Receive& receive, Send& send) {
  // Gather the body as uvicorn's bare app does; a single event, the common
  // case, is used in place without a copy.
  std::string gathered;
  std::string_view body;
  for (bool first = true;; first = false) {
    ReceiveEvent ev = co_await receive();
    if (ev.type == ReceiveEvent::disconnect) co_return;
    if (first && !ev.more_body) {
      body = ev.bytes;
      break;
    }
    gathered.append(ev.bytes);
    if (!ev.more_body) {
      body = gathered;
      break;
    }
  }

  app.out.clear();
  int status = 200;
  std::string_view type = workload::json_type;
  if (scope.method == "GET" || scope.method == "HEAD") {
    type = workload::text_type;
    if (scope.path == "/index") workload::hello_index(scope.query_string, app.out);
    else if (scope.path == "/") workload::hello_root(app.out);
    else {
      status = 404;
      app.out.append("Not Found");
    }
  } else if (app.user(body, app.out) != workload::Status::ok) {
    status = 400;
    type = workload::text_type;
  }
  char len[24];
  auto r = std::to_chars(len, len + sizeof len, app.out.size());
  const Header headers[] = {{"content-type", type}, {"content-length", {len, static_cast<size_t>(r.ptr - len)}}};
  co_await send.start({status, headers});
  co_await send.body({app.out, false});
}

template <class Endpoint>
App bare_app() {
  auto app = std::make_shared<BareApp<Endpoint>>();
  return [app](const Scope& scope, Receive& receive, Send& send) { return serve(*app, scope, receive, send); };
}

}  // namespace

App make_bare_app() {
  if (ablation::on("json")) return bare_app<workload::DomUserEndpoint>();
  return bare_app<workload::UserEndpoint>();
}

}  // namespace strata::http
