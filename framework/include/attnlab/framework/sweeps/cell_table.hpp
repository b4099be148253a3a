// cells.csv: the cells of a sweep's spec as last run (hash, swept values,
// seed), in grid order. `sweep collect` reads the sweep from it, so it
// needs neither the spec nor its base file, which may have changed since.
#pragma once

#include <attnlab/framework/sweeps/sweep_spec.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace attnlab {

struct PlannedCell {
  std::string hash;
  std::vector<std::string> values;  // display text, one per key
  std::uint64_t seed = 0;
};

struct CellTable {
  std::vector<std::string> keys;  // the swept keys
  std::vector<PlannedCell> cells;
};

CellTable cell_table(const std::vector<SweepCell>& cells, const std::vector<std::string>& keys);
std::string cell_table_csv(const CellTable& table);
// Throws UsageError naming `source` for a malformed file.
CellTable read_cell_table(const std::string& csv, const std::string& source);

// The share of cells a task of a job array runs: the cells sorted by hash
// (an order no spec edit reshuffles for the cells it keeps), every
// `tasks`-th from position `task` (0-based). Every cell falls to exactly one
// task.
std::vector<PlannedCell> task_share(const CellTable& table, std::size_t task, std::size_t tasks);

}  // namespace attnlab
