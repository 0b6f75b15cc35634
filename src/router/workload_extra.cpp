// `--routes N` for the typed tier, in a file of its own so that the
// baseline's routes (workload.cpp) compile to the same code without it.
#include "router/workload.hpp"

namespace strata::router {

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
