// Conformance checks for optimizer plugins (`attnlab check-plugin`).
//
// The checks step the optimizer on the parameter groups of a realistic
// learner (keys and values H x D, biases, activation parameters) with the
// gradient of a convex quadratic, and report the worst deviation found next
// to its bound. The first check calls the plugin's table directly with guard
// regions around every buffer; the rest use the host wrapper training uses.
#pragma once

#include <attnlab/framework/checks/check_result.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnlab {

struct OptimizerCheckOptions {
  std::string params;             // parameter text for the instances
  std::uint64_t seed = 20260303;  // starting points and quadratics
  // The parameter groups: keys and values heads x dimension, biases 1 x heads,
  // activation parameters 1 x activation_parameters (omitted when 0).
  std::uint32_t heads = 3;
  std::uint32_t dimension = 40;  // also step_info.dimension (D of eta / D)
  std::uint32_t activation_parameters = 2;
  // Loss 0.5 sum_i a_i (x_i - c_i)^2, a_i uniform in [0.5, 2]: mild enough
  // that the built-ins' default step sizes descend, steep enough that a
  // step against the gradient cannot.
  std::uint32_t descent_steps = 50;
  std::uint32_t steps = 10;               // for determinism and constraints
  double max_state_per_parameter = 1024;  // state_size sanity bound
  double sphere_tolerance = 1e-12;        // relative change of a constrained norm
  std::uint32_t long_run_calls = 2000;    // steps of the long-run check
  // Each check runs in a child process of its own; one that has not answered
  // in this time fails as hung.
  double check_timeout_seconds = 60.0;
};

// Every check, in order: state size, descent on a quadratic, zero gradient,
// determinism, constraints, long run. A crash or hang fails the check it
// happened in, and the others still run. A plugin that cannot be made gets a
// single failed "create" result. Throws UsageError when `plugin` is not an
// optimizer.
std::vector<CheckResult> check_optimizer(const std::shared_ptr<const PluginLibrary>& plugin,
                                         const OptimizerCheckOptions& options);

}  // namespace attnlab
