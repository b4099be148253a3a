#include "experiment_support.hpp"
#include "reproduction_cells.hpp"

#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reports/report.hpp>
#include <attnlab/framework/sweeps/cell_table.hpp>
#include <attnlab/framework/sweeps/sweep_folder.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace attnlab {

const std::vector<std::string>& reproduce_experiment_names() {
  static const std::vector<std::string> names = {"specialization", "activations", "heads", "pruning", "basins"};
  return names;
}

namespace {

namespace fs = std::filesystem;

reproduce::ExperimentSection run_one(const std::string& name, const reproduce::ExperimentContext& context) {
  if (name == "specialization") return reproduce::run_specialization(context);
  if (name == "activations") return reproduce::run_activations(context);
  if (name == "heads") return reproduce::run_heads(context);
  if (name == "theory") return reproduce::run_theory(context);
  if (name == "basins") return reproduce::run_basins(context);
  return reproduce::run_pruning(context);
}

// The planned runs as a cell table (cells.csv: what `sweep status` reads),
// the label as the one swept value.
CellTable planned_table(const std::vector<reproduce::PlannedRun>& runs) {
  CellTable table{{"run"}, {}};
  for (const reproduce::PlannedRun& run : runs) table.cells.push_back({run.hash, {run.label}, run.config.seed});
  return table;
}

std::vector<const reproduce::PlannedRun*> phase_runs(const reproduce::ReproductionCells& cells, unsigned phase) {
  std::vector<const reproduce::PlannedRun*> runs;
  for (const reproduce::PlannedRun& run : cells.planned()) {
    if (run.phase == phase) runs.push_back(&run);
  }
  return runs;
}

std::size_t not_done(const reproduce::ReproductionCells& cells, const std::vector<const reproduce::PlannedRun*>& runs) {
  return static_cast<std::size_t>(std::count_if(runs.begin(), runs.end(), [&](const reproduce::PlannedRun* run) {
    return cell_state(cells.cell(run->hash)) != CellState::Done;
  }));
}

// Each phase (cold starts, then the runs that start from their models) as a
// job array, the later ones waiting for the earlier: the cells neither done
// nor queued by an earlier submission.
ReproduceOutcome submit_phases(const reproduce::ReproductionCells& cells, const ReproduceExecution& execution,
                               const fs::path& folder, const std::string& resume_command) {
  ReproduceOutcome outcome{ReproduceOutcome::State::Submitted, cells.planned().size(), 0, ""};
  const auto queued = slurm_queued_cells(folder);
  std::vector<std::string> attnlab = {execution.cells.executable.string()};
  attnlab.insert(attnlab.end(), execution.cells.global_arguments.begin(), execution.cells.global_arguments.end());
  std::string previous_job;
  for (unsigned phase = 0; phase < cells.phases(); ++phase) {
    const auto runs = phase_runs(cells, phase);
    std::vector<reproduce::PlannedRun> wanted;
    for (const reproduce::PlannedRun* run : runs) {
      if (cell_state(cells.cell(run->hash)) != CellState::Done && queued.count(run->hash) == 0) wanted.push_back(*run);
    }
    if (phase > 0 && previous_job.empty() && not_done(cells, phase_runs(cells, phase - 1)) > 0) {
      outcome.message += fmt::format(
          "phase {} ({} cells) starts from phase {}'s models, which an earlier job is still computing: run the same "
          "command again once that job is done\n",
          phase + 1, wanted.size(), phase);
      break;
    }
    if (wanted.empty()) {
      previous_job.clear();
      continue;
    }
    SlurmSettings settings = *execution.slurm;
    // A dry run has no job id to wait for: the message says how to submit.
    if (!execution.slurm_dry_run) settings.after_job = previous_job;
    SlurmSubmission submission =
        write_slurm_submission(folder, planned_table({wanted.begin(), wanted.end()}), settings, attnlab);
    outcome.ran += wanted.size();
    if (execution.slurm_dry_run) {
      outcome.message += fmt::format("phase {}: {} cells in {} array tasks; submit with: sbatch {}{}\n", phase + 1,
                                     wanted.size(), submission.tasks,
                                     phase > 0 ? fmt::format("--dependency=afterok:<phase {}'s job id> ", phase) : "",
                                     (submission.folder / "job.sh").string());
      previous_job = "dry run";
      continue;
    }
    submit_slurm_job(submission);
    previous_job = submission.job_id;
    outcome.message += fmt::format("phase {}: job {}, {} cells in {} array tasks{}\n", phase + 1, submission.job_id,
                                   wanted.size(), submission.tasks,
                                   settings.after_job.empty() ? "" : ", once job " + settings.after_job + " is done");
  }
  if (outcome.ran == 0 && outcome.message.empty())
    outcome.message = "nothing to submit: every cell is done or queued\n";
  outcome.message += fmt::format("follow them with: attnlab sweep status {}\nthen write the report with: {}",
                                 folder.string(), resume_command);
  return outcome;
}

// Runs the cells not done here, phase after phase; a failed cell is run
// again (the report needs every one).
ReproduceOutcome run_phases(const reproduce::ReproductionCells& cells, const ReproduceExecution& execution,
                            const std::string& resume_command) {
  ReproduceOutcome outcome{ReproduceOutcome::State::Reported, cells.planned().size(), 0, ""};
  for (unsigned phase = 0; phase < cells.phases(); ++phase) {
    std::vector<CellRun> runs;
    for (const reproduce::PlannedRun* run : phase_runs(cells, phase)) {
      if (cell_state(cells.cell(run->hash)) != CellState::Done)
        runs.push_back({run->hash, cells.cell(run->hash), run->label});
    }
    if (runs.empty()) continue;
    const ExecutorOutcome ran = run_cells(runs, execution.cells);
    outcome.ran += ran.finished;
    if (execution.cells.stop_requested && execution.cells.stop_requested()) {
      outcome.state = ReproduceOutcome::State::Stopped;
      outcome.message = fmt::format("{} cell(s) finished in this run; continue with: {}", outcome.ran, resume_command);
      return outcome;
    }
    if (ran.failed + ran.stopped > 0) {
      outcome.state = ReproduceOutcome::State::Failed;
      outcome.message =
          fmt::format("{} cell(s) failed and {} did not finish (each failed cell's {} says why); once fixed: {}",
                      ran.failed, ran.stopped, kCellFailureFile, resume_command);
      return outcome;
    }
  }
  return outcome;
}

}  // namespace

