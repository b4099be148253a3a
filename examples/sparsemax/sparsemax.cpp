// sparsemax: per head, the Euclidean projection of the scores onto the
// probability simplex (Martins & Astudillo, ICML 2016):
//
//   A[h,.] = argmin_{p >= 0, sum p = 1} |p - s[h,.]|^2 = max(s[h,l] - tau_h, 0)
//
// where the threshold tau_h makes the row sum to one. Unlike softmax it gives
// exactly zero weight to tokens whose score is more than tau below the top,
// so a head can attend to a single token or to a few.
//
// Threshold (the paper's Algorithm 1): sort the scores z_(1) >= ... >= z_(L);
// the support size is k = max{ k : 1 + k z_(k) > z_(1) + ... + z_(k) }, and
// tau = (z_(1) + ... + z_(k) - 1) / k.
//
// Backward, analytic: on the support S = {l : A_l > 0} the map is
// s -> s - tau(s) with tau = (sum_S s - 1) / |S|, so its Jacobian is
// I - 1 1^T / |S| on S and 0 elsewhere; being symmetric,
//   dL/ds_l = g_l - mean_{l' in S} g_l'   for l in S,   0 off the support,
// with g = dL/dA. (At the measure-zero boundary where a score equals tau the
// map has a kink; this is the usual one-sided choice.)
#include <attnlab/sdk.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

namespace {

class Sparsemax {
 public:
  // One sample: `scores` and `weights` are H x L matrices.
  void forward(attnlab::ConstMatrixMap scores, const attnlab::HeadMask& mask, attnlab::MatrixMap weights) {
    const Eigen::Index length = scores.cols();
    sorted_.resize(static_cast<std::size_t>(length));  // grows once per length: no allocation when training
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();  // a masked (pruned) head contributes nothing
        continue;
      }
      std::copy(scores.row(h).begin(), scores.row(h).end(), sorted_.begin());
      std::sort(sorted_.begin(), sorted_.end(), std::greater<>());
      // The condition holds for k = 1 and for a prefix of k's: keep the last.
      double cumulative = 0.0;
      double support_sum = 0.0;
      Eigen::Index support = 0;
      for (Eigen::Index k = 1; k <= length; ++k) {
        const double z = sorted_[static_cast<std::size_t>(k - 1)];
        cumulative += z;
        if (1.0 + static_cast<double>(k) * z > cumulative) {
          support = k;
          support_sum = cumulative;
        }
      }
      const double tau = (support_sum - 1.0) / static_cast<double>(support);
      weights.row(h) = (scores.row(h).array() - tau).max(0.0).matrix();
    }
  }

  void backward(attnlab::ConstMatrixMap /*scores*/, attnlab::ConstMatrixMap weights, const attnlab::HeadMask& mask,
                attnlab::ConstMatrixMap grad_weights, attnlab::MatrixMap grad_scores,
                attnlab::VectorMap /*grad_parameters*/) {
    for (Eigen::Index h = 0; h < weights.rows(); ++h) {
      grad_scores.row(h).setZero();
      if (!mask.active(static_cast<std::uint32_t>(h))) continue;
      // Mean of the upstream gradient over the support (never empty: the
      // largest score always has positive weight).
      double sum = 0.0;
      Eigen::Index support = 0;
      for (Eigen::Index l = 0; l < weights.cols(); ++l) {
        if (weights(h, l) > 0.0) {
          sum += grad_weights(h, l);
          ++support;
        }
      }
      if (support == 0) continue;
      const double mean = sum / static_cast<double>(support);
      for (Eigen::Index l = 0; l < weights.cols(); ++l) {
        if (weights(h, l) > 0.0) grad_scores(h, l) = grad_weights(h, l) - mean;
      }
    }
  }

 private:
  std::vector<double> sorted_;  // scratch: one head's scores, sorted
};

}  // namespace

// Defines the library's C entry point; the id is what `attnlab` commands use.
ATTNLAB_ACTIVATION_PLUGIN(Sparsemax, {.id = "sparsemax",
                                      .name = "Sparsemax",
                                      .version = "1.0.0",
                                      .description = "per-head Euclidean projection of the scores onto the simplex "
                                                     "(Martins & Astudillo 2016); sparse weights, analytic backward",
                                      .normalization = attnlab::Normalization::PerHeadSumOne})
