// `attnlab compare --seeds N`: the per-seed summaries folded into one table
// of means and standard errors across seeds.
#pragma once

#include <attnlab/framework/analysis/seed_statistics.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace attnlab {

struct SeedSummaryRow {
  std::string activation;
  MeanAndError test_mse;    // over the seeds where the model finished
  MeanAndError excess;      // test MSE - Bayes risk, per seed
  std::size_t stopped = 0;  // seeds where it diverged or failed
};

struct SeedSummary {
  std::size_t seeds = 0;
  MeanAndError bayes_risk;
  std::vector<SeedSummaryRow> rows;  // in the order of the first seed's summary
};

// From the summary.csv text of each seed's comparison (as written by
// summary_csv). Throws UsageError naming `sources[i]` for a malformed one.
SeedSummary summarize_seeds(const std::vector<std::string>& summary_csvs, const std::vector<std::string>& sources);

std::string seed_summary_table(const SeedSummary& summary);
std::string seed_summary_csv(const SeedSummary& summary);

}  // namespace attnlab
