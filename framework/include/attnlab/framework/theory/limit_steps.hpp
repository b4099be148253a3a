// The optimizer as the high-dimensional limit sees it: a step per time unit
// for the overlaps, the biases and the activation parameters, whether key
// and value norms are held fixed (sgd-sphere), and the learning-rate
// schedule that multiplies every step.
#pragma once

#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/sdk/lr_schedule.hpp>

namespace attnlab {

struct LimitSteps {
  double eta = 0.0;             // keys and values: eta per sample
  double bias_eta = 0.0;        // biases: bias_eta / D per sample
  double activation_eta = 0.0;  // activation parameters: activation_eta / D per sample
  bool sphere = false;          // each key and value keeps its norm (sgd-sphere)
  bool gradient_flow = false;   // drop the eta^2 (SGD noise) term: the limit eta -> 0 at fixed eta t
};

// Reads train.optimizer and its parameters. Throws UsageError, naming the
// setting and the fix, for an optimizer with no limit here (adam, plugins),
// keys and values on a per-dimension step (frozen in t = samples / D), and
// trained biases or activation parameters on a per-sample step (D times
// faster than the overlaps: no limit).
LimitSteps limit_steps(const CompareConfig& config, bool has_activation_parameters);

// The schedule of train.optimizer_params (the keys the built-in optimizers
// read): every step above times its factor at t. Throws UsageError with the
// optimizer's message for a bad one.
LrSchedule limit_schedule(const CompareConfig& config);

}  // namespace attnlab
