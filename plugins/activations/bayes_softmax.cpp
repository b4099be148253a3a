// Bayes-softmax: A[h,l] = exp(s[h,l]) / sum_{h',l'} exp(s[h',l']).
//
// One softmax over every (head, token) pair of a sample, so heads compete with
// each other. With one head per support point of a discrete prior it computes
// the Bayes posterior over (support point, location) exactly.
#include "softmax_family.hpp"

namespace {

class BayesSoftmax {
 public:
  void forward(attnlab::ConstMatrixMap scores, const attnlab::HeadMask& mask, attnlab::MatrixMap weights) {
    const double shift = attnlab::builtin::max_active_score(scores, mask);
    double total = 0.0;
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();
        continue;
      }
      weights.row(h) = (scores.row(h).array() - shift).exp().matrix();
      total += weights.row(h).sum();
    }
    if (total > 0.0) weights /= total;  // total is 0 only when every head is masked
  }

  void backward(attnlab::ConstMatrixMap /*scores*/, attnlab::ConstMatrixMap weights, const attnlab::HeadMask& /*mask*/,
                attnlab::ConstMatrixMap grad_weights, attnlab::MatrixMap grad_scores,
                attnlab::VectorMap /*grad_parameters*/) {
    // Masked rows of `weights` are 0, so they drop out of the joint sum and
    // get a zero gradient without a special case.
    const double weighted_mean = weights.cwiseProduct(grad_weights).sum();
    grad_scores = weights.cwiseProduct(grad_weights) - weighted_mean * weights;
  }
};

}  // namespace

ATTNLAB_ACTIVATION_PLUGIN(BayesSoftmax, {.id = "bayes-softmax",
                                         .name = "Bayes-softmax",
                                         .version = "1.0.0",
                                         .description = "one softmax over all heads and tokens of a sample",
                                         .normalization = attnlab::Normalization::JointSumOne})
