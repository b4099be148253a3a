// Pruning curves: the test error of a trained learner as heads are removed.
//
// A removed head is masked (Learner::set_head_mask): it leaves the sum of
// heads and every normalization, exactly as if the learner had been built
// without it. Two removal orders are measured for k = 0..H-1 heads removed:
//   - greedy by importance: each stage removes the still-active head whose
//     removal raises the test error least;
//   - random: the mean over R uniformly random orders, with its standard error.
// With refit (refit_pruning_curve), the values of the heads that remain are
// refit by least squares after each removal (value_refit.hpp), on a sample
// independent of the test set, and the greedy order is chosen on that sample
// too, so the test set only scores. Independent of files, so that
// experiments can call it in-process.
#pragma once

#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/framework/training/learner.hpp>

#include <cstdint>
#include <vector>

namespace attnlab {

struct PruningCurves {
  std::uint32_t heads = 0;
  double full_error = 0.0;  // every head active
  // Index k = heads removed, 0..H-1.
  std::vector<double> greedy_error;
  std::vector<std::uint32_t> greedy_order;  // greedy_order[k-1]: the head (0-based) removed at stage k; H-1 entries
  std::uint32_t random_orders = 0;
  std::vector<double> random_mean;
  std::vector<double> random_stderr;  // standard error of the mean over orders; 0 when fewer than 2
};

// Starts from all heads active and leaves the learner's head mask as it found
// it (also when a plugin throws). `chunk` is the evaluation batch (at most the
// learner's max batch); the random orders come from an Rng seeded with `seed`,
// so the same seed removes heads in the same orders for every learner.
PruningCurves pruning_curves(Learner& learner, const TestSet& test, std::uint32_t chunk, std::uint32_t random_orders,
                             std::uint64_t seed);

struct RefitPruningCurve {
  // Index k = heads removed, 0..H-1: the test error and the refit sample's
  // error after refitting the remaining values (k = 0: all heads, refit).
  std::vector<double> test_error;
  std::vector<double> sample_error;
  // order[k-1]: the head removed at stage k, the one whose removal leaves the
  // smallest refit sample error; H-1 entries.
  std::vector<std::uint32_t> order;
  // H: the test error with head h alone removed and the values refit.
  std::vector<double> single_removal_error;
  // H: the mean of head h's output term (v_h . u_h(X))^2 over the refit
  // sample, with the trained values and all heads active.
  std::vector<double> output_mean_square;
  double label_mean_square = 0.0;  // mean y^2 over the refit sample
};

// Leaves the learner's head mask and values as it found them. `chunk` as for
// pruning_curves; `refit_sample` must not share samples with `test`; values
// are refit within the span of `basis` (value_refit.hpp; empty: all of R^D).
RefitPruningCurve refit_pruning_curve(Learner& learner, const TestSet& test, const TestSet& refit_sample,
                                      std::uint32_t chunk, const RowMatrix& basis = {});

// The largest k whose error stays within `tolerance` of the full model's:
// errors[k] - floor <= (1 + tolerance) (full_error - floor). floor = 0: the
// tolerance is relative to the full error; floor = the Bayes error on the
// same test set: relative to the full model's excess over it. Not a prefix
// rule: a curve that dips back (refits can) counts at its largest good k.
std::uint32_t prunable_heads(const std::vector<double>& errors, double full_error, double tolerance,
                             double floor = 0.0);

}  // namespace attnlab
