#include <attnlab/framework/analysis/pruning.hpp>
#include <attnlab/framework/analysis/value_refit.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/random.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

namespace attnlab {
namespace {

// Puts the learner's head mask back when pruning ends, however it ends.
class MaskRestorer {
 public:
  explicit MaskRestorer(Learner& learner) : learner_(learner), saved_(learner.head_mask()) {}
  ~MaskRestorer() { learner_.set_head_mask(saved_); }
  MaskRestorer(const MaskRestorer&) = delete;
  MaskRestorer& operator=(const MaskRestorer&) = delete;

 private:
  Learner& learner_;
  std::vector<unsigned char> saved_;
};

// Puts the learner's values back when a refit curve ends, however it ends.
class ValueRestorer {
 public:
  explicit ValueRestorer(Learner& learner) : learner_(learner), saved_(learner.values()) {}
  ~ValueRestorer() { learner_.keys_and_values().bottomRows(learner_.shape().heads) = saved_; }
  ValueRestorer(const ValueRestorer&) = delete;
  ValueRestorer& operator=(const ValueRestorer&) = delete;

 private:
  Learner& learner_;
  RowMatrix saved_;
};

std::vector<unsigned char> mask_of(std::uint32_t heads, const std::vector<std::uint32_t>& active) {
  std::vector<unsigned char> mask(heads, 0);
  for (const std::uint32_t h : active) mask[h] = 1;
  return mask;
}

// A refit with `active` heads: its values and the refit sample's error.
struct Refit {
  ValueNormalEquations equations;
  Eigen::VectorXd values;
  double sample_error = 0.0;
};

// Refits with only `active` heads. When heads attend independently the
// equations are a block of the full ones (exact, and no pass over the
// sample); otherwise they are rebuilt under the mask.
Refit refit_with(Learner& learner, const TestSet& sample, std::uint32_t chunk, const ValueNormalEquations& full,
                 bool independent, const std::vector<std::uint32_t>& active) {
  Refit refit;
  if (independent) {
    refit.equations = restricted_equations(full, active);
  } else {
    learner.set_head_mask(mask_of(learner.shape().heads, active));
    refit.equations = value_normal_equations(learner, sample, chunk, full.basis);
  }
  refit.values = solve_values(refit.equations);
  refit.sample_error = sample_error(refit.equations, refit.values);
  return refit;
}

double refit_test_error(Learner& learner, const TestSet& test, std::uint32_t chunk, const Refit& refit) {
  learner.set_head_mask(mask_of(learner.shape().heads, refit.equations.heads));
  set_stacked_values(learner, refit.equations, refit.values);
  return test_error(learner, test, chunk);
}

double error_with_mask(Learner& learner, const TestSet& test, std::uint32_t chunk,
                       const std::vector<unsigned char>& active) {
  learner.set_head_mask(active);
  return test_error(learner, test, chunk);
}

// Fisher–Yates with the project's portable generator, so orders are the same
// on every platform.
std::vector<std::uint32_t> random_order(std::uint32_t heads, Rng& rng) {
  std::vector<std::uint32_t> order(heads);
  std::iota(order.begin(), order.end(), 0u);
  for (std::uint32_t i = heads; i > 1; --i) {
    const auto j = static_cast<std::uint32_t>(rng.uniform() * i);
    std::swap(order[i - 1], order[std::min(j, i - 1)]);
  }
  return order;
}

}  // namespace

PruningCurves pruning_curves(Learner& learner, const TestSet& test, std::uint32_t chunk, std::uint32_t random_orders,
                             std::uint64_t seed) {
  const std::uint32_t heads = learner.shape().heads;
  if (chunk == 0 || test.size == 0) throw UsageError("pruning needs a non-empty test set and a chunk of at least 1");
  const MaskRestorer restorer(learner);

  PruningCurves curves;
  curves.heads = heads;
  curves.random_orders = random_orders;
  std::vector<unsigned char> active(heads, 1);
  curves.full_error = error_with_mask(learner, test, chunk, active);

  curves.greedy_error.push_back(curves.full_error);
  for (std::uint32_t k = 1; k < heads; ++k) {
    double best_error = std::numeric_limits<double>::infinity();
    std::uint32_t best_head = heads;
    for (std::uint32_t h = 0; h < heads; ++h) {
      if (!active[h]) continue;
      active[h] = 0;
      const double error = error_with_mask(learner, test, chunk, active);
      active[h] = 1;
      // Ties go to the lowest index; a NaN error never beats a number.
      if (best_head == heads || error < best_error || std::isnan(best_error)) {
        best_error = error;
        best_head = h;
      }
    }
    active[best_head] = 0;
    curves.greedy_error.push_back(best_error);
    curves.greedy_order.push_back(best_head);
  }

  // errors[k][r]: the error with the first k heads of order r removed.
  std::vector<std::vector<double>> errors(heads);
  Rng rng(seed);
  for (std::uint32_t r = 0; r < random_orders; ++r) {
    const auto order = random_order(heads, rng);
    std::vector<unsigned char> remaining(heads, 1);
    for (std::uint32_t k = 1; k < heads; ++k) {
      remaining[order[k - 1]] = 0;
      errors[k].push_back(error_with_mask(learner, test, chunk, remaining));
    }
  }
  curves.random_mean.assign(heads, random_orders > 0 ? curves.full_error : std::nan(""));
  curves.random_stderr.assign(heads, 0.0);
  curves.random_mean[0] = curves.full_error;
  for (std::uint32_t k = 1; k < heads && random_orders > 0; ++k) {
    const double n = random_orders;
    const double mean = std::accumulate(errors[k].begin(), errors[k].end(), 0.0) / n;
    double squares = 0.0;
    for (const double error : errors[k]) squares += (error - mean) * (error - mean);
    curves.random_mean[k] = mean;
    curves.random_stderr[k] = random_orders > 1 ? std::sqrt(squares / (n - 1) / n) : 0.0;
  }
  return curves;
}

RefitPruningCurve refit_pruning_curve(Learner& learner, const TestSet& test, const TestSet& refit_sample,
                                      std::uint32_t chunk, const RowMatrix& basis) {
  const std::uint32_t heads = learner.shape().heads;
  if (chunk == 0 || test.size == 0 || refit_sample.size == 0) {
    throw UsageError("pruning with refit needs non-empty test and refit samples and a chunk of at least 1");
  }
  const MaskRestorer mask_restorer(learner);
  const ValueRestorer value_restorer(learner);

  RefitPruningCurve curve;
  learner.set_head_mask({});
  const ValueNormalEquations full = value_normal_equations(learner, refit_sample, chunk, basis);
  const bool independent = heads_attend_independently(learner, refit_sample, chunk);
  curve.label_mean_square = full.label_square / full.samples;
  for (const double square : full.output_square) curve.output_mean_square.push_back(square / full.samples);

  std::vector<std::uint32_t> active(heads);
  std::iota(active.begin(), active.end(), 0u);
  Refit current{full, solve_values(full), 0.0};
  current.sample_error = sample_error(full, current.values);
  curve.test_error.push_back(refit_test_error(learner, test, chunk, current));
  curve.sample_error.push_back(current.sample_error);
  curve.single_removal_error.assign(heads, std::nan(""));

  for (std::uint32_t k = 1; k < heads; ++k) {
    std::optional<Refit> best;
    for (const std::uint32_t h : active) {
      std::vector<std::uint32_t> kept;
      for (const std::uint32_t other : active) {
        if (other != h) kept.push_back(other);
      }
      Refit candidate = refit_with(learner, refit_sample, chunk, full, independent, kept);
      if (k == 1) curve.single_removal_error[h] = refit_test_error(learner, test, chunk, candidate);
      // Ties go to the lowest index; a NaN error never beats a number.
      if (!best || candidate.sample_error < best->sample_error || std::isnan(best->sample_error)) {
        best = std::move(candidate);
      }
    }
    const std::vector<std::uint32_t> kept = best->equations.heads;
    const auto removed = std::find_if(active.begin(), active.end(), [&](std::uint32_t h) {
      return std::find(kept.begin(), kept.end(), h) == kept.end();
    });
    curve.order.push_back(*removed);
    active = kept;
    curve.test_error.push_back(refit_test_error(learner, test, chunk, *best));
    curve.sample_error.push_back(best->sample_error);
  }
  return curve;
}

std::uint32_t prunable_heads(const std::vector<double>& errors, double full_error, double tolerance, double floor) {
  const double bound = floor + (1.0 + tolerance) * (full_error - floor);
  std::uint32_t prunable = 0;
  for (std::size_t k = 1; k < errors.size(); ++k) {
    if (errors[k] <= bound) prunable = static_cast<std::uint32_t>(k);
  }
  return prunable;
}

}  // namespace attnlab