void check_reproduce_options(const std::string& name, const ReproduceOptions& options) {
  const auto& names = reproduce_experiment_names();
  if (name != "all" && name != "theory" && std::find(names.begin(), names.end(), name) == names.end()) {
    throw UsageError("unknown experiment '" + name +
                     "' (known: specialization, activations, heads, pruning, basins, all, and theory)");
  }
  // No experiment uses more seeds than this.
  const std::uint64_t seed_count = options.seeds > 0 ? options.seeds : reproduce::kMostDefaultSeeds;
  if (!seed_range_fits(options.first_seed, seed_count)) {
    throw UsageError(fmt::format("--first-seed {} with {} seeds goes past the largest seed, {}", options.first_seed,
                                 seed_count, kLargestSeed));
  }
}

std::string reproduction_record(const std::string& name, const ReproduceOptions& options) {
  return fmt::format(
      "# attnlab reproduce: what this folder reproduces (a --resume must ask for the same)\n[reproduce]\n"
      "experiment = \"{}\"\nquick = {}\nseeds = {}\nfirst_seed = {}\n",
      name, options.quick, options.seeds, options.first_seed);
}

ReproduceOutcome run_reproduce(const std::string& name, const ReproduceOptions& options,
                               const ReproduceExecution& execution, PluginRegistry& registry, const fs::path& folder,
                               const std::function<void(const std::string&)>& progress) {
  check_reproduce_options(name, options);
  const auto& names = reproduce_experiment_names();
  const std::vector<std::string> selected = name == "all" ? names : std::vector<std::string>{name};
  const std::string command = fmt::format("attnlab reproduce {}{}{}", name, options.quick ? " --quick" : "",
                                          options.seeds > 0 ? fmt::format(" --seeds {}", options.seeds) : "");
  const std::string resume_command = command + " --resume --out " + folder.string();

  reproduce::ReproductionCells cells(folder);
  std::map<std::string, std::size_t> runs_of;  // experiment -> its training runs
  for (const std::string& experiment : selected) {
    const std::size_t before = cells.planned().size();
    run_one(experiment, reproduce::ExperimentContext{options, registry, folder / experiment, progress, cells});
    runs_of[experiment] = cells.planned().size() - before;
  }
  cells.prepare();
  write_file_atomically(folder / "cells.csv", cell_table_csv(planned_table(cells.planned())));

  const ReproduceOutcome outcome = execution.slurm ? submit_phases(cells, execution, folder, resume_command)
                                                   : run_phases(cells, execution, resume_command);
  if (outcome.state != ReproduceOutcome::State::Reported) return outcome;

  cells.start_analysing();
  std::string markdown = fmt::format("# attnlab reproduction report\n\nattnlab {}, `{}`, first seed {}.\n\n",
                                     ATTNLAB_VERSION, command, options.first_seed);
  for (const std::string& experiment : selected) {
    fs::create_directories(folder / experiment);
    const reproduce::ExperimentSection section =
        run_one(experiment, reproduce::ExperimentContext{options, registry, folder / experiment, progress, cells});
    markdown += fmt::format(
        "## {}\n\n{}\n\nData: `{}/` (CSV, config.toml, figures as PNG and SVG with their gnuplot scripts); {} "
        "training runs, each a comparison's results folder under `cells/`.\n\n",
        section.title, section.markdown, experiment, runs_of[experiment]);
  }
  write_report(folder, "attnlab reproduction report", markdown);
  return outcome;
}

}  // namespace attnlab
