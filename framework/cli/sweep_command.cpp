// `attnlab sweep SPEC --out FOLDER` and `attnlab sweep collect FOLDER`.
#include "cell_executor.hpp"
#include "commands.hpp"
#include "stop_signals.hpp"

#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/sweeps/cell_table.hpp>
#include <attnlab/framework/sweeps/local_executor.hpp>
#include <attnlab/framework/sweeps/slurm_submission.hpp>
#include <attnlab/framework/sweeps/sweep_collect.hpp>
#include <attnlab/framework/sweeps/sweep_figures.hpp>
#include <attnlab/framework/sweeps/sweep_folder.hpp>
#include <attnlab/framework/sweeps/sweep_spec.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace attnlab::cli {
namespace {
namespace fs = std::filesystem;

// One line per cell (columns aligned: hash, swept values, seed, state),
// then the count per state. `queued` (squeue's view, hash -> Slurm state)
// turns a cell not done into "running" or "pending".
void print_cells(const CellTable& table, const fs::path& folder,
                 const std::map<std::string, std::string>& queued = {}) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"cell"};
  head.insert(head.end(), table.keys.begin(), table.keys.end());
  head.insert(head.end(), {"seed", "state"});
  rows.push_back(head);
  std::map<std::string, std::size_t> counts;
  for (const PlannedCell& cell : table.cells) {
    const CellState state = cell_state(folder / "cells" / cell.hash);
    std::string shown = cell_state_name(state);
    if (const auto slurm = queued.find(cell.hash); state != CellState::Done && slurm != queued.end()) {
      shown = slurm->second == "RUNNING" ? "running" : "pending";
    }
    ++counts[shown];
    std::vector<std::string> row = {cell.hash};
    row.insert(row.end(), cell.values.begin(), cell.values.end());
    row.insert(row.end(), {std::to_string(cell.seed), shown});
    rows.push_back(row);
  }
  std::vector<std::size_t> widths(head.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t k = 0; k < row.size(); ++k) widths[k] = std::max(widths[k], row[k].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t k = 0; k < row.size(); ++k) line += fmt::format("{:<{}}  ", row[k], widths[k]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::print("{}\n", line);
  }
  std::string summary;
  for (const auto& [state, count] : counts)
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", count, state);
  fmt::print("{} cells: {}\n", table.cells.size(), summary);
}

// Each cell's folder with its resolved config; a folder already there must
// hold the same config (else two configs share a hash, or it was edited).
void prepare_cells(const std::vector<SweepCell>& cells, const SweepFolder& folder) {
  for (const SweepCell& cell : cells)
    prepare_cell_folder(folder.cell(cell.hash), cell.config.resolved_toml, cell_label(cell));
}

// Collects the cells' results and draws the figures into the folder; summary.md
// links the figures only when they were drawn. A missing or failing gnuplot
// costs the figures, with a warning, not the collected tables.
CollectedSweep collect_and_write(const CellTable& table, const fs::path& folder) {
  CollectedSweep collected = collect_sweep(table, folder);
  const std::vector<SweepFigure> figures = sweep_figures(table.keys, collected.final_csv);
  if (!figures.empty() && !gnuplot_available()) {
    spdlog::warn(
        "gnuplot not found on PATH, so no figures were drawn (run scripts/setup.sh); the results are "
        "complete otherwise");
  } else if (!figures.empty()) {
    try {
      draw_sweep_figures(figures, folder);
      collected.summary_md += sweep_figures_markdown(figures);
    } catch (const std::exception& error) {
      spdlog::warn("the sweep's figures were not drawn ({}); the results are complete otherwise", error.what());
    }
  }
  write_collected(collected, folder);
  return collected;
}

int report_collected(const CollectedSweep& collected, const fs::path& folder, bool from_run) {
  fmt::print("{} cells done, {} failed, {} unfinished\nresults: {}\n", collected.done, collected.failed,
             collected.unfinished, (folder / "summary.md").string());
  if (collected.failed > 0) {
    spdlog::error("{} cell(s) failed (their failure.txt says why); {}", collected.failed,
                  from_run ? "fix the cause and run again with --retry-failed" : "see summary.md");
    return from_run ? 1 : 0;
  }
  if (collected.unfinished > 0 && from_run) {
    spdlog::error("{} cell(s) unfinished; run the sweep again to finish them", collected.unfinished);
    return 1;
  }
  return 0;
}

