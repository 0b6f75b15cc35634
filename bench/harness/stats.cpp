#include "harness/stats.hpp"

#include <algorithm>

namespace strata::bench {

std::optional<Spread> summarize(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  Spread s;
  s.count = values.size();
  s.min = values.front();
  s.max = values.back();
  const size_t mid = values.size() / 2;
  s.median = values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
  return s;
}

std::optional<double> decay_percent(double above, double value) {
  if (!(above > 0)) return std::nullopt;
  return (value - above) / above * 100.0;
}

std::vector<std::optional<double>> chain_decay(const std::vector<std::optional<double>>& values) {
  std::vector<std::optional<double>> out(values.size());
  std::optional<double> above;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    if (above) out[i] = decay_percent(*above, *values[i]);
    above = values[i];
  }
  return out;
}

}  // namespace strata::bench
