// softmax: A[h,l] = exp(s[h,l]) / sum_l' exp(s[h,l']), independently per head.
#include "softmax_family.hpp"

namespace {

class Softmax {
 public:
  void forward(attnlab::ConstMatrixMap scores, const attnlab::HeadMask& mask, attnlab::MatrixMap weights) {
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();
        continue;
      }
      // Shift by the row maximum: exact (softmax is shift invariant) and overflow-free.
      const double shift = scores.row(h).maxCoeff();
      weights.row(h) = (scores.row(h).array() - shift).exp().matrix();
      weights.row(h) /= weights.row(h).sum();
    }
  }

  void backward(attnlab::ConstMatrixMap /*scores*/, attnlab::ConstMatrixMap weights, const attnlab::HeadMask& mask,
                attnlab::ConstMatrixMap grad_weights, attnlab::MatrixMap grad_scores,
                attnlab::VectorMap /*grad_parameters*/) {
    attnlab::builtin::per_head_softmax_backward(weights, mask, grad_weights, grad_scores);
  }
};

}  // namespace

ATTNLAB_ACTIVATION_PLUGIN(Softmax, {.id = "softmax",
                                    .name = "Softmax",
                                    .version = "1.0.0",
                                    .description = "per-head softmax over the tokens of a sample",
                                    .normalization = attnlab::Normalization::PerHeadSumOne})