int run_collect(const SweepOptions& options) {
  const SweepFolder folder = SweepFolder::open_existing(options.collect);
  const fs::path table_file = folder.path() / "cells.csv";
  const CellTable table = read_cell_table(read_text_file(table_file), table_file.string());
  const CollectedSweep collected = collect_and_write(table, folder.path());
  if (collected.failed + collected.unfinished > 0) {
    spdlog::warn("{} of {} cells have no results yet (see summary.md)", collected.failed + collected.unfinished,
                 table.cells.size());
  }
  return report_collected(collected, folder.path(), false);
}

// --slurm: the cells to run that no earlier submission has queued or
// running, as one job array.
int submit_to_slurm(const SweepOptions& options, const CellTable& table, const std::vector<CellRun>& runs,
                    const SweepFolder& folder) {
  const auto queued = slurm_queued_cells(folder.path());
  std::set<std::string> wanted;
  for (const CellRun& run : runs) {
    if (queued.count(run.hash) == 0) wanted.insert(run.hash);
  }
  if (!queued.empty()) spdlog::info("{} cell(s) already queued or running on Slurm", queued.size());
  if (wanted.empty()) {
    fmt::print("nothing to submit: every cell is done{}\n", queued.empty() ? "" : " or queued");
    return 0;
  }
  CellTable share{table.keys, {}};
  for (const PlannedCell& cell : table.cells) {
    if (wanted.erase(cell.hash) > 0) share.cells.push_back(cell);
  }
  const ExecutorSettings settings = cell_executor_settings(options.plugin_files);
  std::vector<std::string> attnlab = {settings.executable.string()};
  attnlab.insert(attnlab.end(), settings.global_arguments.begin(), settings.global_arguments.end());
  SlurmSubmission submission = write_slurm_submission(folder.path(), share, options.slurm_settings, attnlab);
  const fs::path script = submission.folder / "job.sh";
  if (options.slurm_dry_run) {
    fmt::print("{} cells in {} array tasks: {}\nsubmit it with: sbatch {}\n", share.cells.size(), submission.tasks,
               script.string(), script.string());
    return 0;
  }
  submit_slurm_job(submission);
  fmt::print(
      "submitted job {}: {} cells in {} array tasks ({})\nfollow it with: attnlab sweep status {}\n"
      "when it is done: attnlab sweep collect {}\n",
      submission.job_id, share.cells.size(), submission.tasks, script.string(), folder.path().string(),
      folder.path().string());
  return 0;
}

// `sweep run SUBMISSION --task K`: one array task. It runs beside the other
// tasks, so it takes no sweep-folder lock; each cell's comparison locks its
// own results folder.
int run_slurm_task(const SweepOptions& options) {
  const fs::path submission = fs::absolute(options.run_submission);
  const fs::path sweep_folder = submission.parent_path().parent_path();
  std::error_code error;
  if (!fs::is_regular_file(sweep_folder / kMarkerFileName, error) || !fs::is_directory(sweep_folder / "cells", error)) {
    throw UsageError("'" + submission.string() + "' is not a Slurm submission of an attnlab sweep folder");
  }
  const StopSignals stop;
  std::vector<CellRun> runs;
  for (const PlannedCell& cell : slurm_task_cells(submission, options.task)) {
    const fs::path cell_folder = sweep_folder / "cells" / cell.hash;
    if (cell_state(cell_folder) == CellState::Done) continue;
    std::string label;
    for (const std::string& value : cell.values) label += (label.empty() ? "" : " ") + value;
    runs.push_back({cell.hash, cell_folder, fmt::format("{} seed {}", label, cell.seed)});
  }
  spdlog::info("task {} of {}: {} cell(s) to run", options.task, submission.string(), runs.size());
  ExecutorSettings settings = cell_executor_settings(options.plugin_files);
  settings.workers = 1;  // the array's tasks are the parallelism
  settings.stop_requested = [&stop] { return stop.requested(); };
  const ExecutorOutcome outcome = run_cells(runs, settings);
  if (stop.requested()) return 128 + stop.signal();
  return outcome.failed > 0 ? 1 : 0;
}

