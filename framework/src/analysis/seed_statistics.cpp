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

}  // namespace attnlab
