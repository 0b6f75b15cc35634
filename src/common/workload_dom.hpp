// json=dom (common/ablation.hpp): seed 003's endpoint the way most JSON
// stacks decode, for comparison with workload.hpp's on-demand UserEndpoint.
// The body is parsed whole into simdjson's DOM (a tape of every value),
// then the fields are looked up in the tree and copied into a User that
// owns its strings, as Python's json.loads then pydantic, or a
// nlohmann::json then from_json, do. Same answers as UserEndpoint for
// every well-formed body, the one-line reasons included; malformed JSON is
// a 400 from both, but the reason may name another simdjson error (the DOM
// parser checks the whole document before any field is read).
//
// Threading: as UserEndpoint, one per event loop.
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "common/workload.hpp"

namespace strata::workload {

class DomUserEndpoint {
 public:
  Status operator()(std::string_view body, std::string& out);

  // The decoding half alone, for the typed tier's json=dom route
  // (router/workload_extra.cpp), which encodes through its own model.
  struct OwnedUser {
    int64_t id = 0;
    std::string name, email;
  };
  bool decode(std::string_view body, OwnedUser& user, std::string& reason);

 private:
  simdjson::dom::parser parser_;
};

}  // namespace strata::workload
