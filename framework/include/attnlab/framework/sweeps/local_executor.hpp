// Runs a sweep's cells on this machine: up to N at once, each as a child
// process `attnlab compare` of the same binary, so a cell's results are
// exactly a standalone comparison's. A cell resumes from its own
// checkpoint (compare --resume) when an earlier sweep was stopped or
// killed; a failed cell gets its exit status and error in failure.txt.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace attnlab {

struct CellRun {
  std::string hash;
  std::filesystem::path folder;  // holds config.toml; the comparison goes to run/
  std::string label;             // for progress lines: the cell's swept values
};

struct ExecutorSettings {
  std::filesystem::path executable;           // the attnlab binary
  std::vector<std::string> global_arguments;  // before "compare" (--plugin FILE ...)
  unsigned workers = 1;
  // Polled; once true, no cell starts and the running ones get SIGTERM (by
  // PID), save their state and exit resumable.
  std::function<bool()> stop_requested;
  std::FILE* progress = stderr;  // one line per finished cell, with the ETA
};

struct ExecutorOutcome {
  std::size_t finished = 0;
  std::size_t failed = 0;
  std::size_t stopped = 0;  // unfinished and resumable (a stop, or a cell folder still in use)
};

ExecutorOutcome run_cells(const std::vector<CellRun>& cells, const ExecutorSettings& settings);

}  // namespace attnlab
