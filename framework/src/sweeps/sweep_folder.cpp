#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>
#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/sweeps/sweep_folder.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace attnlab {
namespace fs = std::filesystem;
namespace {

constexpr const char* kSpecRecord = "sweep_spec = \"";

// The spec path a sweep folder's marker records; "" for another attnlab folder.
std::string recorded_spec(const fs::path& folder) {
  std::ifstream marker(folder / kMarkerFileName);
  for (std::string line; std::getline(marker, line);) {
    if (line.starts_with(kSpecRecord) && line.size() > std::string_view(kSpecRecord).size() && line.back() == '"') {
      return line.substr(std::string_view(kSpecRecord).size(), line.size() - std::string_view(kSpecRecord).size() - 1);
    }
  }
  return "";
}

bool has_marker(const fs::path& folder) {
  std::error_code error;
  return fs::is_regular_file(folder / kMarkerFileName, error);
}

}  // namespace

const char* cell_state_name(CellState state) {
  switch (state) {
    case CellState::Done:
      return "done";
    case CellState::Partial:
      return "partial";
    case CellState::Failed:
      return "failed";
    case CellState::Missing:
      break;
  }
  return "missing";
}

CellState cell_state(const fs::path& cell_folder) {
  std::error_code error;
  if (fs::is_regular_file(cell_folder / "run" / "summary.csv", error)) return CellState::Done;
  if (fs::exists(cell_folder / kCellFailureFile, error)) return CellState::Failed;
  if (fs::exists(cell_folder / "run", error)) return CellState::Partial;
  return CellState::Missing;
}

void prepare_cell_folder(const fs::path& cell_folder, const std::string& resolved_toml, const std::string& label,
                         const std::string& warm_start_hash) {
  const fs::path config = cell_folder / "config.toml";
  std::error_code error;
  if (fs::exists(config, error)) {
    const auto differences = config_differences(read_text_file(config), resolved_toml);
    if (!differences.empty()) {
      throw UsageError("cell folder '" + cell_folder.string() + "' holds another config than cell " + label + " (" +
                       differences.front() + "); move it away to run the cell again");
    }
    return;
  }
  fs::create_directories(cell_folder, error);
  if (error) throw UsageError("cannot create cell folder '" + cell_folder.string() + "': " + error.message());
  // The warm start first: a cell with a config.toml is complete.
  if (!warm_start_hash.empty()) write_file_atomically(cell_folder / kCellWarmStartFile, warm_start_hash + "\n");
  write_file_atomically(config, resolved_toml);
}

void check_sweep_folder(const fs::path& folder, const fs::path& spec) {
  std::error_code error;
  const auto status = fs::status(folder, error);
  if (!fs::exists(status)) return;
  if (!fs::is_directory(status)) throw UsageError("sweep folder '" + folder.string() + "' exists and is not a folder");
  if (fs::is_empty(folder, error)) return;
  if (!has_marker(folder)) {
    throw UsageError("sweep folder '" + folder.string() + "' already exists and attnlab did not make it (no " +
                     kMarkerFileName + " file; it holds " + describe_contents(folder) + "); choose another --out");
  }
  const std::string recorded = recorded_spec(folder);
  if (recorded.empty()) {
    throw UsageError("'" + folder.string() + "' is an attnlab results folder, not a sweep's; choose another --out");
  }
  if (recorded != spec.string()) {
    throw UsageError("sweep folder '" + folder.string() + "' holds the sweep of spec '" + recorded + "', not of '" +
                     spec.string() + "'; choose another --out");
  }
}

SweepFolder::SweepFolder(fs::path folder, const fs::path& spec) : path_(std::move(folder)) {
  check_sweep_folder(path_, spec);
  std::error_code error;
  fs::create_directories(path_ / "cells", error);
  if (error) throw UsageError("cannot create sweep folder '" + path_.string() + "': " + error.message());
  if (!has_marker(path_)) {
    write_file_atomically(path_ / kMarkerFileName,
                          "# Made by attnlab: the sweep of one spec file; `--force` may replace this folder.\n" +
                              std::string(kSpecRecord) + spec.string() + "\"\n");
  }
  lock_ = FolderLock(path_);
  // Another sweep may have made the folder between the check and the lock.
  check_sweep_folder(path_, spec);
}

SweepFolder SweepFolder::open_existing(fs::path folder) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw UsageError("sweep folder '" + folder.string() + "' does not exist");
  if (!has_marker(folder) || recorded_spec(folder).empty()) {
    throw UsageError("'" + folder.string() + "' is not an attnlab sweep folder (no sweep marker)");
  }
  if (!fs::is_regular_file(folder / "cells.csv", error)) {
    throw UsageError("sweep folder '" + folder.string() + "' has no cells.csv: run the sweep first");
  }
  SweepFolder sweep(std::move(folder));
  sweep.lock_ = FolderLock(sweep.path_);
  return sweep;
}

}  // namespace attnlab
