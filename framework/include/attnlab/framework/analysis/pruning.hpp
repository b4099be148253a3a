// Pruning curves: the test error of a trained learner as heads are removed.
//
// A removed head is masked (Learner::set_head_mask): it leaves the sum of
// heads and every normalization, exactly as if the learner had been built
// without it. Two removal orders are measured for k = 0..H-1 heads removed:
//   - greedy by importance: each stage removes the still-active head whose
//     removal raises the test error least;
//   - random: the mean over R uniformly random orders, with its standard error.
// Independent of files, so that experiments can call it in-process.
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

}  // namespace attnlab
