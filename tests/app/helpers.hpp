// Helpers shared by the in-process tier-3 tests: a logger that captures
// lines, and a readable dump of a TestResponse.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/application.hpp"
#include "app/testclient.hpp"
#include "header_formats.hpp"

namespace strata::app::test {

struct Captured {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  AppConfig config() const {
    AppConfig c;
    c.threads = 2;
    c.log = [lines = lines](std::string_view line) { lines->emplace_back(line); };
    return c;
  }
  std::string all() const {
    std::string s;
    for (const auto& l : *lines) s += l + "\n";
    return s;
  }
};

inline std::string dump(const TestResponse& r) {
  std::string s = "status " + std::to_string(r.status) + "\n";
  for (const auto& [n, v] : r.headers) s += n + ": " + v + "\n";
  s += "body(" + std::to_string(r.body.size()) + "): " + r.body.substr(0, 300);
  if (!r.error.empty()) s += "\nerror: " + r.error;
  return s;
}

}  // namespace strata::app::test
