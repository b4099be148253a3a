#include "commands.hpp"

#include <attnlab/framework/activation_checker.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace attnlab::cli {
namespace {

const char* normalization_name(std::uint32_t normalization) {
  switch (normalization) {
    case ATTNLAB_NORM_PER_HEAD_SUM_ONE:
      return "per-head sum 1";
    case ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE:
      return "per-head sum <= 1";
    case ATTNLAB_NORM_JOINT_SUM_ONE:
      return "joint sum 1 over heads and tokens";
    default:
      return "none";
  }
}

}  // namespace

int run_check_plugin(PluginEnvironment& environment, const CheckPluginOptions& options) {
  // Unrelated broken files on the search path do not stop the check.
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  const auto plugin = environment.registry.resolve(options.target, PluginKind::Activation);
  const auto& table = plugin->table<attnlab_activation_table>();
  fmt::print("checking {} {} {} ({})\n", to_string(plugin->kind()), plugin->id(), plugin->version(),
             plugin->path().string());
  fmt::print("  normalization: {}; backward: {}\n", normalization_name(table.normalization),
             (plugin->capabilities() & ATTNLAB_CAP_DERIVED_BACKWARD) != 0 ? "derived (forward-mode dual numbers)"
                                                                          : "analytic");

  ActivationCheckOptions check_options;
  check_options.params = options.params;
  check_options.seed = options.seed;
  int failed = 0;
  int passed = 0;
  for (const CheckResult& result : check_activation(plugin, check_options)) {
    fmt::print("  {}  {:<20} {}\n", result.passed ? "PASS" : "FAIL", result.name, result.detail);
    (result.passed ? passed : failed) += 1;
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace attnlab::cli
