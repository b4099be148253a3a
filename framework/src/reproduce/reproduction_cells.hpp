// The training runs of a reproduction as cells, laid out as a sweep's
// (sweeps/sweep_folder.hpp): FOLDER/cells/<hash>/config.toml and run/, run by
// the sweeps' executors, here or as Slurm job arrays. An experiment's code
// runs twice over them: planning, where each run it asks for is recorded
// as a cell and answered with nothing, and analysing, where each is read back
// from its finished cell. Internal to the framework library.
#pragma once

#include <attnlab/framework/reproduce/experiment_run.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::reproduce {

struct PlannedRun {
  std::string hash;
  CompareConfig config;
  std::string label;       // "<experiment> <what sets it apart>"
  std::string warm_start;  // the cell whose final parameters its models start from; empty: none
  unsigned phase = 0;      // 0 without a warm start, else one more than its warm start's
};

class ReproductionCells {
 public:
  explicit ReproductionCells(std::filesystem::path folder) : folder_(std::move(folder)) {}

  bool planning() const { return planning_; }
  // Planning done: run() reads the finished cells from here on.
  void start_analysing() { planning_ = false; }

  // Planning: records the run (once, however often it is asked for) and
  // returns nothing. Analysing: the finished run; throws UsageError naming
  // the cell when it has no results (it was not planned, or failed).
  // `warm_start_from`: a planned run whose final parameters the models start
  // from (compare --from-checkpoint).
  std::optional<ExperimentRun> run(const CompareConfig& config, const std::string& label,
                                   const CompareConfig* warm_start_from = nullptr);

  const std::vector<PlannedRun>& planned() const { return planned_; }
  unsigned phases() const;
  std::filesystem::path cell(const std::string& hash) const { return folder_ / "cells" / hash; }

  // Writes every planned cell's folder (an existing one must hold the same config).
  void prepare() const;

 private:
  std::filesystem::path folder_;
  bool planning_ = true;
  std::vector<PlannedRun> planned_;
  std::map<std::string, std::size_t> position_;  // hash -> index in planned_
};

}  // namespace attnlab::reproduce
