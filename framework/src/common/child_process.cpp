#include "common/child_process.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

extern char** environ;

namespace attnlab {
namespace {

std::string path_variable() {
  if (const char* path = std::getenv("PATH")) return path;
  // POSIX: with no PATH, search the system's default folders.
  const std::size_t size = confstr(_CS_PATH, nullptr, 0);
  std::string fallback(size, '\0');
  if (size > 0) confstr(_CS_PATH, fallback.data(), size);
  fallback.resize(fallback.empty() ? 0 : size - 1);
  return fallback;
}

// Owns a file descriptor so that every exit path closes it.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  ~FileDescriptor() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() { posix_spawnattr_init(&attributes_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

void check_spawn_call(int status, std::string_view what) {
  if (status != 0)
    throw std::runtime_error(fmt::format("cannot prepare child process ({}): {}", what, std::strerror(status)));
}

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t count = ::write(fd, text.data() + done, text.size() - done);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return;
    done += static_cast<std::size_t>(count);
  }
}

// The child's side of run_isolated; never returns.
[[noreturn]] void run_child(const std::function<std::string()>& work, int answer_fd) {
  for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  std::string reply;
  try {
    reply = "A" + work();
  } catch (const std::exception& error) {
    reply = std::string("E") + error.what();
  } catch (...) {
    reply = "Eunknown exception (not derived from std::exception)";
  }
  write_all(answer_fd, reply);
  std::fflush(nullptr);
  ::_exit(0);
}

std::string signal_name(int sig) {
  if (const char* abbreviation = sigabbrev_np(sig)) return std::string("SIG") + abbreviation;
  return "signal " + std::to_string(sig);
}

}  // namespace

std::string IsolatedOutcome::failure() const {
  switch (status) {
    case Status::Answered:
      return "";
    case Status::Threw:
      return answer;
    case Status::Crashed:
      if (signal != 0) return "crashed (" + signal_name(signal) + ")";
      return "crashed (exit status " + std::to_string(exit_code) + " without an answer)";
    case Status::TimedOut:
      return fmt::format("hung (no answer in {:g} s)", timeout);
  }
  return "";
}

IsolatedOutcome run_isolated(const std::function<std::string()>& work, double timeout_seconds) {
  using Clock = std::chrono::steady_clock;
  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("cannot create a pipe for a child process: {}", std::strerror(errno)));
  FileDescriptor read_end(pipe_ends[0]);
  FileDescriptor write_end(pipe_ends[1]);

  std::fflush(nullptr);  // or the child would print the parent's buffered output again
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start a child process: {}", std::strerror(errno)));
  if (pid == 0) {
    read_end.reset();
    run_child(work, write_end.get());
  }
  write_end.reset();  // EOF arrives when the child has answered and exited

  IsolatedOutcome outcome;
  outcome.timeout = timeout_seconds;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_seconds));
  const auto milliseconds_left = [&] {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1'000'000));
  };
  std::string reply;
  bool timed_out = false;
  char buffer[4096];
  for (;;) {
    pollfd ready{read_end.get(), POLLIN, 0};
    const int polled = ::poll(&ready, 1, milliseconds_left());
    if (polled < 0 && errno == EINTR) continue;
    if (polled == 0) {
      timed_out = true;
      break;
    }
    const ssize_t count = ::read(read_end.get(), buffer, sizeof buffer);
    if (count > 0) {
      reply.append(buffer, static_cast<std::size_t>(count));
    } else if (count == 0 || errno != EINTR) {
      break;
    }
  }
  int wait_status = 0;
  pid_t waited = 0;
  while (!timed_out) {
    waited = ::waitpid(pid, &wait_status, WNOHANG);
    if (waited == pid || (waited < 0 && errno != EINTR)) break;
    if (milliseconds_left() == 0) {
      timed_out = true;
      break;
    }
    ::usleep(1000);
  }
  if (timed_out) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    outcome.status = IsolatedOutcome::Status::TimedOut;
    return outcome;
  }
  if (WIFSIGNALED(wait_status)) {
    outcome.status = IsolatedOutcome::Status::Crashed;
    outcome.signal = WTERMSIG(wait_status);
    return outcome;
  }
  const int exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  if (exit_code != 0 || reply.empty() || (reply[0] != 'A' && reply[0] != 'E')) {
    outcome.status = IsolatedOutcome::Status::Crashed;
    outcome.exit_code = exit_code;
    return outcome;
  }
  outcome.status = reply[0] == 'A' ? IsolatedOutcome::Status::Answered : IsolatedOutcome::Status::Threw;
  outcome.answer = reply.substr(1);
  return outcome;
}

