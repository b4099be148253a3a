// One comparison trained in memory, its log points kept as traces: the unit
// the `attnlab reproduce` experiments are built from.
#pragma once

#include <attnlab/framework/analysis/specialization.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>
#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <Eigen/Core>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

// What one model did over training, one entry per log point.
struct ModelTrace {
  std::string activation;
  std::vector<double> test_mse;                 // NaN once stopped
  OverlapTrajectory overlaps;                   // times and m[h,f]
  std::vector<Eigen::VectorXd> value_overlaps;  // r[h]
  std::vector<Eigen::VectorXd> usage;
  bool stopped = false;
  std::string reason;  // why it stopped

  double final_mse() const { return test_mse.empty() ? std::nan("") : test_mse.back(); }
};

struct ExperimentRun {
  CompareConfig config;
  std::optional<BayesRiskEstimate> bayes_risk;
  std::vector<ModelTrace> models;  // in config.activations order

  const ModelTrace& model(const std::string& activation) const;
};

// Trains `config` to the end; `before_training` sees the fresh comparison
// (e.g. to warm-start its models) before the first step and log point,
// `after_training` the trained one (e.g. to prune its models) before it is
// destroyed.
ExperimentRun run_experiment(const CompareConfig& config, PluginRegistry& registry,
                             const std::function<void(Comparison&)>& after_training = {},
                             const std::function<void(Comparison&)>& before_training = {});

}  // namespace attnlab
