// `attnlab reproduce`: the experiments behind the paper's claims, each
// writing its data (CSV), figures (PNG and SVG) and markdown tables into a
// folder, and a report (report.md, self-contained report.html) over all that
// ran.
//
// Every training run is a cell of the reproduction folder, as in a sweep
// (FOLDER/cells/<hash>/): the experiments are first planned (their runs
// listed), the cells then run here on every core or as Slurm job arrays, and
// the experiments' analyses finally read them back. A killed reproduction
// keeps its finished cells (and each unfinished one its checkpoint).
#pragma once

#include <attnlab/framework/hosting/plugin_registry.hpp>
#include <attnlab/framework/sweeps/local_executor.hpp>
#include <attnlab/framework/sweeps/slurm_submission.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct ReproduceOptions {
  bool quick = false;            // the small settings CI runs in minutes
  std::uint32_t seeds = 0;       // 0: the experiment's own number of seeds
  std::uint64_t first_seed = 1;  // seeds first_seed, first_seed + 1, ...
  std::uint32_t threads = 1;     // per comparison (the cells run side by side)
};

// Where the cells run.
struct ReproduceExecution {
  ExecutorSettings cells;              // here: the attnlab binary, workers, stop request
  std::optional<SlurmSettings> slurm;  // set: submit the cells as Slurm job arrays instead
  bool slurm_dry_run = false;          // write the job scripts, submit nothing
};

struct ReproduceOutcome {
  enum class State {
    Reported,   // every cell done, the analyses and the report written
    Submitted,  // cells submitted to Slurm (or their scripts written)
    Stopped,    // a stop request; the finished cells are kept
    Failed,     // some cells failed (their failure.txt says why)
  };
  State state = State::Reported;
  std::size_t cells = 0;  // planned
  std::size_t ran = 0;    // run (or submitted) by this call
  std::string message;    // what to do next, for Submitted, Stopped and Failed
};

// "specialization", "activations", "heads", "pruning", "basins" (in the order
// `all` runs them).
const std::vector<std::string>& reproduce_experiment_names();

// Throws UsageError when `name` is not an experiment or the seeds would run
// past the largest seed; run_reproduce() checks this too, before any work.
void check_reproduce_options(const std::string& name, const ReproduceOptions& options);

// What a reproduction folder records of its command (config.toml), so that
// a resumed reproduction is the same one.
std::string reproduction_record(const std::string& name, const ReproduceOptions& options);

// Runs `name` (one of the above, or "all") into `folder` (which must exist):
// plans the cells, runs those not done, then writes each experiment's data
// and report.md and report.html. `progress` gets one line per run analysed.
ReproduceOutcome run_reproduce(const std::string& name, const ReproduceOptions& options,
                               const ReproduceExecution& execution, PluginRegistry& registry,
                               const std::filesystem::path& folder,
                               const std::function<void(const std::string&)>& progress);

}  // namespace attnlab
