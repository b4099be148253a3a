// sigmoid: A[h,l] = sigmoid(s[h,l] + b) elementwise, sigmoid(x) = 1 / (1 + e^-x).
//
// Sigmoid attention (e.g. Ramapuram et al., "Theory, analysis, and best
// practices for sigmoid self-attention", 2024): every token is gated
// independently, so the weights are in (0, 1) and not normalized. The fixed
// bias b defaults to -log(L), computed at each call from the sequence length
// L: then a head whose scores are all 0 gives a total weight
// L sigmoid(-log L) = L / (L + 1) ~ 1, as softmax would. The parameter
// `bias = <number>` replaces that default by a constant. b is not learned.
//
// Backward, analytic: dA/ds = A (1 - A), so dL/ds = A (1 - A) g with g = dL/dA
// (0 on masked heads).
//
// Numerics: sigmoid is evaluated as 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x)
// for x < 0, so that exp never overflows (scores of +-1e3 are fine), and 1 - A
// is evaluated as sigmoid(-x) rather than by subtraction, which would lose all
// its digits once A rounds to 1.
#include <attnlab/sdk.hpp>

#include <cmath>
#include <cstdint>
#include <optional>

namespace {

double sigmoid(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

class Sigmoid {
 public:
  // `attnlab check-plugin sigmoid --params 'bias = -2'`, or
  // [activation_params.sigmoid] bias = -2 in a comparison config.
  explicit Sigmoid(const attnlab::Params& params) {
    if (params.has("bias")) bias_ = params.number("bias");
  }

  // One sample: `scores` and `weights` are H x L matrices.
  void forward(attnlab::ConstMatrixMap scores, const attnlab::HeadMask& mask, attnlab::MatrixMap weights) const {
    const double b = bias(scores.cols());
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();  // a masked (pruned) head contributes nothing
        continue;
      }
      for (Eigen::Index l = 0; l < scores.cols(); ++l) weights(h, l) = sigmoid(scores(h, l) + b);
    }
  }

  void backward(attnlab::ConstMatrixMap scores, attnlab::ConstMatrixMap weights, const attnlab::HeadMask& mask,
                attnlab::ConstMatrixMap grad_weights, attnlab::MatrixMap grad_scores,
                attnlab::VectorMap /*grad_parameters*/) const {
    const double b = bias(scores.cols());
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        grad_scores.row(h).setZero();
        continue;
      }
      for (Eigen::Index l = 0; l < scores.cols(); ++l) {
        const double a = weights(h, l);
        const double one_minus_a = sigmoid(-(scores(h, l) + b));
        grad_scores(h, l) = a * one_minus_a * grad_weights(h, l);
      }
    }
  }

 private:
  double bias(Eigen::Index length) const { return bias_ ? *bias_ : -std::log(static_cast<double>(length)); }

  std::optional<double> bias_;  // empty: -log(L)
};

}  // namespace

// Defines the library's C entry point; the id is what `attnlab` commands use.
ATTNLAB_ACTIVATION_PLUGIN(Sigmoid, {.id = "sigmoid",
                                    .name = "Sigmoid attention",
                                    .version = "1.0.0",
                                    .description = "elementwise sigmoid(s + b), b = -log(L) unless the parameter "
                                                   "bias is given; not normalized",
                                    .normalization = attnlab::Normalization::None})
