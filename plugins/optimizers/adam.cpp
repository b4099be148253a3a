// adam: bias-corrected Adam (Kingma & Ba) on every parameter group.
//
// State: first moments m, then second moments v, one per parameter, in group
// order. Adam is invariant to the scale of the gradient, so the host's batch
// sums need no rescaling; the step size is eta (lr_scale = none) by default.
#include "gradient_step.hpp"

#include <cmath>

namespace {

using attnlab::builtin::show_number;

double read_beta(const attnlab::Params& params, const std::string& key, double fallback) {
  const double beta = params.number(key, fallback);
  if (!(beta >= 0 && beta < 1)) throw attnlab::ParamError(key + " = " + show_number(beta) + " must be in [0, 1)");
  return beta;
}

class Adam {
 public:
  explicit Adam(const attnlab::Params& params)
      : rate_(params, 1e-3, false),
        beta1_(read_beta(params, "beta1", 0.9)),
        beta2_(read_beta(params, "beta2", 0.999)),
        epsilon_(params.number("epsilon", 1e-8)),
        schedule_(attnlab::LrSchedule::read(params)) {
    if (!(epsilon_ > 0)) throw attnlab::ParamError("epsilon = " + show_number(epsilon_) + " must be positive");
  }

  std::size_t state_size(std::span<const attnlab_parameter_group> groups) const { return 2 * parameters(groups); }

  void step(const attnlab_step_info& info, std::span<attnlab_parameter_group> groups, std::span<double> state) {
    const double t = static_cast<double>(info.step) + 1.0;
    const double rate = schedule_.factor(info) * rate_.at(info);
    const double correction1 = 1.0 - std::pow(beta1_, t);
    const double correction2 = 1.0 - std::pow(beta2_, t);
    const std::size_t total = state.size() / 2;
    std::size_t offset = 0;
    for (const attnlab_parameter_group& group : groups) {
      const Eigen::Index n = attnlab::builtin::group_size(group);
      attnlab::VectorMap theta(group.values, n);
      attnlab::ConstVectorMap g(group.gradients, n);
      attnlab::VectorMap m(state.data() + offset, n);
      attnlab::VectorMap v(state.data() + total + offset, n);
      m = beta1_ * m + (1.0 - beta1_) * g;
      v = beta2_ * v + (1.0 - beta2_) * g.cwiseAbs2();
      theta.array() -= rate * (m.array() / correction1) / ((v.array() / correction2).sqrt() + epsilon_);
      offset += static_cast<std::size_t>(n);
    }
  }

 private:
  static std::size_t parameters(std::span<const attnlab_parameter_group> groups) {
    std::size_t count = 0;
    for (const attnlab_parameter_group& group : groups) {
      count += static_cast<std::size_t>(attnlab::builtin::group_size(group));
    }
    return count;
  }

  attnlab::builtin::LearningRate rate_;
  double beta1_;
  double beta2_;
  double epsilon_;
  attnlab::LrSchedule schedule_;
};

}  // namespace

ATTNLAB_OPTIMIZER_PLUGIN(Adam, {.id = "adam",
                                .name = "Adam",
                                .version = "1.0.0",
                                .description = "bias-corrected Adam; step eta (lr_scale = per-dimension: eta / D), "
                                               "times the schedule (constant, inverse-time, cosine, step)"})
