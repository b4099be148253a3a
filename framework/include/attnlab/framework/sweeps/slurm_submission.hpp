// A sweep's cells as a Slurm job array. Each submission is a folder of the
// sweep folder, written before sbatch is called so that the job needs
// nothing else:
//
//   FOLDER/slurm/submission-<n>/cells.csv   the cells it runs (cells.csv format)
//   FOLDER/slurm/submission-<n>/tasks       the number of array tasks
//   FOLDER/slurm/submission-<n>/job.sh      the sbatch script: task k runs
//                                           `attnlab sweep run <submission> --task k`
//   FOLDER/slurm/submission-<n>/job_id      sbatch's answer (absent after a dry run)
//   FOLDER/slurm/submission-<n>/task-<k>.out  each task's output
//
// A task's cells are task_share() of the submission's cells (by hash, every
// tasks-th), each run as on the local executor: `attnlab compare` in its
// cell folder, resumed from its checkpoint if it was started before.
#pragma once

#include <attnlab/framework/sweeps/cell_table.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace attnlab {

struct SlurmSettings {
  std::string partition;        // empty: the cluster's default partition
  std::string time;             // --time of each task; empty: the partition's default
  unsigned cpus_per_task = 1;   // --cpus-per-task
  unsigned max_parallel = 0;    // tasks running at once (the array's %K); 0: no limit
  unsigned cells_per_task = 1;  // cells one task runs, one after another
  std::string after_job;        // a job id: start once it has finished without error (empty: at once)
};

struct SlurmSubmission {
  std::filesystem::path folder;
  std::size_t tasks = 0;
  std::string job_id;  // after submit_slurm_job
};

// Writes the next submission folder for `cells` (not empty). `attnlab`
// is the command a task starts with: the binary and its global options.
SlurmSubmission write_slurm_submission(const std::filesystem::path& sweep_folder, const CellTable& cells,
                                       const SlurmSettings& settings, const std::vector<std::string>& attnlab);

// Submits the submission's job.sh with `sbatch --parsable` and records the
// job id. Throws UsageError with sbatch's message when it refuses or is not
// installed.
void submit_slurm_job(SlurmSubmission& submission);

// The cells task `task` of a submission runs. Throws UsageError naming the
// folder when it is not a submission or the task is out of range.
std::vector<PlannedCell> slurm_task_cells(const std::filesystem::path& submission, std::size_t task);

// The cells of the sweep's submissions that Slurm has queued or running now
// (squeue), as hash -> Slurm's state ("PENDING", "RUNNING", ...). Empty when
// no submission has a job id or squeue is not installed.
std::map<std::string, std::string> slurm_queued_cells(const std::filesystem::path& sweep_folder);

}  // namespace attnlab
