// A child process that runs beside the caller (a sweep's cells): started
// without waiting, polled, stopped by its PID. Unlike run_process it forks,
// because the child must ask the kernel for a signal when its parent dies,
// which posix_spawn cannot; between fork and exec it makes only
// async-signal-safe system calls, so it is safe in a multithreaded caller.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct BackgroundExit {
  bool exited_normally = false;  // false: killed by a signal
  int exit_code = 0;             // when exited_normally
  int signal = 0;                // when killed
};

// Starts `executable` with `arguments`: standard input from /dev/null,
// standard output and error appended to `output_file`, no signal blocked,
// in a process group of its own (a terminal's Ctrl-C reaches only the
// caller, which passes the stop on by PID, exactly once), and sent
// `parent_death_signal` when the calling thread ends (a caller killed with
// SIGKILL leaves no child running on). Returns its PID. Throws UsageError
// naming the file when the output cannot be opened, std::runtime_error when
// no process can be started.
pid_t start_background_process(const std::filesystem::path& executable, const std::vector<std::string>& arguments,
                               const std::filesystem::path& output_file, int parent_death_signal);

// The exit of child `pid` if it has ended (reaping it), else nothing.
std::optional<BackgroundExit> poll_background_process(pid_t pid);

}  // namespace attnlab
