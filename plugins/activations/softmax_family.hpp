// Pieces shared by the built-in softmax-family activations.
//
// All three have weights a = exp(s) / Z(s) where Z sums exp over a set of
// entries (plus a constant for softmax-1). Their Jacobian is then
// da_i/ds_j = a_i (delta_ij - a_j) within the set, so the score gradient is
// ds_i = a_i (g_i - sum_j a_j g_j), the sum running over the same set.
#pragma once

#include <attnlab/sdk.hpp>

#include <algorithm>
#include <limits>

namespace attnlab::builtin {

// Score gradient when each active head is its own normalization set.
inline void per_head_softmax_backward(ConstMatrixMap weights, const HeadMask& mask, ConstMatrixMap grad_weights,
                                      MatrixMap grad_scores) {
  for (Eigen::Index h = 0; h < weights.rows(); ++h) {
    if (!mask.active(static_cast<std::uint32_t>(h))) {
      grad_scores.row(h).setZero();
      continue;
    }
    const double weighted_mean = weights.row(h).dot(grad_weights.row(h));
    grad_scores.row(h) =
        weights.row(h).cwiseProduct(grad_weights.row(h)) - weighted_mean * weights.row(h);
  }
}

// Largest score over active heads; -infinity when no head is active.
inline double max_active_score(ConstMatrixMap scores, const HeadMask& mask) {
  double m = -std::numeric_limits<double>::infinity();
  for (Eigen::Index h = 0; h < scores.rows(); ++h) {
    if (mask.active(static_cast<std::uint32_t>(h))) m = std::max(m, scores.row(h).maxCoeff());
  }
  return m;
}

}  // namespace attnlab::builtin
