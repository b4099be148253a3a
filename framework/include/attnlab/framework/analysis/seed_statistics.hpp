// Mean and standard error over independent runs (seeds), the way every
// multi-seed figure and table of attnlab reports a quantity.
#pragma once

#include <cstddef>
#include <span>

namespace attnlab {

struct MeanAndError {
  double mean = 0.0;            // NaN when no value is finite
  double standard_error = 0.0;  // sample std / sqrt(n); 0 for a single value
  std::size_t count = 0;        // finite values used
};

// Non-finite values (a diverged run) are left out and not counted.
MeanAndError mean_and_error(std::span<const double> values);

// first[s] - second[s] over the seeds s where both are finite (the paired
// difference of two models trained on the same data from the same start).
MeanAndError paired_difference(std::span<const double> first, std::span<const double> second);

// A 95% confidence interval for a fraction.
struct FractionInterval {
  double low = 0.0;
  double high = 1.0;
};

// Wilson score interval for k successes in n trials ("k/n seeds"): unlike
// p +- 1.96 sqrt(p(1-p)/n) it stays inside [0, 1] and is not empty at k = 0
// or k = n, which is where few seeds put it. n = 0 gives [0, 1].
FractionInterval wilson_interval(std::size_t successes, std::size_t trials);

}  // namespace attnlab
