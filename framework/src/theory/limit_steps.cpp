#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/theory/limit_steps.hpp>
#include <attnlab/sdk/params.hpp>

#include <string>

namespace attnlab {
namespace {

// The learning rate of one parameter group: eta per sample or eta / D.
struct GroupStep {
  double eta = 0.0;
  bool per_dimension = false;
};

GroupStep read_step(const Params& params, const std::string& prefix, const GroupStep& fallback) {
  GroupStep step = fallback;
  step.eta = params.number(prefix + "eta", fallback.eta);
  if (params.has(prefix + "lr_scale")) step.per_dimension = params.text(prefix + "lr_scale") == "per-dimension";
  return step;
}

}  // namespace

LimitSteps limit_steps(const CompareConfig& config, bool has_activation_parameters) {
  const std::string& optimizer = config.optimizer;
  if (optimizer == "adam") {
    throw UsageError(
        "train.optimizer = 'adam' has no high-dimensional limit here: Adam divides each coordinate's step by that "
        "coordinate's running gradient size, so the overlaps' change is not a function of the overlaps alone; use "
        "sgd or sgd-sphere");
  }
  if (optimizer != "sgd" && optimizer != "sgd-sphere") {
    throw UsageError("train.optimizer = '" + optimizer +
                     "': the high-dimensional limit knows the drift of sgd and sgd-sphere only");
  }
  Params params;
  try {
    params = Params::parse(config.optimizer_params);
  } catch (const ParamError& e) {
    throw UsageError("train.optimizer_params: " + std::string(e.what()));
  }
  // The plugins' own defaults (gradient_step.hpp): eta = 1, per-dimension;
  // biases and activation parameters follow the keys unless set.
  const GroupStep keys = read_step(params, "", {1.0, true});
  const GroupStep biases = read_step(params, "bias_", keys);
  const GroupStep activation = read_step(params, "activation_", keys);

  if (keys.per_dimension) {
    throw UsageError(
        "train.optimizer_params.lr_scale = \"per-dimension\" moves keys and values O(1/D^2) per sample, so in t = "
        "samples / D the limit stands still; the limit needs lr_scale = \"none\" (a step eta per sample)");
  }
  if (config.trainable_bias && !biases.per_dimension) {
    throw UsageError(
        "model.bias = true with a bias step of bias_eta per sample moves the biases D times faster than the "
        "overlaps, so there is no high-dimensional limit; set train.optimizer_params.bias_lr_scale = "
        "\"per-dimension\" (a step bias_eta / D) or model.bias = false");
  }
  if (has_activation_parameters && !activation.per_dimension) {
    throw UsageError(
        "the activation's learnable parameters with a step of activation_eta per sample move D times faster than "
        "the overlaps, so there is no high-dimensional limit; set train.optimizer_params.activation_lr_scale = "
        "\"per-dimension\" (a step activation_eta / D)");
  }
  return {keys.eta, config.trainable_bias ? biases.eta : 0.0, has_activation_parameters ? activation.eta : 0.0,
          optimizer == "sgd-sphere"};
}

LrSchedule limit_schedule(const CompareConfig& config) {
  try {
    return LrSchedule::read(Params::parse(config.optimizer_params));
  } catch (const ParamError& e) {
    throw UsageError("train.optimizer_params: " + std::string(e.what()));
  }
}

}  // namespace attnlab
