// Conformance checks for data-model plugins (`attnlab check-plugin`).
//
// The first checks call the plugin's table directly, with guard regions
// around every buffer, so that a plugin writing out of bounds is caught
// before the host wrapper (which hands it exact-size buffers) is used for the
// rest. Each check reports the worst deviation it found next to its bound.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/checks/check_result.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct DataModelCheckOptions {
  std::string params;             // parameter text for the instances
  std::uint64_t seed = 20260303;  // host random streams handed to the plugin
  std::uint32_t batch = 64;       // samples per batch in shapes, finiteness, determinism
  // DESIGN.md §2 convention: orthogonal keys, |k_f|^2 = |v|^2 = D, v orthogonal
  // to every k_f; deviations are relative to D.
  double teacher_tolerance = 1e-9;
  // The statistical checks sample fewer examples for large L x D: at most
  // this many token doubles each, unless that is below their minimum count.
  std::size_t token_budget = 20'000'000;
  // Token statistics: token projections on random directions outside the
  // teacher span must have mean 0 and variance 1 within this many standard errors.
  std::size_t statistics_tokens = 20000;
  std::size_t statistics_min_tokens = 1000;
  std::uint32_t statistics_directions = 8;
  double statistics_z_bound = 6.0;
  // Bayes consistency: the squared error of bayes_prediction on sampled
  // examples against the mean of bayes_risk_samples.
  std::size_t bayes_examples = 20000;
  std::size_t bayes_min_examples = 2000;
  std::size_t bayes_risk_samples = 100000;
  double bayes_z_bound = 4.0;
  // High-dimensional limit: as many limit_sample draws as sample() draws at
  // the plugin's D; each teacher-field and label statistic must agree within
  // this many standard errors of the difference.
  std::size_t limit_samples = 4000;
  std::size_t limit_min_samples = 1000;
  double limit_z_bound = 5.0;
  // Sample calls of the long-run check.
  std::uint32_t long_run_calls = 2000;
  // Each check runs in a child process of its own; one that has not answered
  // in this time fails as hung.
  double check_timeout_seconds = 60.0;
};

// Every check, in order: dimensions, shapes, finiteness, determinism, teacher
// directions, token statistics, bayes consistency when the plugin has the
// bayes-prediction capability, high-dimensional limit when it provides
// limit_sample, and long run. A crash or hang fails the check it happened in,
// and the others still run. A plugin that cannot be made gets
// a single failed "create" result. Throws UsageError when `plugin` is not a
// data model.
std::vector<CheckResult> check_data_model(const std::shared_ptr<const PluginLibrary>& plugin,
                                          const DataModelCheckOptions& options);

// D, L and F of an instance made from `params`, or nothing when the plugin
// refuses the parameters or its dims call fails (the checks then say why).
// Calls only create, dims and destroy, in a child process that is killed
// after `timeout_seconds`.
std::optional<attnlab_data_dims> probe_data_dims(const PluginLibrary& plugin, const std::string& params,
                                                 double timeout_seconds = 60.0);

}  // namespace attnlab
