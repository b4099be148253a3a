// normalized-softplus: per head, A[h,l] = softplus(s[h,l]) / sum_l' softplus(s[h,l']).
//
// A softmax-like normalization with a softer, polynomial rather than
// exponential, response to large scores: for s >> 0 softplus(s) ~ s, so the
// weights grow linearly with the score; for s << 0 softplus(s) ~ exp(s), so a
// head whose scores are all very negative behaves like a softmax.
//
// Written forward-only: the forward is a template over the scalar type T and
// the SDK derives the backward by reverse mode (attnlab/sdk/tape.hpp).
//
// Numerics. softplus(x) = log(1 + e^x) is computed as
//   log1p(exp(-|x|)) + max(x, 0),
// which never overflows. It does underflow to 0 for x below about -745, so a
// head whose scores are all that negative would give 0 / 0. The division is
// therefore done in the log domain, like a stable softmax:
//   A_l = exp(g_l - M) / sum_l' exp(g_l' - M),  g_l = log softplus(s_l),  M = max_l g_l,
// with g(x) evaluated directly for x > -30 and as x - exp(x) / 2 below (the
// expansion log(log1p(u)) = log(u) - u/2 + O(u^2), u = e^x <= 1e-13, exact to
// double precision there).
#include <attnlab/sdk.hpp>

#include <cstdint>

namespace {

// log(softplus(x)) for every finite x, for doubles and the recording scalar alike.
template <class T>
T log_softplus(const T& x) {
  using namespace attnlab::math;
  // value() reads the number without its derivative: fine for choosing a
  // branch, as each branch is differentiated on its own.
  if (value(x) > -30.0) return log(log1p(exp(-abs(x))) + max(x, 0.0));
  return x - 0.5 * exp(x);
}

class NormalizedSoftplus {
 public:
  // One sample: `scores` and `weights` are H x L matrices.
  template <class T>
  void forward(attnlab::Scores<T> scores, const attnlab::HeadMask& mask, attnlab::Weights<T> weights) const {
    using namespace attnlab::math;
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();  // a masked (pruned) head contributes nothing
        continue;
      }
      // weights(h, .) first holds g_l = log softplus(s_l), then the result.
      for (Eigen::Index l = 0; l < scores.cols(); ++l) weights(h, l) = log_softplus(scores(h, l));
      T top = weights(h, 0);
      for (Eigen::Index l = 1; l < scores.cols(); ++l) top = max(top, weights(h, l));
      T total(0.0);
      for (Eigen::Index l = 0; l < scores.cols(); ++l) {
        weights(h, l) = exp(weights(h, l) - top);
        total += weights(h, l);
      }
      weights.row(h) /= total;  // total >= 1: the largest term is exp(0)
    }
  }
};

}  // namespace

// Defines the library's C entry point; the id is what `attnlab` commands use.
ATTNLAB_ACTIVATION_PLUGIN(NormalizedSoftplus,
                          {.id = "normalized-softplus",
                           .name = "Normalized softplus",
                           .version = "1.0.0",
                           .description = "softplus(s) / sum softplus(s) per head; backward derived from the forward",
                           .normalization = attnlab::Normalization::PerHeadSumOne})
