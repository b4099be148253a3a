// A sweep's results gathered into three files of its folder:
//
// - metrics.csv: one row per cell x activation x log point (every swept key
//   a column, then seed, activation, step, t and the scalar metrics), tidy,
//   for pandas.read_csv with no options;
// - final.csv: one row per cell x activation, the final point (no wall
//   times, so the same sweep gives the same file however it was run);
// - summary.md: per grid point, each activation's final test MSE over the
//   seeds, and the paired differences between activations (mean and
//   standard error of the per-seed difference: a cell's activations share
//   its data and initial parameters), from compare --seeds' own statistics
//   (seed_summary.hpp); and which cells failed or are unfinished.
#pragma once

#include <attnlab/framework/sweeps/cell_table.hpp>

#include <filesystem>
#include <string>

namespace attnlab {

struct CollectedSweep {
  std::string metrics_csv;
  std::string final_csv;
  std::string summary_md;
  std::size_t done = 0;
  std::size_t failed = 0;
  std::size_t unfinished = 0;  // partial or missing
};

// Reads cells/<hash>/ of `folder` for every cell of `table`; only finished
// cells give rows.
CollectedSweep collect_sweep(const CellTable& table, const std::filesystem::path& folder);

// Writes the three files, all or none.
void write_collected(const CollectedSweep& collected, const std::filesystem::path& folder);

}  // namespace attnlab
