#include "common/background_process.hpp"

#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/text_file.hpp>
#include <attnlab/framework/results/folder_lock.hpp>
#include <attnlab/framework/sweeps/local_executor.hpp>
#include <attnlab/framework/sweeps/sweep_folder.hpp>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace attnlab {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(20);
// How long a cell waits for a comparison of an earlier, killed sweep to
// save its state and let go of the cell's folder.
constexpr auto kLockWait = std::chrono::seconds(60);

struct Running {
  const CellRun* cell = nullptr;
  pid_t pid = 0;
  Clock::time_point start;
  std::uintmax_t log_offset = 0;  // where this attempt's output starts in compare.log
};

// compare's arguments, without figures: resume a started comparison, replace one killed
// before it wrote its config (a folder attnlab made: --force checks its
// marker), or start afresh.
std::vector<std::string> compare_arguments(const ExecutorSettings& settings, const CellRun& cell) {
  std::vector<std::string> args = settings.global_arguments;
  const fs::path run = cell.folder / "run";
  std::error_code error;
  args.push_back("compare");
  // A cell's figures would cost about half of a small cell's time; the
  // sweep's collected figures show the grid instead.
  args.push_back("--no-figures");
  if (fs::exists(run / "config.toml", error)) {
    args.insert(args.end(), {"--out", run.string(), "--resume"});
  } else {
    args.insert(args.end(), {(cell.folder / "config.toml").string(), "--out", run.string()});
    if (fs::exists(run, error)) args.push_back("--force");
    if (fs::exists(cell.folder / kCellWarmStartFile, error)) {
      std::istringstream text(read_text_file(cell.folder / kCellWarmStartFile));
      std::string source;
      text >> source;
      args.insert(args.end(), {"--from-checkpoint", (cell.folder.parent_path() / source / "run").string()});
    }
  }
  return args;
}

// Whether the cell's run/ folder is free (waiting a while for a comparison
// left over from a killed sweep, which was sent SIGTERM and is saving).
bool wait_for_folder(const fs::path& run, std::string& holder) {
  std::error_code error;
  if (!fs::exists(run, error)) return true;
  const auto deadline = Clock::now() + kLockWait;
  for (;;) {
    try {
      FolderLock probe(run);
      return true;
    } catch (const UsageError& e) {
      holder = e.what();
      if (Clock::now() >= deadline) return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string read_from(const fs::path& file, std::uintmax_t offset) {
  std::ifstream in(file, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The error lines of the attempt's output, else its last lines.
std::string error_of(const std::string& output) {
  std::istringstream lines(output);
  std::vector<std::string> all;
  std::string errors;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("error: ")) errors += line + "\n";
    all.push_back(line);
  }
  if (!errors.empty()) return errors;
  std::string tail;
  for (std::size_t i = all.size() > 5 ? all.size() - 5 : 0; i < all.size(); ++i) tail += all[i] + "\n";
  return tail;
}

std::string exit_text(const BackgroundExit& exit) {
  if (exit.exited_normally) return fmt::format("exit status {}", exit.exit_code);
  const char* name = sigabbrev_np(exit.signal);
  return fmt::format("killed by SIG{} (signal {})", name != nullptr ? name : "?", exit.signal);
}

bool stopped_by_request(const BackgroundExit& exit) {
  if (exit.exited_normally) return exit.exit_code == 128 + SIGINT || exit.exit_code == 128 + SIGTERM;
  return exit.signal == SIGINT || exit.signal == SIGTERM;
}

std::string clock_text(double seconds) {
  const auto whole = static_cast<long long>(seconds + 0.5);
  return whole >= 3600 ? fmt::format("{}:{:02d}:{:02d}", whole / 3600, whole / 60 % 60, whole % 60)
                       : fmt::format("{}:{:02d}", whole / 60, whole % 60);
}

}  // namespace

ExecutorOutcome run_cells(const std::vector<CellRun>& cells, const ExecutorSettings& settings) {
  ExecutorOutcome outcome;
  std::vector<Running> running;
  std::size_t next = 0;
  bool stopping = false;
  double busy_seconds = 0.0;  // summed over the cells finished in this run
  std::size_t timed = 0;
  const unsigned workers = std::max(1u, settings.workers);

  const auto report = [&](const CellRun& cell, const std::string& what) {
    const std::size_t ended = outcome.finished + outcome.failed + outcome.stopped;
    const std::size_t left = cells.size() - ended;
    std::string eta = "ETA unknown";
    if (timed > 0 && left > 0) {
      const double per_cell = busy_seconds / static_cast<double>(timed);
      const double waves = static_cast<double>(left) / static_cast<double>(std::min<std::size_t>(workers, left));
      eta = "ETA " + clock_text(per_cell * waves);
    } else if (left == 0) {
      eta = "all ended";
    }
    fmt::print(settings.progress, "[{}/{} cells] {} {}: {}; {} failed, {} running, {}\n", ended, cells.size(),
               cell.hash, cell.label, what, outcome.failed, running.size(), eta);
    std::fflush(settings.progress);
  };

  while ((!stopping && next < cells.size()) || !running.empty()) {
    if (!stopping && settings.stop_requested && settings.stop_requested()) {
      stopping = true;
      // Exactly the processes started here, by PID: each saves its state.
      for (const Running& r : running) ::kill(r.pid, SIGTERM);
    }
    while (!stopping && next < cells.size() && running.size() < workers) {
      const CellRun& cell = cells[next++];
      std::error_code error;
      fs::remove(cell.folder / kCellFailureFile, error);  // a retried cell
      std::string holder;
      if (!wait_for_folder(cell.folder / "run", holder)) {
        ++outcome.stopped;
        report(cell, "not started: " + holder);
        continue;
      }
      const fs::path log = cell.folder / "compare.log";
      const std::vector<std::string> args = compare_arguments(settings, cell);
      std::string command = settings.executable.string();
      for (const auto& arg : args) command += " " + arg;
      append_to_file(log, "# attnlab sweep runs: " + command + "\n");
      Running r{&cell, 0, Clock::now(), fs::file_size(log, error)};
      r.pid = start_background_process(settings.executable, args, log, SIGTERM);
      running.push_back(r);
    }
    std::this_thread::sleep_for(kPollInterval);
    for (std::size_t i = 0; i < running.size();) {
      const auto exit = poll_background_process(running[i].pid);
      if (!exit) {
        ++i;
        continue;
      }
      const Running r = running[i];
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      const double seconds = std::chrono::duration<double>(Clock::now() - r.start).count();
      std::error_code error;
      const bool done = exit->exited_normally && exit->exit_code == 0 &&
                        fs::is_regular_file(r.cell->folder / "run" / "summary.csv", error);
      if (done) {
        ++outcome.finished;
        busy_seconds += seconds;
        ++timed;
        report(*r.cell, fmt::format("done in {:.1f} s", seconds));
      } else if (stopped_by_request(*exit)) {
        ++outcome.stopped;
        report(*r.cell, "stopped, resumable");
      } else {
        ++outcome.failed;
        busy_seconds += seconds;
        ++timed;
        const std::string error_text = error_of(read_from(r.cell->folder / "compare.log", r.log_offset));
        write_file_atomically(r.cell->folder / kCellFailureFile, exit_text(*exit) + "\n" + error_text);
        report(*r.cell, "FAILED (" + exit_text(*exit) + ", see " + (r.cell->folder / kCellFailureFile).string() + ")");
      }
    }
  }
  outcome.stopped += cells.size() - next;
  return outcome;
}

}  // namespace attnlab