std::optional<std::filesystem::path> find_on_path(const std::string& program) {
  const std::string path = path_variable();
  std::size_t begin = 0;
  while (begin <= path.size()) {
    const std::size_t end = std::min(path.find(':', begin), path.size());
    // An empty entry means the current folder.
    const std::string folder = end > begin ? path.substr(begin, end - begin) : ".";
    const std::filesystem::path candidate = std::filesystem::path(folder) / program;
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error) && ::access(candidate.c_str(), X_OK) == 0)
      return std::filesystem::absolute(candidate, error);
    begin = end + 1;
  }
  return std::nullopt;
}

ProcessOutcome run_process(const std::filesystem::path& executable, const std::vector<std::string>& arguments,
                           const std::filesystem::path& working_directory) {
  const auto open_pipe = [&](const char* which) {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) {
      throw std::runtime_error(
          fmt::format("cannot create a pipe for {}'s {}: {}", executable.string(), which, std::strerror(errno)));
    }
    return std::pair{FileDescriptor(ends[0]), FileDescriptor(ends[1])};
  };
  auto [output_read, output_write] = open_pipe("output");
  auto [error_read, error_write] = open_pipe("errors");

  SpawnActions actions;
  check_spawn_call(posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0), "stdin");
  check_spawn_call(posix_spawn_file_actions_adddup2(actions.get(), output_write.get(), STDOUT_FILENO), "stdout");
  check_spawn_call(posix_spawn_file_actions_adddup2(actions.get(), error_write.get(), STDERR_FILENO), "stderr");
  check_spawn_call(posix_spawn_file_actions_addchdir_np(actions.get(), working_directory.c_str()), "chdir");

  std::vector<std::string> argv_storage;
  argv_storage.push_back(executable.string());
  argv_storage.insert(argv_storage.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (std::string& argument : argv_storage) argv.push_back(argument.data());
  argv.push_back(nullptr);

  // The child starts with no signal blocked: the caller may block SIGINT and
  // SIGTERM to take them on a watcher thread (cli/stop_signals.hpp), and a
  // child must still die of them.
  SpawnAttributes attributes;
  sigset_t none;
  sigemptyset(&none);
  check_spawn_call(posix_spawnattr_setsigmask(attributes.get(), &none), "signal mask");
  check_spawn_call(posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETSIGMASK), "signal mask");

  pid_t pid = 0;
  const int spawn_status = posix_spawn(&pid, executable.c_str(), actions.get(), attributes.get(), argv.data(), environ);
  if (spawn_status != 0)
    throw std::runtime_error(fmt::format("cannot start {}: {}", executable.string(), std::strerror(spawn_status)));
  // The child holds its own copies; EOF arrives on each when it exits.
  output_write.reset();
  error_write.reset();

  // Both pipes at once: reading one to its end first could leave the child
  // blocked on a full other one.
  ProcessOutcome outcome;
  pollfd ends[2] = {{output_read.get(), POLLIN, 0}, {error_read.get(), POLLIN, 0}};
  std::string* texts[2] = {&outcome.standard_output, &outcome.standard_error};
  int open_ends = 2;
  char buffer[4096];
  while (open_ends > 0) {
    if (::poll(ends, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (ends[k].fd < 0 || ends[k].revents == 0) continue;
      const ssize_t count = ::read(ends[k].fd, buffer, sizeof buffer);
      if (count > 0) {
        texts[k]->append(buffer, static_cast<std::size_t>(count));
      } else if (count == 0 || errno != EINTR) {
        ends[k].fd = -1;  // poll skips negative descriptors
        --open_ends;
      }
    }
  }

  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR)
      throw std::runtime_error(fmt::format("cannot wait for {}: {}", executable.string(), std::strerror(errno)));
  }
  outcome.exited_normally = WIFEXITED(wait_status);
  if (outcome.exited_normally) outcome.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) outcome.signal = WTERMSIG(wait_status);
  return outcome;
}

}  // namespace attnlab
