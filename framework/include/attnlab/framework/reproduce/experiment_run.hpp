// One comparison's log points as traces, read back from its results folder:
// the unit the `attnlab reproduce` experiments' analyses are built from.
#pragma once

#include <attnlab/framework/analysis/specialization.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <Eigen/Core>

#include <cmath>
#include <filesystem>
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
  std::filesystem::path results;   // the comparison's results folder (its checkpoints/ hold the final models)

  const ModelTrace& model(const std::string& activation) const;
};

// Reads a finished comparison's results folder: metrics.jsonl (every log
// point; a stopped model's values are NaN from its stop on) and summary.csv
// (the Bayes risk). Throws UsageError naming the file when one is missing or
// malformed.
ExperimentRun load_experiment_run(const CompareConfig& config, const std::filesystem::path& results);

}  // namespace attnlab
