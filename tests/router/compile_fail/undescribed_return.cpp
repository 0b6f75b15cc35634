// expect: the handler's return type is not something strata can send: describe the struct with BOOST_DESCRIBE_STRUCT
#include <string>

#include <strata/router/api.hpp>

struct Contact {  // no BOOST_DESCRIBE_STRUCT
  std::string name;
};

void add(strata::router::API& api) {
  api.get("/contact", []() -> strata::Task<Contact> { co_return Contact{"ada"}; });
}
