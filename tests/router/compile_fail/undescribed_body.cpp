// expect: Body<T>: T must be a struct described with BOOST_DESCRIBE_STRUCT
#include <string>

#include <strata/router/api.hpp>

struct NewContact {  // no BOOST_DESCRIBE_STRUCT
  std::string name;
};

void add(strata::router::API& api) {
  api.post("/contacts", [](strata::router::Body<NewContact> c) { return c->name; });
}
