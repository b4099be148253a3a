// softmax-1: A[h,l] = exp(s[h,l]) / (1 + sum_l' exp(s[h,l'])), per head.
//
// The extra 1 is an implicit "null token" with score 0, which lets a head put
// (almost) no weight anywhere. It is not shift invariant, so the stable form
// shifts by m = max(0, max_l s) and keeps the null term as exp(-m).
#include "softmax_family.hpp"

#include <algorithm>
#include <cmath>

namespace {

class SoftmaxOne {
 public:
  void forward(attnlab::ConstMatrixMap scores, const attnlab::HeadMask& mask, attnlab::MatrixMap weights) {
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();
        continue;
      }
      const double shift = std::max(0.0, scores.row(h).maxCoeff());
      weights.row(h) = (scores.row(h).array() - shift).exp().matrix();
      weights.row(h) /= std::exp(-shift) + weights.row(h).sum();
    }
  }

  // The null token has a constant score, so the Jacobian has the softmax form
  // restricted to the real tokens: ds = a (g - sum a g).
  void backward(attnlab::ConstMatrixMap /*scores*/, attnlab::ConstMatrixMap weights, const attnlab::HeadMask& mask,
                attnlab::ConstMatrixMap grad_weights, attnlab::MatrixMap grad_scores,
                attnlab::VectorMap /*grad_parameters*/) {
    attnlab::builtin::per_head_softmax_backward(weights, mask, grad_weights, grad_scores);
  }
};

}  // namespace

ATTNLAB_ACTIVATION_PLUGIN(SoftmaxOne, {.id = "softmax1",
                                       .name = "Softmax-1",
                                       .version = "1.0.0",
                                       .description = "per-head softmax with an extra 1 in the denominator; "
                                                      "a head can switch off",
                                       .normalization = attnlab::Normalization::PerHeadSumAtMostOne})
