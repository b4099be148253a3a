// What one sample costs an activation plugin: forward and backward wall time
// per sample on random scores. `attnlab check-plugin` reports it so that an
// author sees what a derived (reverse-mode) backward costs next to a
// hand-written one. A measurement to read, never a pass/fail criterion.
#pragma once

#include <attnlab/framework/hosting/activation.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace attnlab {

struct ActivationCost {
  ScoreShape shape;                   // batch measured per call
  double forward_microseconds = 0.0;  // per sample
  double backward_microseconds = 0.0;
  bool derived_backward = false;  // the SDK derives it from a templated forward

  // What the backward costs in forwards (of the same plugin, same run).
  double backward_to_forward() const { return backward_microseconds / forward_microseconds; }
};

// Times forward and backward on `shape` until each has run for at least
// `min_seconds`; the best of three such rounds is kept (least disturbed by
// other load). Every call's weights and gradients must be finite: a
// non-finite one throws std::runtime_error naming the call.
ActivationCost measure_activation_cost(const std::shared_ptr<const PluginLibrary>& plugin, const std::string& params,
                                       ScoreShape shape, std::uint64_t seed, double min_seconds = 0.02);

// measure_activation_cost in a child process killed after `timeout_seconds`:
// the cost, or why there is none ("crashed (SIGSEGV)", "hung (no answer in
// 60 s)", the plugin's error, a non-finite output).
struct IsolatedActivationCost {
  std::optional<ActivationCost> cost;
  std::string failure;  // when there is no cost
};
IsolatedActivationCost measure_activation_cost_isolated(const std::shared_ptr<const PluginLibrary>& plugin,
                                                        const std::string& params, ScoreShape shape, std::uint64_t seed,
                                                        double timeout_seconds);

}  // namespace attnlab
