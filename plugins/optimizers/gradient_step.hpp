// Pieces shared by the built-in optimizers: the learning-rate setting and the
// plain gradient step.
//
// The host passes gradients of the batch *sum* of per-sample losses. With the
// per-dimension scale, lr = eta / D, each sample moves the parameters by
// O(eta / D), so that time t = samples / D is comparable across D.
#pragma once

#include <attnlab/sdk.hpp>

#include <cstdio>
#include <span>
#include <string>

namespace attnlab::builtin {

inline std::string show_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

// Number of doubles in a parameter group.
inline Eigen::Index group_size(const attnlab_parameter_group& group) {
  return static_cast<Eigen::Index>(group.vectors) * group.length;
}

class LearningRate {
 public:
  // Reads eta and lr_scale = per-dimension | none.
  LearningRate(const Params& params, double default_eta, bool default_per_dimension)
      : eta_(params.number("eta", default_eta)) {
    if (!(eta_ > 0)) throw ParamError("eta = " + show_number(eta_) + " must be positive");
    const std::string scale = params.text("lr_scale", default_per_dimension ? "per-dimension" : "none");
    if (scale != "per-dimension" && scale != "none") {
      throw ParamError("lr_scale = '" + scale + "' is not one of: per-dimension, none");
    }
    per_dimension_ = scale == "per-dimension";
  }

  // The step size for this step: eta / D or eta.
  double at(const attnlab_step_info& info) const {
    if (!per_dimension_) return eta_;
    if (info.dimension == 0) throw ParamError("lr_scale = per-dimension needs the dimension D, but the step has D = 0");
    return eta_ / static_cast<double>(info.dimension);
  }

 private:
  double eta_;
  bool per_dimension_ = true;
};

// theta -= rate * g for every group.
inline void gradient_step(double rate, std::span<attnlab_parameter_group> groups) {
  for (const attnlab_parameter_group& group : groups) {
    const Eigen::Index n = group_size(group);
    VectorMap(group.values, n) -= rate * ConstVectorMap(group.gradients, n);
  }
}

}  // namespace attnlab::builtin
