// The typed workload's variants for the ablation tables (common/ablation.hpp):
// `--routes N` and json=dom, in a file of their own so that the baseline's
// routes (workload.cpp) compile to the same code without them.
#include "router/workload.hpp"

#include "common/workload_dom.hpp"

namespace strata::router {

// json=dom's body: seed 003's User under another name, so that its decode
// below is this file's alone (the baseline's Body<User> keeps the on-demand
// decoder). /openapi.json names the request schema DomUser accordingly.
struct DomUser {
  int64_t id = 0;
  std::string name;
  std::string email;
};
BOOST_DESCRIBE_STRUCT(DomUser, (), (id, name, email))

// The whole body into simdjson's DOM, then the fields copied into the model,
// as json.loads and then pydantic do. A body the DOM path does not take is
// decoded again by the model decoder, so a 422 reads word for word as the
// baseline's; the workload's bodies never take that path.
template <>
bool decode<DomUser>(std::string_view json, DomUser& out, Errors& errors, std::string_view root) {
  thread_local workload::DomUserEndpoint dom;  // one parser per loop thread
  workload::DomUserEndpoint::OwnedUser user;
  std::string reason;
  if (dom.decode(json, user, reason)) {
    out = DomUser{user.id, std::move(user.name), std::move(user.email)};
    return true;
  }
  User model;
  if (!decode<User>(json, model, errors, root)) return false;
  out = DomUser{model.id, std::move(model.name), std::move(model.email)};
  return true;
}

void add_dom_user_route(API& api) {
  api.post(
      "/user",
      [](Body<DomUser> user) -> Task<User> {
        co_return User{user->id, std::move(user->name), std::move(user->email)};
      },
      {.name = "pydantic_user"});
}

void add_extra_routes(API& api, unsigned n) {
  for (unsigned i = 0; i < n; ++i) {
    api.get("/api/resource" + std::to_string(i) + "/{item_id}",
            [i](Path<"item_id", int64_t> id) -> Task<PlainText> {
              co_return PlainText{"resource " + std::to_string(i) + " item " + std::to_string(*id)};
            },
            {.name = "resource" + std::to_string(i)});
  }
}

}  // namespace strata::router
