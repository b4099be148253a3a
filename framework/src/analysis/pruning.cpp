#include <attnlab/framework/analysis/pruning.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/random.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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

}  // namespace attnlab
