#include "commands.hpp"

#include <attnlab/framework/checks/activation_checker.hpp>
#include <attnlab/framework/checks/activation_cost.hpp>
#include <attnlab/framework/checks/data_model_checker.hpp>
#include <attnlab/framework/checks/optimizer_checker.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

namespace attnlab::cli {
namespace {

// A measurement, not a check, unless it fails: it runs many more calls than
// the checks, in a child process, so a plugin that crashes, hangs, throws or
// returns a non-finite value there fails here.
std::optional<CheckResult> print_activation_cost(const std::shared_ptr<const PluginLibrary>& plugin,
                                                 const CheckPluginOptions& options) {
  const ScoreShape shape{64, 4, 16};
  const IsolatedActivationCost measured =
      measure_activation_cost_isolated(plugin, options.params, shape, options.seed, options.check_timeout_seconds);
  if (!measured.cost) {
    fmt::print("  cost per sample: not measured ({})\n", measured.failure);
    return CheckResult{"cost measurement", false, measured.failure};
  }
  const ActivationCost& cost = *measured.cost;
  fmt::print(
      "  cost per sample (batch {}, H = {}, L = {}): forward {:.3g} us, backward {:.3g} us ({} backward, {:.3g} x "
      "the forward)\n",
      shape.batch, shape.heads, shape.length, cost.forward_microseconds, cost.backward_microseconds,
      cost.derived_backward ? "derived" : "analytic", cost.backward_to_forward());
  return std::nullopt;
}

std::vector<CheckResult> check_activation_plugin(const std::shared_ptr<const PluginLibrary>& plugin,
                                                 const CheckPluginOptions& options) {
  const auto& table = plugin->table<attnlab_activation_table>();
  fmt::print("  normalization: {}; backward: {}\n", normalization_name(table.normalization),
             (plugin->capabilities() & ATTNLAB_CAP_DERIVED_BACKWARD) != 0
                 ? "derived (reverse mode, from the templated forward)"
                 : "analytic");
  ActivationCheckOptions check_options;
  check_options.params = options.params;
  check_options.seed = options.seed;
  check_options.check_timeout_seconds = options.check_timeout_seconds;
  auto results = check_activation(plugin, check_options);
  // A plugin that cannot be made has nothing to measure.
  if (results.size() == 1 && results[0].name == "create") return results;
  if (auto failure = print_activation_cost(plugin, options)) results.push_back(std::move(*failure));
  return results;
}

std::vector<CheckResult> check_data_model_plugin(const std::shared_ptr<const PluginLibrary>& plugin,
                                                 const CheckPluginOptions& options) {
  const bool bayes = (plugin->capabilities() & ATTNLAB_CAP_BAYES_PREDICTION) != 0;
  // Dimensions need an instance; if none can be made, the checks say why.
  const auto dims = probe_data_dims(*plugin, options.params, options.check_timeout_seconds);
  fmt::print("  {}; Bayes prediction and risk: {}; high-dimensional limit: {}\n",
             dims ? fmt::format("D = {}, L = {}, F = {}", dims->dimension, dims->length, dims->features)
                  : std::string("dimensions unavailable"),
             bayes ? "yes" : "no", provides_limit(*plugin) ? "yes" : "no");
  DataModelCheckOptions check_options;
  check_options.params = options.params;
  check_options.seed = options.seed;
  check_options.check_timeout_seconds = options.check_timeout_seconds;
  return check_data_model(plugin, check_options);
}

std::vector<CheckResult> check_optimizer_plugin(const std::shared_ptr<const PluginLibrary>& plugin,
                                                const CheckPluginOptions& options) {
  const std::uint32_t constraint = plugin->table<attnlab_optimizer_table>().constraint;
  fmt::print("  constraint: {}\n", constraint == ATTNLAB_CONSTRAINT_SPHERE
                                       ? "sphere (each key and value vector keeps its norm)"
                                       : std::string(constraint_name(constraint)));
  OptimizerCheckOptions check_options;
  check_options.params = options.params;
  check_options.seed = options.seed;
  check_options.check_timeout_seconds = options.check_timeout_seconds;
  return check_optimizer(plugin, check_options);
}

}  // namespace

int run_check_plugin(PluginEnvironment& environment, const CheckPluginOptions& options) {
  // Unrelated broken files on the search path do not stop the check.
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  const auto plugin = environment.registry.resolve(options.target);
  fmt::print("checking {} {} {} ({})\n", to_string(plugin->kind()), plugin->id(), plugin->version(),
             plugin->path().string());

  std::vector<CheckResult> results;
  switch (plugin->kind()) {
    case PluginKind::Activation:
      results = check_activation_plugin(plugin, options);
      break;
    case PluginKind::DataModel:
      results = check_data_model_plugin(plugin, options);
      break;
    case PluginKind::Optimizer:
      results = check_optimizer_plugin(plugin, options);
      break;
  }
  std::size_t width = 20;
  for (const CheckResult& result : results) width = std::max(width, result.name.size());
  int failed = 0;
  int passed = 0;
  for (const CheckResult& result : results) {
    fmt::print("  {}  {:<{}} {}\n", result.passed ? "PASS" : "FAIL", result.name, width, result.detail);
    (result.passed ? passed : failed) += 1;
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace attnlab::cli
