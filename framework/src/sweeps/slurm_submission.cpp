#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>
#include <attnlab/framework/sweeps/slurm_submission.hpp>

#include "common/child_process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <sstream>

namespace attnlab {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSubmissionPrefix = "submission-";

// A word the shell reads back as exactly `text`.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

// The submission folders of a sweep, by number.
std::map<unsigned, fs::path> submissions(const fs::path& sweep_folder) {
  std::map<unsigned, fs::path> found;
  std::error_code error;
  for (auto it = fs::directory_iterator(sweep_folder / "slurm", error); !error && it != fs::directory_iterator();
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!it->is_directory() || !name.starts_with(kSubmissionPrefix)) continue;
    unsigned number = 0;
    const char* first = name.data() + std::string_view(kSubmissionPrefix).size();
    const auto [end, status] = std::from_chars(first, name.data() + name.size(), number);
    if (status == std::errc() && end == name.data() + name.size()) found[number] = it->path();
  }
  return found;
}

std::size_t task_count(const fs::path& submission) {
  const std::string text = trimmed(read_text_file(submission / "tasks", "task count of Slurm submission"));
  std::size_t tasks = 0;
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), tasks);
  if (status != std::errc() || end != text.data() + text.size() || tasks == 0) {
    throw UsageError("'" + (submission / "tasks").string() + "' does not hold a task count");
  }
  return tasks;
}

// The array tasks of `job` that squeue lists (pending ones may come as a
// range, "12_[3-5,7%2]"), as task -> state.
std::map<std::size_t, std::string> queued_tasks(const fs::path& squeue, const std::string& job) {
  std::map<std::size_t, std::string> tasks;
  const ProcessOutcome listed = run_process(squeue, {"-h", "-r", "-j", job, "-o", "%i %T"}, fs::current_path());
  if (!listed.exited_normally || listed.exit_code != 0) return tasks;  // a job Slurm no longer knows
  std::istringstream lines(listed.standard_output);
  std::string id;
  std::string state;
  while (lines >> id >> state) {
    const auto underscore = id.find('_');
    if (underscore == std::string::npos) continue;
    std::string range = id.substr(underscore + 1);
    range.erase(std::remove_if(range.begin(), range.end(), [](char c) { return c == '[' || c == ']'; }), range.end());
    range = range.substr(0, range.find('%'));
    std::istringstream parts(range);
    std::string part;
    while (std::getline(parts, part, ',')) {
      std::size_t low = 0;
      std::size_t high = 0;
      const auto split = part.find('-');
      const std::string low_text = part.substr(0, split);
      const std::string high_text = split == std::string::npos ? low_text : part.substr(split + 1);
      if (std::from_chars(low_text.data(), low_text.data() + low_text.size(), low).ec != std::errc() ||
          std::from_chars(high_text.data(), high_text.data() + high_text.size(), high).ec != std::errc()) {
        continue;
      }
      for (std::size_t task = low; task <= high; ++task) tasks[task] = state;
    }
  }
  return tasks;
}

}  // namespace

