// Running a helper program (gnuplot) as a child process: no shell, so paths
// and arguments never need quoting.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

// The executable file `program` names in a folder of $PATH, or nothing.
std::optional<std::filesystem::path> find_on_path(const std::string& program);

struct ProcessOutcome {
  bool exited_normally = false;  // false: killed by a signal
  int exit_code = 0;             // when exited_normally
  int signal = 0;                // when killed
  std::string standard_error;
};

// Runs `executable` with `arguments` in `working_directory` and waits for it.
// Standard input and output are /dev/null; standard error is captured.
// Throws std::runtime_error when the process cannot be started.
ProcessOutcome run_process(const std::filesystem::path& executable, const std::vector<std::string>& arguments,
                           const std::filesystem::path& working_directory);

}  // namespace attnlab
