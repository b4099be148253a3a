#include "reproduction_cells.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/sweeps/cell_hash.hpp>
#include <attnlab/framework/sweeps/sweep_folder.hpp>

#include <algorithm>

namespace attnlab::reproduce {

std::optional<ExperimentRun> ReproductionCells::run(const CompareConfig& config, const std::string& label,
                                                    const CompareConfig* warm_start_from) {
  const std::string source = warm_start_from ? cell_hash(*warm_start_from) : std::string();
  const std::string hash = source.empty() ? cell_hash(config) : cell_hash(config, source);
  if (planning_) {
    if (position_.count(hash) > 0) return std::nullopt;
    unsigned phase = 0;
    if (!source.empty()) {
      const auto found = position_.find(source);
      if (found == position_.end()) throw std::logic_error("a warm start from a run not planned before: " + label);
      phase = planned_[found->second].phase + 1;
    }
    position_[hash] = planned_.size();
    planned_.push_back({hash, config, label, source, phase});
    return std::nullopt;
  }
  if (cell_state(cell(hash)) != CellState::Done) {
    throw UsageError("cell " + hash + " (" + label + ") has no results in '" + cell(hash).string() + "'");
  }
  return load_experiment_run(config, cell(hash) / "run");
}

unsigned ReproductionCells::phases() const {
  unsigned count = 0;
  for (const PlannedRun& run : planned_) count = std::max(count, run.phase + 1);
  return count;
}

void ReproductionCells::prepare() const {
  for (const PlannedRun& run : planned_)
    prepare_cell_folder(cell(run.hash), run.config.resolved_toml, run.label, run.warm_start);
}

}  // namespace attnlab::reproduce
