// Pieces shared by the built-in optimizers: the learning-rate setting and the
// plain gradient step.
//
// The host passes gradients of the batch *sum* of per-sample losses. With the
// per-dimension scale, lr = eta / D, each sample moves the parameters by
// O(eta / D), so that time t = samples / D is comparable across D.
#pragma once

#include <attnlab/sdk.hpp>

#include <cstdint>
#include <cstdio>
#include <span>
#include <stdexcept>
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
      : LearningRate(params, "", default_eta, default_per_dimension) {}

  // Reads <prefix>eta and <prefix>lr_scale, e.g. bias_eta and bias_lr_scale.
  LearningRate(const Params& params, const std::string& prefix, double default_eta, bool default_per_dimension)
      : prefix_(prefix), eta_(params.number(prefix + "eta", default_eta)) {
    if (!(eta_ > 0)) throw ParamError(prefix_ + "eta = " + show_number(eta_) + " must be positive");
    const std::string scale = params.text(prefix_ + "lr_scale", default_per_dimension ? "per-dimension" : "none");
    if (scale != "per-dimension" && scale != "none") {
      throw ParamError(prefix_ + "lr_scale = '" + scale + "' is not one of: per-dimension, none");
    }
    per_dimension_ = scale == "per-dimension";
  }

  double eta() const { return eta_; }
  bool per_dimension() const { return per_dimension_; }

  // The step size for this step: eta / D or eta.
  double at(const attnlab_step_info& info) const {
    if (!per_dimension_) return eta_;
    if (info.dimension == 0) {
      throw ParamError(prefix_ + "lr_scale = per-dimension needs the dimension D, but the step has D = 0");
    }
    return eta_ / static_cast<double>(info.dimension);
  }

 private:
  std::string prefix_;
  double eta_;
  bool per_dimension_ = true;
};

// One learning rate per group role. Keys and values take eta and lr_scale;
// biases and activation parameters take bias_* and activation_* (defaulting
// to the same), since as O(1) numbers they have a D -> infinity limit in
// t = samples / D only with steps of O(1 / D). One schedule (lr_schedule.hpp)
// multiplies all three.
class GroupRates {
 public:
  GroupRates(const Params& params, double default_eta, bool default_per_dimension)
      : weights_(params, default_eta, default_per_dimension),
        biases_(params, "bias_", weights_.eta(), weights_.per_dimension()),
        activation_(params, "activation_", weights_.eta(), weights_.per_dimension()),
        schedule_(LrSchedule::read(params)) {}

  // The step sizes of this step, by role.
  struct Steps {
    double weights, biases, activation;

    double of(std::uint32_t role) const {
      switch (role) {
        case ATTNLAB_GROUP_KEYS:
        case ATTNLAB_GROUP_VALUES:
          return weights;
        case ATTNLAB_GROUP_BIASES:
          return biases;
        case ATTNLAB_GROUP_ACTIVATION:
          return activation;
        default:
          throw std::invalid_argument("parameter group role " + std::to_string(role) +
                                      " is not one of: keys, values, biases, activation");
      }
    }
  };

  Steps at(const attnlab_step_info& info) const {
    const double s = schedule_.factor(info);
    return {s * weights_.at(info), s * biases_.at(info), s * activation_.at(info)};
  }

 private:
  LearningRate weights_;
  LearningRate biases_;
  LearningRate activation_;
  LrSchedule schedule_;
};

// theta -= rate(role) * g for every group. Every rate and role is checked
// before the first group moves, so a refused step changes nothing.
inline void gradient_step(const GroupRates& rates, const attnlab_step_info& info,
                          std::span<attnlab_parameter_group> groups) {
  const GroupRates::Steps steps = rates.at(info);
  for (const attnlab_parameter_group& group : groups) steps.of(group.role);
  for (const attnlab_parameter_group& group : groups) {
    const Eigen::Index n = group_size(group);
    VectorMap(group.values, n) -= steps.of(group.role) * ConstVectorMap(group.gradients, n);
  }
}

}  // namespace attnlab::builtin
