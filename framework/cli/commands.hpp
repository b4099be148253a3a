// The attnlab subcommands. Each returns the process exit status.
#pragma once

#include <attnlab/framework/hosting/plugin_registry.hpp>
#include <attnlab/framework/reproduce/reproduce.hpp>
#include <attnlab/framework/sweeps/slurm_submission.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::cli {

// Registry filled from built-ins, $ATTNLAB_PLUGIN_PATH and --plugin files;
// files that were found but rejected are kept for reporting.
struct PluginEnvironment {
  PluginRegistry registry;
  std::vector<PluginRejection> rejections;
};

// Throws PluginLoadError when an explicitly named file cannot be loaded, and
// DuplicatePluginIdError when two files found provide the same id.
PluginEnvironment load_plugin_environment(const std::vector<std::string>& explicit_files);

int run_plugins(const PluginEnvironment& environment);

struct CheckPluginOptions {
  std::string target;  // id or path
  std::string params;
  std::uint64_t seed = 20260303;
  double check_timeout_seconds = 60.0;  // per check, each in a child process
};

int run_check_plugin(PluginEnvironment& environment, const CheckPluginOptions& options);

struct CompareOptions {
  std::optional<std::string> config_path;
  std::vector<std::string> overrides;  // section.key=value
  std::string out;                     // results folder; empty: results/compare-<time>
  bool resume = false;
  bool force = false;
  std::uint32_t seeds = 0;  // 0: not given (1, or what a resumed folder records); > 1: one comparison per seed
  bool theory = false;      // also the D -> infinity limit from the same initial overlaps, drawn beside
  // --from-checkpoint: a warm start from a finished run's checkpoints (.ckpt
  // files or a results folder), one per activation.
  std::vector<std::string> from_checkpoints;
  // --strict: exit 3 when any model stopped (a plugin that crashed, hung,
  // threw or returned non-finite numbers, or a diverged model).
  bool strict = false;
  // --plugin-call-timeout: seconds one plugin call may take before it counts
  // as hung; 0: max(60 s, 100 times the median call so far).
  double plugin_call_timeout = 0.0;
  // --retry-failed-plugin: a --resume runs a data model or optimizer again
  // after its crash or hang stopped the comparison (once it is fixed).
  bool retry_failed_plugin = false;
  // --no-figures: no gnuplot figures (a sweep's cells: half a small cell's
  // time went to drawing them; the sweep draws its own).
  bool figures = true;
  // Set by the supervisor, not by a flag: models whose activation's create
  // crashed or hung in an earlier training process, by results folder (a
  // fresh run's folder does not exist yet to record them in).
  struct UnmadeRecord {
    std::string folder;
    std::string activation;
    std::uint64_t step = 0;
    std::string reason;
  };
  std::vector<UnmadeRecord> unmade;
};

int run_compare(PluginEnvironment& environment, const CompareOptions& options);

struct TheoryOptions {
  std::optional<std::string> config_path;
  std::vector<std::string> overrides;    // section.key=value
  std::vector<std::string> checkpoints;  // --from-checkpoint: continue the limit from trained models
  bool plateau = false;                  // --plateau: the plateau analysis instead of the curves
  bool optimum = false;                  // --optimum: the gradient flow's ends instead of the curves
  bool bayes_point = false;              // --optimum also from the Bayes-optimal point of a discrete prior
  std::uint32_t starts = 8;              // --optimum's random starts
  double horizon = 0.0;                  // --optimum's flow time; 0: ten times train.time
  std::string out;                       // results folder; empty: results/theory-<time>
  bool force = false;
};

int run_theory(PluginEnvironment& environment, const TheoryOptions& options);

struct BayesRiskOptions {
  std::optional<std::string> config_path;
  std::vector<std::string> overrides;
  std::uint32_t samples = 0;  // 0: the config's eval.bayes_samples
};

int run_bayes_risk(const PluginEnvironment& environment, const BayesRiskOptions& options);

struct PruneOptions {
  std::vector<std::string> checkpoints;  // .ckpt files of one data config and seed
  std::uint32_t random_orders = 20;
  std::uint32_t test_size = 0;  // 0: the run's eval.test_size
  std::string out;              // folder for pruning.csv; empty: print only
  bool force = false;
  std::uint64_t seed = 1;  // random removal orders
};

int run_prune(PluginEnvironment& environment, const PruneOptions& options);

struct ReproduceOptions {
  std::string experiment;  // specialization | activations | heads | pruning | all
  attnlab::ReproduceOptions settings;
  std::string out;  // results folder; empty: results/reproduce-<experiment>-<time>
  bool force = false;
  bool resume = false;   // continue the reproduction in `out`
  unsigned workers = 0;  // training runs at once; 0: the number of cores
  bool slurm = false;    // run the training runs as Slurm job arrays
  bool slurm_dry_run = false;
  SlurmSettings slurm_settings;
  std::vector<std::string> plugin_files;  // --plugin files, passed on to every cell
};

int run_reproduce(PluginEnvironment& environment, const ReproduceOptions& options);

struct SweepOptions {
  std::string spec;                       // the sweep spec (TOML)
  std::string out;                        // the sweep folder
  unsigned workers = 0;                   // cells at once; 0: the number of cores
  bool dry_run = false;                   // list the cells and their state, run nothing
  bool retry_failed = false;              // run failed cells again
  std::string collect;                    // `sweep collect FOLDER`: the folder
  std::vector<std::string> plugin_files;  // --plugin files, passed on to every cell
  bool slurm = false;                     // submit the cells as a Slurm job array
  bool slurm_dry_run = false;             // write the job script, submit nothing
  SlurmSettings slurm_settings;
  std::string run_submission;  // `sweep run SUBMISSION --task K` (a Slurm task)
  std::size_t task = 0;
  std::string status;  // `sweep status FOLDER`: the folder
};

// Needs no plugins of its own: each cell is a child `attnlab compare`.
int run_sweep(const SweepOptions& options);

struct NewPluginOptions {
  std::string kind = "activation";  // activation | data-model | optimizer
  std::string name;                 // the plugin id
  std::string directory;            // project folder to create
};

// Needs no plugins: writes a skeleton project and prints how to build it.
int run_new_plugin(const NewPluginOptions& options);

}  // namespace attnlab::cli
