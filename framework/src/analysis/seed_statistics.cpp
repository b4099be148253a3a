#include <attnlab/framework/analysis/seed_statistics.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace attnlab {

MeanAndError mean_and_error(std::span<const double> values) {
  MeanAndError result;
  double sum = 0.0;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v;
    ++result.count;
  }
  if (result.count == 0) {
    result.mean = std::numeric_limits<double>::quiet_NaN();
    return result;
  }
  const double n = static_cast<double>(result.count);
  result.mean = sum / n;
  if (result.count == 1) return result;
  double squares = 0.0;
  for (const double v : values) {
    if (std::isfinite(v)) squares += (v - result.mean) * (v - result.mean);
  }
  result.standard_error = std::sqrt(squares / (n - 1.0) / n);
  return result;
}

MeanAndError paired_difference(std::span<const double> first, std::span<const double> second) {
  std::vector<double> differences;
  for (std::size_t s = 0; s < std::min(first.size(), second.size()); ++s) differences.push_back(first[s] - second[s]);
  return mean_and_error(differences);
}

FractionInterval wilson_interval(std::size_t successes, std::size_t trials) {
  if (trials == 0) return {};
  constexpr double z = 1.959963984540054;  // the normal's 97.5% quantile
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(std::min(successes, trials)) / n;
  const double shrink = 1.0 + z * z / n;
  const double center = (p + z * z / (2.0 * n)) / shrink;
  const double half_width = z / shrink * std::sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n));
  // At k = 0 (k = n) the bound is 0 (1) exactly; rounding would leave 1e-17.
  return {successes == 0 ? 0.0 : std::max(0.0, center - half_width),
          successes >= trials ? 1.0 : std::min(1.0, center + half_width)};
}

}  // namespace attnlab
