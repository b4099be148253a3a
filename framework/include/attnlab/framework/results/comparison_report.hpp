// What a comparison writes as text: metrics records, the summary CSV and the
// printed table, all from the comparison's log points (its figures:
// comparison_figures.hpp).
#pragma once

#include <attnlab/framework/training/comparison.hpp>

#include <string>
#include <vector>

namespace attnlab {

// One JSON line per model for this log point (no wall times, so that the
// same seed gives byte-identical files).
std::string metrics_lines(const LogPoint& point, const std::optional<BayesRiskEstimate>& bayes_risk);

// Final results per activation, read back from metrics.jsonl text.
struct FinalResult {
  std::string activation;
  double test_mse = 0.0;  // NaN when the model stopped before any evaluation
  double time = 0.0;      // t of that evaluation
  bool stopped = false;
  std::uint64_t stopped_step = 0;
  std::string reason;
};
std::vector<FinalResult> final_results(const std::string& metrics_jsonl);

std::string summary_csv(const std::vector<FinalResult>& results, const std::vector<ModelStatus>& statuses,
                        const std::optional<BayesRiskEstimate>& bayes_risk);
std::string summary_table(const std::vector<FinalResult>& results, const std::vector<ModelStatus>& statuses,
                          const std::optional<BayesRiskEstimate>& bayes_risk);

}  // namespace attnlab
