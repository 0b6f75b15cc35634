// Validation errors in the shape FastAPI puts in a 422 body.
//
// Each error is one item of pydantic v2's `ValidationError.errors()` as
// FastAPI renders it (include_url=False):
//
//   {"type": "string_too_short", "loc": ["body", "items", 2, "name"],
//    "msg": "String should have at least 3 characters", "input": "ab",
//    "ctx": {"min_length": 3}}
//
// Contract: an Error owns all its strings (nothing points into a request
// buffer), so an Errors list may outlive the body it was decoded from. An
// Errors object is a plain value: not synchronized, one thread at a time.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace strata::router {

// One step of an error's location: a field name or map key, or an array index.
using LocItem = std::variant<std::string, size_t>;
using Loc = std::vector<LocItem>;

struct Error {
  std::string type;   // pydantic's error type: "missing", "int_parsing", "string_too_short", ...
  Loc loc;            // e.g. {"body", "items", 2, "price"}
  std::string msg;    // pydantic's message, e.g. "Field required"
  std::string input;  // the offending value as compact JSON text; "null" when there is none
  std::string ctx;    // a JSON object with the error's parameters, or empty for none
};

class Errors {
 public:
  void add(Error e) { items_.push_back(std::move(e)); }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  void clear() { items_.clear(); }
  const std::vector<Error>& items() const { return items_; }
  std::vector<Error>& items() { return items_; }

  // Appends the 422 body: {"detail":[<error>,...]}.
  void to_json(std::string& out) const;
  // Appends one error as a JSON object; key order type, loc, msg, input, ctx.
  static void append(std::string& out, const Error& e);

 private:
  std::vector<Error> items_;
};

}  // namespace strata::router
