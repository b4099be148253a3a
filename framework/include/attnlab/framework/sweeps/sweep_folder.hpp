// A sweep's folder, with the results folders' rules (results_folder.hpp):
// attnlab marks every folder it makes, and a run holds its lock. An
// existing folder is taken up again only when attnlab made it as the sweep
// of the same spec file (its marker records the spec's path); any other
// folder is refused, naming it and what it holds.
//
//   FOLDER/.attnlab-results     marker: "sweep_spec = <absolute path of the spec>"
//   FOLDER/spec.toml            the spec as last run
//   FOLDER/cells.csv            the cells of that spec: hash, swept values, seed
//   FOLDER/cells/<hash>/        one comparison: config.toml (resolved), run/
//                               (its results folder), compare.log, failure.txt,
//                               warm_start (a cell that starts from another's models)
//   FOLDER/metrics.csv, final.csv, summary.md   the collected results
#pragma once

#include <attnlab/framework/results/folder_lock.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace attnlab {

enum class CellState { Done, Partial, Failed, Missing };

// "done", "partial", "failed", "missing"
const char* cell_state_name(CellState state);

// From what a cell folder holds: run/summary.csv (done), failure.txt
// (failed), run/ (partial: resumable), nothing (missing).
CellState cell_state(const std::filesystem::path& cell_folder);

// The cell folder's file that records a failure: exit status, then the error.
inline constexpr const char* kCellFailureFile = "failure.txt";

// The cell folder's file that names the cell (its hash) whose final
// parameters the cell's models start from; absent for a cold start.
inline constexpr const char* kCellWarmStartFile = "warm_start";

// Writes a new cell folder's config.toml (and warm_start when
// `warm_start_hash` is not empty). An existing one must hold the same config:
// otherwise throws UsageError naming the folder and `label`.
void prepare_cell_folder(const std::filesystem::path& cell_folder, const std::string& resolved_toml,
                         const std::string& label, const std::string& warm_start_hash = "");

// Checks an existing sweep folder without touching it (a dry run): nothing
// when it does not exist or is empty; the spec path it records otherwise.
// Throws UsageError naming the folder when it is not an attnlab sweep
// folder, or is that of another spec than `spec` (absolute).
void check_sweep_folder(const std::filesystem::path& folder, const std::filesystem::path& spec);

class SweepFolder {
 public:
  // Creates the folder (with its marker) or takes up the one of the same
  // spec, and locks it. Throws UsageError naming the folder otherwise, or
  // naming the PID of the run that holds its lock.
  SweepFolder(std::filesystem::path folder, const std::filesystem::path& spec);

  // Opens an existing sweep folder to read it (sweep collect), and locks it
  // so that no sweep writes while it is read.
  static SweepFolder open_existing(std::filesystem::path folder);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path cell(const std::string& hash) const { return path_ / "cells" / hash; }

 private:
  explicit SweepFolder(std::filesystem::path folder) : path_(std::move(folder)) {}
  std::filesystem::path path_;
  FolderLock lock_;
};

}  // namespace attnlab
