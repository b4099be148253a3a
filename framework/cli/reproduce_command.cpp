#include "cell_executor.hpp"
#include "commands.hpp"
#include "stop_signals.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/results_folder.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

namespace attnlab::cli {
namespace {

// The results folder: a new one, the one --force replaces, or with --resume
// the reproduction recorded in it, which must be the same as asked for.
ResultsFolder reproduction_folder(const ReproduceOptions& options, const std::string& record) {
  if (options.resume) {
    if (options.out.empty()) throw UsageError("--resume needs --out: the folder of the reproduction to continue");
    if (options.force) throw UsageError("--resume and --force exclude each other");
    ResultsFolder folder(options.out, ExistingFolderPolicy::Resume);
    const std::string recorded = folder.read("config.toml");
    if (recorded != record) {
      // The record's settings on one line: "experiment = "basins", quick = true, ...".
      std::string settings;
      std::istringstream lines(recorded);
      for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line[0] != '#' && line[0] != '[') settings += (settings.empty() ? "" : ", ") + line;
      }
      throw UsageError(
          fmt::format("'{}' holds another reproduction ({}); resume it with the same experiment, "
                      "--quick, --seeds and --first-seed",
                      options.out, settings));
    }
    return folder;
  }
  if (options.out.empty()) {
    return ResultsFolder::unique(
        fmt::format("results/reproduce-{}{}", options.experiment, options.settings.quick ? "-quick" : ""));
  }
  return ResultsFolder(options.out, options.force ? ExistingFolderPolicy::Force : ExistingFolderPolicy::Refuse);
}

}  // namespace

int run_reproduce(PluginEnvironment& environment, const ReproduceOptions& options) {
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  check_reproduce_options(options.experiment, options.settings);
  if (options.slurm_dry_run && !options.slurm) throw UsageError("--slurm-dry-run goes with --slurm");
  const std::string record = reproduction_record(options.experiment, options.settings);
  // Before any thread starts, so that every thread leaves the signals to it.
  const StopSignals stop;
  ResultsFolder folder = reproduction_folder(options, record);
  if (!folder.resuming()) {
    folder.create();
    folder.write_atomically("config.toml", record);
  }
  const std::string path = folder.path().string();

  ReproduceExecution execution;
  execution.cells = cell_executor_settings(options.plugin_files);
  execution.cells.workers = options.workers > 0 ? options.workers : std::max(1u, std::thread::hardware_concurrency());
  execution.cells.stop_requested = [&stop] { return stop.requested(); };
  if (options.slurm) execution.slurm = options.slurm_settings;
  execution.slurm_dry_run = options.slurm_dry_run;

  spdlog::info("reproduce {}{}: results in {}", options.experiment, options.settings.quick ? " (quick)" : "", path);
  const auto start = std::chrono::steady_clock::now();
  const ReproduceOutcome outcome =
      attnlab::run_reproduce(options.experiment, options.settings, execution, environment.registry, folder.path(),
                             [](const std::string& line) { spdlog::info("{}", line); });
  folder.discard_replaced();
  switch (outcome.state) {
    case ReproduceOutcome::State::Reported: {
      const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
      fmt::print("\n{} training runs ({} run now)\nreport: {}/report.md and {}/report.html ({:.1f} min)\n",
                 outcome.cells, outcome.ran, path, path, minutes);
      return 0;
    }
    case ReproduceOutcome::State::Submitted:
      fmt::print("{}\n", outcome.message);
      return 0;
    case ReproduceOutcome::State::Stopped:
      fmt::print(stderr, "stopped by {}; {}\n", signal_name(stop.signal()), outcome.message);
      return 128 + stop.signal();
    case ReproduceOutcome::State::Failed:
      spdlog::error("{}", outcome.message);
      return 1;
  }
  return 1;
}

}  // namespace attnlab::cli
