#include "common/background_process.hpp"

#include <attnlab/framework/common/errors.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>

namespace attnlab {

pid_t start_background_process(const std::filesystem::path& executable, const std::vector<std::string>& arguments,
                               const std::filesystem::path& output_file, int parent_death_signal) {
  // Everything the child needs is prepared here: after fork it may not allocate.
  std::vector<std::string> storage{executable.string()};
  storage.insert(storage.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : storage) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const int output = ::open(output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (output < 0) throw UsageError("cannot open '" + output_file.string() + "': " + std::strerror(errno));
  const int input = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  sigset_t none;
  sigemptyset(&none);
  static const char kExecFailed[] = "attnlab: cannot start the child process\n";

  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, parent_death_signal);
    // The parent died before the request above took effect: act as if told.
    if (::getppid() != parent) ::_exit(128 + parent_death_signal);
    if (input >= 0) ::dup2(input, STDIN_FILENO);
    ::dup2(output, STDOUT_FILENO);
    ::dup2(output, STDERR_FILENO);
    // The caller blocks SIGINT and SIGTERM to take them on a watcher thread;
    // the child must get them.
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
    ::_exit(127);
  }
  const int fork_error = errno;
  ::close(output);
  if (input >= 0) ::close(input);
  if (pid < 0) {
    throw std::runtime_error(fmt::format("cannot start {}: {}", executable.string(), std::strerror(fork_error)));
  }
  return pid;
}

std::optional<BackgroundExit> poll_background_process(pid_t pid) {
  int status = 0;
  pid_t done = 0;
  do {
    done = ::waitpid(pid, &status, WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == 0) return std::nullopt;
  if (done < 0) throw std::runtime_error(fmt::format("cannot wait for process {}: {}", pid, std::strerror(errno)));
  BackgroundExit exit;
  exit.exited_normally = WIFEXITED(status);
  if (exit.exited_normally) exit.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
  return exit;
}

}  // namespace attnlab
