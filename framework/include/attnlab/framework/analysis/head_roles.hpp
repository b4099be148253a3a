// What each head of a trained learner does: unused, redundant or needed, and
// how many heads the prior asks for.
//
// Unused: the head's output term c_h(X) = v_h . u_h(X) is negligible, its
// mean square below `unused_share` of the labels' (default 1e-4: an RMS
// below 1% of the labels'), so dropping it moves the prediction by next to
// nothing. Softmax-1 silences a useless head this way (its weight goes to
// the implicit zero). Redundant: used, yet removing it alone and refitting
// the other values keeps the test error within `tolerance` of the model's
// with every head, refit the same way. The rest are needed.
#pragma once

#include <attnlab/framework/analysis/pruning.hpp>

#include <cstdint>
#include <vector>

namespace attnlab {

inline constexpr double kUnusedOutputShare = 1e-4;

struct HeadRoles {
  std::vector<unsigned char> unused;     // H, 1 = unused
  std::vector<unsigned char> redundant;  // H, 1 = redundant (never also unused)
  std::uint32_t unused_count = 0;
  std::uint32_t redundant_count = 0;
};

// From a refit curve's output mean squares and single-removal errors;
// full_error is the error a removal is compared with (the refit curve's
// test_error[0] for the definition above).
HeadRoles classify_heads(const RefitPruningCurve& curve, double full_error, double tolerance,
                         double unused_share = kUnusedOutputShare);

// Heads a diagonal Gaussian prior needs, one per sign a feature takes: a
// symmetric feature (mean 0, std > 0) needs two, one with a nonzero mean one,
// and a feature that is always 0 none. `mean` and `std` have F entries.
std::uint32_t heads_the_prior_needs(const std::vector<double>& mean, const std::vector<double>& std);

}  // namespace attnlab
