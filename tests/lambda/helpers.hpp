// What the Lambda tests share: the event fixtures (events/, written from
// AWS's documented examples) and a reader for the JSON documents the
// adapter writes.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace strata::test {

inline std::string events_dir() { return LAMBDA_EVENTS_DIR; }

inline std::string read_fixture(std::string_view name) {
  const std::string path = events_dir() + "/" + std::string(name);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("no fixture " + path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A parsed document, read by JSON pointer ("/headers/content-type"); a
// missing or mistyped member reads as "<missing>", -1 or false, so a test
// compares and fails instead of throwing.
class JsonDoc {
 public:
  explicit JsonDoc(std::string_view text) : ok_(parser_.parse(simdjson::padded_string(text)).get(root_) == 0) {}
  bool ok() const { return ok_; }
  bool has(std::string_view pointer) const { return ok_ && root_.at_pointer(pointer).error() == simdjson::SUCCESS; }
  std::string str(std::string_view pointer) const {
    std::string_view s;
    if (!ok_ || root_.at_pointer(pointer).get_string().get(s) != simdjson::SUCCESS) return "<missing>";
    return std::string(s);
  }
  int64_t num(std::string_view pointer) const {
    int64_t v;
    if (!ok_ || root_.at_pointer(pointer).get_int64().get(v) != simdjson::SUCCESS) return -1;
    return v;
  }
  bool flag(std::string_view pointer) const {
    bool v;
    return ok_ && root_.at_pointer(pointer).get_bool().get(v) == simdjson::SUCCESS && v;
  }
  size_t size(std::string_view pointer) const {
    simdjson::dom::array a;
    simdjson::dom::object o;
    if (!ok_) return 0;
    if (root_.at_pointer(pointer).get_array().get(a) == simdjson::SUCCESS) return a.size();
    if (root_.at_pointer(pointer).get_object().get(o) == simdjson::SUCCESS) return o.size();
    return 0;
  }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool ok_;
};

}  // namespace strata::test
