// The seed workloads in the typed style: what `strata serve --tier typed`
// serves, and FastAPI's twin in bench/reference/python/fastapi_server.py.
//
//   seed 003: POST /user, a User body, a new User back (the decay workload)
//   seed 002: GET / and GET /index?name= (text/plain)
//   WebSocket /ws/echo: every message back as it came (app::websocket_echo)
//   seed 004: GET /fastapi/<lesson>/?delay=<seconds>&n=<loop count>, one
//             route per row of the seed's table (see workload.cpp)
#pragma once

#include <cstdint>
#include <string>

#include <boost/describe.hpp>

#include "router/api.hpp"

namespace strata::router {

// seed 003's model: {"id": int, "name": str, "email": str}.
struct User {
  int64_t id = 0;
  std::string name;
  std::string email;
};
BOOST_DESCRIBE_STRUCT(User, (), (id, name, email))

// seed 004's answers: {"message": ...} and {"data": N, "message": ...}.
struct Message {
  std::string message;
};
BOOST_DESCRIBE_STRUCT(Message, (), (message))
struct CountMessage {
  int64_t data = 0;
  std::string message;
};
BOOST_DESCRIBE_STRUCT(CountMessage, (), (data, message))

// The seed's cpu_bound_operation: counts to n, one add per step, in a loop
// the compiler may not fold away.
int64_t count_to(int64_t n);

void add_workload_routes(API& api);
// `--routes N`: as app::add_extra_routes (app/workload_app.hpp), typed:
// GET /api/resource<i>/{item_id}, the id a Path<int64_t>. Add them first.
void add_extra_routes(API& api, unsigned n);
// json=dom: POST /user with the body decoded through simdjson's DOM, then
// copied into the model (router/workload_extra.cpp).
void add_dom_user_route(API& api);

}  // namespace strata::router
