// linear: A[h,l] = 1 + s[h,l], applied elementwise to each score.
//
// A baseline next to the softmax family: the weights are not normalized and
// can be negative. A masked head gets weight 0 and gradient 0.
#include <attnlab/sdk.hpp>

namespace {

class Linear {
 public:
  // One sample at a time: `scores` and `weights` are H x L matrices.
  void forward(attnlab::ConstMatrixMap scores, const attnlab::HeadMask& mask, attnlab::MatrixMap weights) {
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h) = (scores.row(h).array() + 1.0).matrix();
      } else {
        weights.row(h).setZero();
      }
    }
  }

  // dA/ds = 1 on active heads, so the score gradient is the upstream
  // gradient itself there, and 0 on masked heads. No learnable parameters.
  void backward(attnlab::ConstMatrixMap /*scores*/, attnlab::ConstMatrixMap /*weights*/, const attnlab::HeadMask& mask,
                attnlab::ConstMatrixMap grad_weights, attnlab::MatrixMap grad_scores,
                attnlab::VectorMap /*grad_parameters*/) {
    for (Eigen::Index h = 0; h < grad_weights.rows(); ++h) {
      if (mask.active(static_cast<std::uint32_t>(h))) {
        grad_scores.row(h) = grad_weights.row(h);
      } else {
        grad_scores.row(h).setZero();
      }
    }
  }
};

}  // namespace

// Defines the library's C entry point; the id is what `attnlab` commands use.
ATTNLAB_ACTIVATION_PLUGIN(Linear, {.id = "linear",
                                   .name = "Linear",
                                   .version = "1.0.0",
                                   .description = "elementwise 1 + s, not normalized",
                                   .normalization = attnlab::Normalization::None})
