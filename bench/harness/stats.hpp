// Summaries across trials and the decay between adjacent rows.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace strata::bench {

// Median and range of a set of figures (one per trial).
struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
  size_t count = 0;
};

// The median (mean of the middle two for an even count) and min-max of
// `values`; nullopt when empty.
std::optional<Spread> summarize(std::vector<double> values);

// Percentage change from the row above to this one: (value - above) / above
// * 100. Negative for req/s means this row serves fewer; positive for CPU
// per request means each request costs more. nullopt when `above` <= 0.
std::optional<double> decay_percent(double above, double value);

// The decay of every row against the nearest row above it that has a
// figure, within one trial. `values[i]` is row i's figure, nullopt when the
// row is invalid or absent; the result holds nullopt for those rows and for
// the first row that has a figure.
std::vector<std::optional<double>> chain_decay(const std::vector<std::optional<double>>& values);

}  // namespace strata::bench
