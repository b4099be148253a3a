// Running a helper program (gnuplot) as a child process: no shell, so paths
// and arguments never need quoting. And running a piece of this program in a
// forked child (run_isolated), so that a crash or hang there (a faulty
// plugin) cannot take the caller down.
#pragma once

#include <filesystem>
#include <functional>
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
  std::string standard_output;
  std::string standard_error;
};

// Runs `executable` with `arguments` in `working_directory` and waits for it.
// Standard input is /dev/null; standard output and error are captured.
// Throws std::runtime_error when the process cannot be started.
ProcessOutcome run_process(const std::filesystem::path& executable, const std::vector<std::string>& arguments,
                           const std::filesystem::path& working_directory);

// What became of work run by run_isolated.
struct IsolatedOutcome {
  enum class Status {
    Answered,  // work returned; `answer` holds its text
    Threw,     // work threw; `answer` holds the exception's message
    Crashed,   // killed by a signal, or exited without an answer
    TimedOut,  // no answer within the time limit; the child was killed
  };
  Status status = Status::Crashed;
  std::string answer;
  int signal = 0;      // Crashed: the signal, 0 when it exited
  int exit_code = 0;   // Crashed without a signal: its exit status
  double timeout = 0;  // the limit, in seconds

  bool answered() const { return status == Status::Answered; }
  // "crashed (SIGSEGV)", "crashed (exit status 1 without an answer)",
  // "hung (no answer in 2 s)", or the exception's message.
  std::string failure() const;
};

// Runs `work` in a forked child process and returns what it returned. The
// child starts with the default action for SIGSEGV, SIGBUS, SIGFPE, SIGILL and
// SIGABRT (no handler of the parent's or a sanitizer's in between, so a crash
// is reported by its signal), no signal blocked and no core dump; it ends with
// _exit, running no destructors or exit handlers. A child that has not
// answered after `timeout_seconds` is killed (SIGKILL, by its process id).
// Output buffered in stdio is flushed before the fork. Throws
// std::runtime_error only when no child can be started.
IsolatedOutcome run_isolated(const std::function<std::string()>& work, double timeout_seconds);

}  // namespace attnlab
