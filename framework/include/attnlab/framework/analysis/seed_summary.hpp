// `attnlab compare --seeds N`: the per-seed summaries folded into one table
// of means and standard errors across seeds, and the differences between
// activations as paired differences: every seed trains all activations on
// the same data from the same initial parameters, so the seed's own luck
// cancels in a per-seed difference and its standard error is the one that
// says whether two activations differ.
#pragma once

#include <attnlab/framework/analysis/seed_statistics.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace attnlab {

struct SeedSummaryRow {
  std::string activation;
  MeanAndError test_mse;         // over the seeds where the model finished
  MeanAndError excess;           // test MSE - Bayes risk, per seed
  MeanAndError test_set_excess;  // test MSE - the Bayes predictor's on the same test set, per seed
  std::size_t stopped = 0;       // seeds where it diverged or failed
};

// first's test MSE minus second's, seed by seed, over the seeds where both finished.
struct PairedDifference {
  std::string first;
  std::string second;
  MeanAndError difference;
};

struct SeedSummary {
  std::size_t seeds = 0;
  MeanAndError bayes_risk;
  MeanAndError bayes_test_error;         // the Bayes predictor on each seed's test set
  std::vector<SeedSummaryRow> rows;      // in the order of the first seed's summary
  std::vector<PairedDifference> paired;  // every pair of rows, in row order
};

// From the summary.csv text of each seed's comparison (as written by
// summary_csv). Throws UsageError naming `sources[i]` for a malformed one.
SeedSummary summarize_seeds(const std::vector<std::string>& summary_csvs, const std::vector<std::string>& sources);

std::string seed_summary_table(const SeedSummary& summary);
std::string seed_summary_csv(const SeedSummary& summary);
std::string paired_differences_csv(const SeedSummary& summary);

}  // namespace attnlab
