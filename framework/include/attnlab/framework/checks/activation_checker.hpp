// Conformance checks for activation plugins (`attnlab check-plugin`).
//
// Each check exercises the plugin through the same host wrapper training
// uses, and reports the worst deviation it found next to the bound it used,
// so a failure says by how much, not only that.
#pragma once

#include <attnlab/framework/checks/check_result.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace attnlab {

struct ActivationCheckOptions {
  std::string params;             // parameter text for the instance
  std::uint64_t seed = 20260303;  // random scores and gradients
  double finite_difference_step = 1e-5;
  double gradient_tolerance = 1e-6;  // max relative error of backward vs central differences
  double normalization_tolerance = 1e-10;
  double mask_tolerance = 1e-12;  // masked vs reduced problem, absolute
  // Forward and backward calls of the long-run check, each on its own random
  // shape, scale and head mask, the learnable parameters moved between calls.
  std::uint32_t long_run_calls = 2000;
  // Each check runs in a child process of its own; one that has not answered
  // in this time fails as hung.
  double check_timeout_seconds = 60.0;
};

// Every check, in order: shapes, extreme-scores, normalization, head-mask,
// backward, backward-parameters (with learnable parameters), determinism,
// long run. A crash or hang fails the check it happened in, and the others
// still run. A plugin that cannot be made gets a single failed "create"
// result. Throws UsageError when `plugin` is not an activation.
std::vector<CheckResult> check_activation(const std::shared_ptr<const PluginLibrary>& plugin,
                                          const ActivationCheckOptions& options);

}  // namespace attnlab