SlurmSubmission write_slurm_submission(const fs::path& sweep_folder, const CellTable& cells,
                                       const SlurmSettings& settings, const std::vector<std::string>& attnlab) {
  const auto existing = submissions(sweep_folder);
  const unsigned number = existing.empty() ? 1 : existing.rbegin()->first + 1;
  SlurmSubmission submission;
  submission.folder = sweep_folder / "slurm" / fmt::format("{}{}", kSubmissionPrefix, number);
  std::error_code error;
  fs::create_directories(submission.folder.parent_path(), error);
  if (error || !fs::create_directory(submission.folder, error)) {
    throw UsageError("cannot create Slurm submission folder '" + submission.folder.string() +
                     "': " + (error ? error.message() : "it exists"));
  }
  const std::size_t per_task = std::max(1u, settings.cells_per_task);
  submission.tasks = (cells.cells.size() + per_task - 1) / per_task;

  std::string script = "#!/bin/bash\n";
  script += fmt::format("# attnlab sweep {}: {} cells in {} array tasks of up to {} cells each.\n",
                        sweep_folder.string(), cells.cells.size(), submission.tasks, per_task);
  script += "# Written by `attnlab sweep SPEC --slurm`; each task runs its share of cells.csv here.\n";
  script += "#SBATCH --job-name=attnlab-sweep\n";
  script += fmt::format("#SBATCH --array=0-{}{}\n", submission.tasks - 1,
                        settings.max_parallel > 0 ? fmt::format("%{}", settings.max_parallel) : "");
  script += fmt::format("#SBATCH --cpus-per-task={}\n", std::max(1u, settings.cpus_per_task));
  if (!settings.time.empty()) script += "#SBATCH --time=" + settings.time + "\n";
  if (!settings.partition.empty()) script += "#SBATCH --partition=" + settings.partition + "\n";
  // Every task waits until the whole earlier job succeeded (a phase whose
  // cells start from that job's results); if it failed, the tasks leave the
  // queue instead of waiting for ever.
  if (!settings.after_job.empty()) {
    script += "#SBATCH --dependency=afterok:" + settings.after_job + "\n";
    script += "#SBATCH --kill-on-invalid-dep=yes\n";
  }
  script += "#SBATCH --output=" + (submission.folder / "task-%a.out").string() + "\n";
  std::string command = "exec";
  for (const std::string& word : attnlab) command += fmt::format(" {}", shell_quoted(word));
  command += fmt::format(" sweep run {} --task \"$SLURM_ARRAY_TASK_ID\"", shell_quoted(submission.folder.string()));
  script += command + "\n";

  write_file_atomically(submission.folder / "cells.csv", cell_table_csv(cells));
  write_file_atomically(submission.folder / "tasks", fmt::format("{}\n", submission.tasks));
  write_file_atomically(submission.folder / "job.sh", script);
  fs::permissions(submission.folder / "job.sh", fs::perms::owner_exec, fs::perm_options::add, error);
  return submission;
}

void submit_slurm_job(SlurmSubmission& submission) {
  const auto sbatch = find_on_path("sbatch");
  if (!sbatch) {
    throw UsageError("sbatch not found on PATH: this machine cannot submit to Slurm (the script is written: " +
                     (submission.folder / "job.sh").string() + ")");
  }
  const ProcessOutcome outcome = run_process(*sbatch, {"--parsable", "job.sh"}, submission.folder);
  if (!outcome.exited_normally || outcome.exit_code != 0) {
    throw UsageError("sbatch refused " + (submission.folder / "job.sh").string() + ": " +
                     trimmed(outcome.standard_error));
  }
  // --parsable answers "id" or "id;cluster".
  std::string answer = trimmed(outcome.standard_output);
  submission.job_id = answer.substr(0, answer.find(';'));
  if (submission.job_id.empty()) throw UsageError("sbatch gave no job id for " + submission.folder.string());
  write_file_atomically(submission.folder / "job_id", submission.job_id + "\n");
}

namespace {

CellTable submission_cells(const fs::path& submission) {
  const fs::path cells_file = submission / "cells.csv";
  return read_cell_table(read_text_file(cells_file, "cells of Slurm submission"), cells_file.string());
}

}  // namespace

std::vector<PlannedCell> slurm_task_cells(const fs::path& submission, std::size_t task) {
  const std::size_t tasks = task_count(submission);
  if (task >= tasks) {
    throw UsageError(fmt::format("task {} is out of range: Slurm submission '{}' has tasks 0 to {}", task,
                                 submission.string(), tasks - 1));
  }
  return task_share(submission_cells(submission), task, tasks);
}

std::map<std::string, std::string> slurm_queued_cells(const fs::path& sweep_folder) {
  std::map<std::string, std::string> queued;
  const auto squeue = find_on_path("squeue");
  if (!squeue) return queued;
  for (const auto& [number, submission] : submissions(sweep_folder)) {
    std::error_code error;
    if (!fs::exists(submission / "job_id", error)) continue;
    const std::string job = trimmed(read_text_file(submission / "job_id"));
    const std::map<std::size_t, std::string> tasks = queued_tasks(*squeue, job);
    if (tasks.empty()) continue;
    // Read once per submission, not per queued task.
    const std::size_t count = task_count(submission);
    const CellTable cells = submission_cells(submission);
    for (const auto& [task, state] : tasks) {
      if (task >= count) continue;
      for (const PlannedCell& cell : task_share(cells, task, count)) queued[cell.hash] = state;
    }
  }
  return queued;
}

}  // namespace attnlab
