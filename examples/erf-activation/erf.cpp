// erf: A[h,l] = 1 + erf(c + s[h,l]) elementwise, with a learnable offset c.
//
// One of the activations of the single-location literature (Marion et al.,
// ICLR 2025): a smooth, bounded, non-negative gate in (0, 2) that is not
// normalized over tokens. The offset c moves the gate's threshold and is
// trained along with the keys and values.
//
// This file only writes the forward pass, as a template over the scalar type
// T. The SDK instantiates it with T = double for the forward and with a
// recording scalar (attnlab/sdk/tape.hpp) to derive an exact backward, both for the
// scores and for the learnable parameter c. No derivative is written here.
#include <attnlab/sdk.hpp>

#include <cstdint>
#include <span>

namespace {

class Erf {
 public:
  // Parameters come from the comparison config ([activation_params.erf]) or
  // from `attnlab check-plugin erf --params 'c = 0.5'`. Unknown keys are
  // rejected by the SDK.
  explicit Erf(const attnlab::Params& params) : c_(params.number("c", 0.0)) {}

  // One sample: `scores` and `weights` are H x L matrices; `parameters` is
  // the learnable parameters (here just c) in the same scalar type T, so that
  // the SDK can differentiate with respect to them too.
  template <class T>
  void forward(attnlab::Scores<T> scores, const attnlab::HeadMask& mask, attnlab::Weights<T> weights,
               std::span<const T> parameters) const {
    using namespace attnlab::math;  // erf for doubles and for the recording scalar alike
    const T& c = parameters[0];
    for (Eigen::Index h = 0; h < scores.rows(); ++h) {
      if (!mask.active(static_cast<std::uint32_t>(h))) {
        weights.row(h).setZero();  // a masked (pruned) head contributes nothing
        continue;
      }
      for (Eigen::Index l = 0; l < scores.cols(); ++l) weights(h, l) = 1.0 + erf(c + scores(h, l));
    }
  }

  // The storage of the learnable parameters: the host reads, trains and
  // writes c through this span.
  std::span<double> parameters() { return {&c_, 1}; }

 private:
  double c_;
};

}  // namespace

// Defines the library's C entry point; the id is what `attnlab` commands use.
ATTNLAB_ACTIVATION_PLUGIN(Erf, {.id = "erf",
                                .name = "Erf gate",
                                .version = "1.0.0",
                                .description = "elementwise 1 + erf(c + s), c learnable; backward derived from "
                                               "the forward",
                                .normalization = attnlab::Normalization::None})
