// attnlab command-line entry: parses arguments and dispatches to a command.
#include "commands.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>

namespace {

void configure_logging(bool verbose) {
  auto logger = spdlog::stderr_color_mt("attnlab");
  logger->set_pattern("%^%l%$: %v");
  logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  // Every line reaches attnlab.log as it is logged: a killed run's log must
  // hold its last lines, the ones that say what happened.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

// Whole numbers from 0 up: CLI11 would read "-1" into an unsigned option as
// 2^64 - 1.
const CLI::Validator kNonNegative = CLI::Validator(
    [](const std::string& text) {
      return text.find_first_not_of("0123456789") == std::string::npos && !text.empty()
                 ? std::string()
                 : "must be a whole number from 0 up, got '" + text + "'";
    },
    "INT>=0");

// A count in [low, high], with one message for words, signs and range alike.
CLI::Validator count_in(std::uint64_t low, std::uint64_t high) {
  return CLI::Validator(
      [low, high](const std::string& text) {
        const bool digits =
            !text.empty() && text.size() <= 19 && text.find_first_not_of("0123456789") == std::string::npos;
        const std::uint64_t value = digits ? std::stoull(text) : 0;
        if (digits && value >= low && value <= high) return std::string();
        return "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high) + ", got '" + text +
               "'";
      },
      "INT in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
}

// Output on standard output is the result: failing to write it (a full disk,
// a closed pipe) is an error, not a success.
int checked_stdout(int status) {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    const int error = errno;
    spdlog::error("cannot write to standard output: {}", std::strerror(error));
    return status == 0 ? 1 : status;
  }
  return status;
}

int dispatch(CLI::App& app, const std::vector<std::string>& plugin_files, const attnlab::cli::CheckPluginOptions& check,
             const attnlab::cli::CompareOptions& compare, const attnlab::cli::TheoryOptions& theory,
             const attnlab::cli::BayesRiskOptions& bayes, const attnlab::cli::PruneOptions& prune,
             attnlab::cli::ReproduceOptions& reproduce, const attnlab::cli::NewPluginOptions& new_plugin,
             attnlab::cli::SweepOptions& sweep) {
  if (app.got_subcommand("new-plugin")) return attnlab::cli::run_new_plugin(new_plugin);
  if (app.got_subcommand("sweep")) {
    sweep.plugin_files = plugin_files;
    return attnlab::cli::run_sweep(sweep);
  }
  auto environment = attnlab::cli::load_plugin_environment(plugin_files);
  if (app.got_subcommand("plugins")) return attnlab::cli::run_plugins(environment);
  if (app.got_subcommand("check-plugin")) return attnlab::cli::run_check_plugin(environment, check);
  if (app.got_subcommand("compare")) return attnlab::cli::run_compare(environment, compare);
  if (app.got_subcommand("theory")) return attnlab::cli::run_theory(environment, theory);
  if (app.got_subcommand("prune")) return attnlab::cli::run_prune(environment, prune);
  if (app.got_subcommand("reproduce")) {
    reproduce.plugin_files = plugin_files;
    return attnlab::cli::run_reproduce(environment, reproduce);
  }
  if (app.got_subcommand("bayes-risk")) return attnlab::cli::run_bayes_risk(environment, bayes);
  return 2;
}

// --slurm and its settings, for the commands that can run their cells as
// Slurm job arrays (sweep, reproduce).
void add_slurm_options(CLI::App* command, bool& slurm, bool& dry_run, attnlab::SlurmSettings& settings) {
  command->add_flag("--slurm", slurm,
                    "Submit the cells not done (nor queued) as Slurm job arrays instead of running them here");
  command->add_flag("--slurm-dry-run", dry_run, "With --slurm: write the job scripts, submit nothing");
  command->add_option("--partition", settings.partition, "Slurm partition (default: the cluster's)");
  command->add_option("--time", settings.time, "Slurm time limit of each task, e.g. 02:00:00");
  command->add_option("--cpus-per-task", settings.cpus_per_task, "Slurm CPUs per task")
      ->check(count_in(1, 4096))
      ->capture_default_str();
  command->add_option("--max-parallel", settings.max_parallel, "Slurm tasks running at once (default: no limit)")
      ->check(count_in(1, 1000000));
  command->add_option("--cells-per-task", settings.cells_per_task, "Cells one Slurm task runs, one after another")
      ->check(count_in(1, 1000000))
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"attnlab: compare attention activations head-to-head under identical training"};
  app.require_subcommand(1);
  std::vector<std::string> plugin_files;
  bool verbose = false;
  app.add_option("--plugin", plugin_files, "Load this plugin file as well (repeatable)");
  app.add_flag("-v,--verbose", verbose, "Log more detail");

  app.add_subcommand("plugins", "List every discovered plugin (built-in, $ATTNLAB_PLUGIN_PATH, --plugin)");

  attnlab::cli::CheckPluginOptions check;
  auto* check_command = app.add_subcommand("check-plugin", "Run the conformance checks on one plugin of any kind");
  check_command->add_option("plugin", check.target, "Plugin id, or path to a plugin .so file")->required();
  check_command->add_option("--params", check.params, "Parameter text for the plugin, e.g. 'c = 0.5'");
  check_command->add_option("--seed", check.seed, "Seed for the random test inputs")->check(kNonNegative);
  check_command
      ->add_option("--check-timeout", check.check_timeout_seconds,
                   "Seconds each check may take (each runs in a child process); a check that takes longer fails as "
                   "hung")
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str();

  attnlab::cli::CompareOptions compare;
  bool print_default_config = false;
  auto* compare_command = app.add_subcommand(
      "compare", "Train one model per activation in lockstep and compare them (default: the built-in config)");
  compare_command->add_option("config", compare.config_path, "TOML config file (keys not given take defaults)");
  compare_command->add_option("--set", compare.overrides, "Override a config key, e.g. --set data.D=256")
      ->allow_extra_args(false);
  compare_command->add_option("--out", compare.out, "Results folder (default: results/compare-<date-time>)");
  compare_command->add_flag("--resume", compare.resume, "Continue the unfinished run in the results folder");
  compare_command->add_flag("--force", compare.force,
                            "Replace an existing results folder that attnlab made (never any other folder)");
  compare_command
      ->add_option("--seeds", compare.seeds,
                   "Run N seeds (the config's seed and the next N-1), each in seed-<s>/, and summarize across them")
      ->check(count_in(1, 100000));
  compare_command->add_flag("--theory", compare.theory,
                            "Also compute the D -> infinity limit from the same initial overlaps and draw it dashed "
                            "beside each simulated curve (theory.jsonl)");
  compare_command
      ->add_option("--from-checkpoint", compare.from_checkpoints,
                   "Warm start: every model starts from a finished run's parameters (its results folder, or "
                   "<results>/checkpoints/<id>.ckpt files, one per activation); t starts at 0 again")
      ->allow_extra_args(false);
  compare_command->add_flag("!--no-figures", compare.figures,
                            "Draw no figures (the data and summaries are written as always)");
  compare_command->add_flag("--strict", compare.strict,
                            "Exit with status 3 when any model stopped (crashed, hung, failed or diverged)");
  compare_command
      ->add_option("--plugin-call-timeout", compare.plugin_call_timeout,
                   "Seconds one plugin call may run before its plugin counts as hung (default: the larger of 60 s and "
                   "100 times the median call)")
      ->check(CLI::PositiveNumber);
  compare_command->add_flag("--retry-failed-plugin", compare.retry_failed_plugin,
                            "With --resume: run again the data model or optimizer whose crash or hang stopped the "
                            "comparison (exit 4), once it is fixed; without it such a resume is refused");
  compare_command->add_flag("--print-default-config", print_default_config, "Print the built-in config and exit");

  attnlab::cli::TheoryOptions theory;
  auto* theory_command = app.add_subcommand(
      "theory", "The D -> infinity limit of a comparison (order-parameter ODE) for every activation of the config");
  theory_command->add_option("config", theory.config_path, "TOML config file (keys not given take defaults)");
  theory_command->add_option("--set", theory.overrides, "Override a config key, e.g. --set theory.samples=8192")
      ->allow_extra_args(false);
  theory_command->add_option("--out", theory.out, "Results folder (default: results/theory-<date-time>)");
  theory_command->add_flag("--force", theory.force,
                           "Replace an existing results folder that attnlab made (never any other folder)");
  theory_command
      ->add_option("--from-checkpoint", theory.checkpoints,
                   "Continue the limit from a trained model (<results>/checkpoints/<id>.ckpt; repeatable, one run)")
      ->allow_extra_args(false);
  theory_command->add_flag("--optimum", theory.optimum,
                           "Instead of the curves: the noiseless gradient flow's ends from --starts random starts, "
                           "the best risk and the basins (optimum.csv, optimum.txt)");
  theory_command->add_flag("--bayes-point", theory.bayes_point,
                           "With --optimum: one more start, where Bayes-softmax is the Bayes predictor of the "
                           "data's discrete prior (needs H >= its support points)");
  theory_command->add_option("--starts", theory.starts, "Random starts of --optimum (default 8)")
      ->check(CLI::Range(1, 1000));
  theory_command
      ->add_option("--horizon", theory.horizon,
                   "Flow time of --optimum, in t at the config's eta (default: 10 x train.time)")
      ->check(CLI::PositiveNumber);
  theory_command->add_flag("--plateau", theory.plateau,
                           "Instead of the curves: find the unspecialized plateau, its level and the growth rates of "
                           "the ways out (plateau.csv, plateau_modes.csv, plateau.txt)");

  attnlab::cli::BayesRiskOptions bayes;
  auto* bayes_command = app.add_subcommand("bayes-risk", "Monte Carlo estimate of the Bayes risk of a data config");
  bayes_command->add_option("config", bayes.config_path, "TOML config file (default: the built-in config)");
  bayes_command->add_option("--set", bayes.overrides, "Override a config key, e.g. --set data.delta=0.5")
      ->allow_extra_args(false);
  bayes_command->add_option("--samples", bayes.samples, "Monte Carlo samples (default: eval.bayes_samples)")
      ->check(count_in(1, 4000000000));

  attnlab::cli::PruneOptions prune;
  auto* prune_command = app.add_subcommand(
      "prune", "Pruning curves (test error vs heads removed, greedy and random) of checkpointed models");
  prune_command->add_option("checkpoints", prune.checkpoints, "Checkpoint files (<results>/checkpoints/*.ckpt)")
      ->required();
  prune_command->add_option("--random-orders", prune.random_orders, "Random removal orders to average")
      ->check(count_in(1, 1000000))
      ->capture_default_str();
  prune_command->add_option("--test-size", prune.test_size, "Test samples (default: the run's eval.test_size)")
      ->check(count_in(1, 100000000));
  prune_command->add_option("--out", prune.out, "Folder to write pruning.csv and pruning.txt into");
  prune_command->add_flag("--force", prune.force, "Replace an existing --out folder that attnlab made");
  prune_command->add_option("--seed", prune.seed, "Seed of the random removal orders")
      ->check(kNonNegative)
      ->capture_default_str();

  attnlab::cli::ReproduceOptions reproduce;
  auto* reproduce_command = app.add_subcommand(
      "reproduce", "Run the paper's experiments (figures, tables, report.md and report.html in a results folder)");
  reproduce_command
      ->add_option("experiment", reproduce.experiment,
                   "specialization, activations, heads, pruning, basins or all (the paper's claims and how often "
                   "Bayes-softmax reaches the Bayes risk); theory (the D -> infinity limit against simulations)")
      ->required()
      ->check(CLI::IsMember({"specialization", "activations", "heads", "pruning", "basins", "all", "theory"}));
  reproduce_command->add_flag("--quick", reproduce.settings.quick, "Small settings that run in minutes");
  reproduce_command->add_option("--seeds", reproduce.settings.seeds, "Seeds per setting (default: the experiment's)")
      ->check(count_in(1, 100000));
  reproduce_command->add_option("--first-seed", reproduce.settings.first_seed, "First seed")
      ->check(kNonNegative)
      ->capture_default_str();
  reproduce_command->add_option("--threads", reproduce.settings.threads, "Threads per comparison")
      ->check(count_in(1, 1024))
      ->capture_default_str();
  reproduce_command->add_option("--out", reproduce.out,
                                "Results folder (default: results/reproduce-<name>-<date-time>)");
  reproduce_command->add_flag("--force", reproduce.force,
                              "Replace an existing results folder that attnlab made (never any other folder)");
  reproduce_command->add_flag("--resume", reproduce.resume,
                              "Continue the reproduction in --out: its finished training runs are kept");
  reproduce_command->add_option("--workers", reproduce.workers, "Training runs at once (default: the number of cores)")
      ->check(count_in(1, 4096));
  add_slurm_options(reproduce_command, reproduce.slurm, reproduce.slurm_dry_run, reproduce.slurm_settings);

  attnlab::cli::NewPluginOptions new_plugin;
  auto* new_plugin_command =
      app.add_subcommand("new-plugin", "Write a skeleton plugin project that builds and passes check-plugin");
  new_plugin_command->add_option("--kind", new_plugin.kind, "Plugin kind")
      ->check(CLI::IsMember({"activation", "data-model", "optimizer"}))
      ->capture_default_str();
  new_plugin_command->add_option("name", new_plugin.name, "Plugin id, e.g. my-activation")->required();
  new_plugin_command->add_option("dir", new_plugin.directory, "Folder to create for the project")->required();

  attnlab::cli::SweepOptions sweep;
  auto* sweep_command = app.add_subcommand(
      "sweep", "Run a grid of comparisons (a sweep spec: base config, axes, seeds) as resumable cells, then collect");
  sweep_command->add_option("spec", sweep.spec, "Sweep spec (TOML: base config, [sweep] axes, seeds)");
  sweep_command->add_option("--out", sweep.out, "Sweep folder (resumed when it holds this spec's sweep)");
  sweep_command->add_option("--workers", sweep.workers, "Cells run at once (default: the number of cores)")
      ->check(count_in(1, 4096));
  sweep_command->add_flag("--dry-run", sweep.dry_run, "List the cells (swept values, hash, state) and exit");
  sweep_command->add_flag("--retry-failed", sweep.retry_failed, "Run the cells that failed before again");
  auto* collect_command = sweep_command->add_subcommand(
      "collect", "Gather a sweep folder's results: metrics.csv, final.csv and summary.md (paired differences)");
  collect_command->add_option("folder", sweep.collect, "Sweep folder")->required();
  add_slurm_options(sweep_command, sweep.slurm, sweep.slurm_dry_run, sweep.slurm_settings);
  auto* run_command = sweep_command->add_subcommand(
      "run", "Run one Slurm array task's share of a submission's cells (what the job script calls)");
  run_command->add_option("submission", sweep.run_submission, "Submission folder (FOLDER/slurm/submission-N)")
      ->required();
  run_command->add_option("--task", sweep.task, "Array task index ($SLURM_ARRAY_TASK_ID)")
      ->required()
      ->check(kNonNegative);
  auto* status_command = sweep_command->add_subcommand(
      "status", "Each cell's state: done, running or pending on Slurm, partial, failed, missing");
  status_command->add_option("folder", sweep.status, "Sweep folder")->required();

  CLI11_PARSE(app, argc, argv);
  configure_logging(verbose);
  if (print_default_config) {
    std::fputs(attnlab::default_compare_toml().c_str(), stdout);
    return checked_stdout(0);
  }

  try {
    return checked_stdout(
        dispatch(app, plugin_files, check, compare, theory, bayes, prune, reproduce, new_plugin, sweep));
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return checked_stdout(1);
  }
}