// `sweep status FOLDER`: reads the folder only (no lock: a sweep or a Slurm
// job may be writing it), plus squeue for the cells Slurm holds.
int run_status(const SweepOptions& options) {
  const fs::path folder = options.status;
  const fs::path table_file = folder / "cells.csv";
  std::error_code error;
  if (!fs::is_regular_file(folder / kMarkerFileName, error) || !fs::is_regular_file(table_file, error)) {
    throw UsageError("'" + folder.string() + "' is not an attnlab sweep folder (no cells.csv)");
  }
  const CellTable table = read_cell_table(read_text_file(table_file), table_file.string());
  print_cells(table, folder, slurm_queued_cells(folder));
  return 0;
}

}  // namespace

int run_sweep(const SweepOptions& options) {
  if (!options.collect.empty()) return run_collect(options);
  if (!options.run_submission.empty()) return run_slurm_task(options);
  if (!options.status.empty()) return run_status(options);
  if (options.slurm_dry_run && !options.slurm) throw UsageError("--slurm-dry-run goes with --slurm");
  if (options.spec.empty()) throw UsageError("sweep needs a spec file: attnlab sweep SPEC --out FOLDER");
  if (options.out.empty()) throw UsageError("sweep needs --out FOLDER (the sweep folder, resumed on a rerun)");
  // The marker records the spec by its absolute path: the folder's identity.
  const fs::path spec_path = fs::weakly_canonical(fs::absolute(options.spec));
  const SweepSpec spec = read_sweep_spec(spec_path);
  const std::vector<SweepCell> cells = expand_sweep(spec);
  const CellTable table = cell_table(cells, swept_keys(spec));
  if (options.dry_run) {
    check_sweep_folder(options.out, spec_path);
    print_cells(table, options.out);
    return 0;
  }

  // Before any thread starts, so that every thread leaves the signals to it.
  const StopSignals stop;
  const SweepFolder folder(options.out, spec_path);
  write_file_atomically(folder.path() / "spec.toml", read_text_file(spec_path));
  write_file_atomically(folder.path() / "cells.csv", cell_table_csv(table));
  prepare_cells(cells, folder);

  std::map<CellState, std::size_t> counts;
  std::vector<CellRun> runs;
  std::set<std::string> seen;
  for (const SweepCell& cell : cells) {
    if (!seen.insert(cell.hash).second) continue;  // two grid points with one config are one cell
    const CellState state = cell_state(folder.cell(cell.hash));
    ++counts[state];
    if (state == CellState::Done || (state == CellState::Failed && !options.retry_failed)) continue;
    runs.push_back({cell.hash, folder.cell(cell.hash), cell_label(cell)});
  }
  if (options.slurm) return submit_to_slurm(options, table, runs, folder);

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned workers = options.workers > 0 ? options.workers : cores;
  std::uint32_t threads = 1;
  for (const SweepCell& cell : cells) threads = std::max(threads, cell.config.threads);
  if (std::min<std::size_t>(workers, runs.size()) * threads > cores) {
    // Results do not depend on it, but oversubscribed cores slow every cell.
    spdlog::warn("{} workers x train.threads = {} use more threads than the {} cores; lower --workers or train.threads",
                 workers, threads, cores);
  }
  spdlog::info("sweep of {}: {} cells ({} done, {} partial, {} failed, {} missing); running {} with {} worker(s) in {}",
               spec_path.string(), table.cells.size(), counts[CellState::Done], counts[CellState::Partial],
               counts[CellState::Failed], counts[CellState::Missing], runs.size(), workers, folder.path().string());
  if (counts[CellState::Failed] > 0 && !options.retry_failed) {
    spdlog::warn("{} cell(s) failed before and are not run again (--retry-failed runs them)",
                 counts[CellState::Failed]);
  }

  ExecutorSettings settings = cell_executor_settings(options.plugin_files);
  settings.workers = workers;
  settings.stop_requested = [&stop] { return stop.requested(); };
  const ExecutorOutcome outcome = run_cells(runs, settings);
  if (stop.requested()) {
    fmt::print(stderr, "stopped by {}; {} cell(s) finished in this run; continue with: attnlab sweep {} --out {}\n",
               signal_name(stop.signal()), outcome.finished, options.spec, options.out);
    return 128 + stop.signal();
  }
  const CollectedSweep collected = collect_and_write(table, folder.path());
  return report_collected(collected, folder.path(), true);
}

}  // namespace attnlab::cli
