#include <attnlab/framework/analysis/seed_statistics.hpp>

#include <cmath>
#include <limits>

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

}  // namespace attnlab
