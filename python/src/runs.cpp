#include "runs.hpp"

#include <fmt/format.h>
#include <pybind11/stl.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

extern char** environ;

namespace py = pybind11;

namespace attnlab::python {
namespace {

// Owns a file descriptor so that every exit path closes it.
class Descriptor {
 public:
  explicit Descriptor(int fd = -1) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

struct Pipe {
  Descriptor read;
  Descriptor write;
};

void make_pipe(Pipe& pipe) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  pipe.read.reset(ends[0]);
  pipe.write.reset(ends[1]);
}

// fork + exec rather than posix_spawn: the child must get SIGTERM when this
// process dies (PR_SET_PDEATHSIG), and be in a process group of its own, so
// that a Ctrl-C in the terminal reaches Python only and the child is stopped
// once, by the SIGTERM sent here. Between fork and exec the child makes only
// async-signal-safe calls; everything it needs is prepared before.
pid_t start_child(const std::string& executable, const std::vector<std::string>& args, int out_fd, int err_fd) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(executable.c_str()));
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start {}: {}", executable, std::strerror(errno)));
  if (pid > 0) return pid;
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  // Python ignores SIGPIPE and handles SIGINT; the CLI expects the defaults.
  for (const int signal : {SIGPIPE, SIGINT, SIGTERM}) std::signal(signal, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  ::execve(executable.c_str(), argv.data(), environ);
  constexpr std::string_view failed = "attnlab: cannot execute the attnlab executable\n";
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, failed.data(), failed.size());
  ::_exit(127);
}

// Output as text, whatever bytes a plugin printed: invalid UTF-8 is replaced
// rather than failing the run.
py::str text_of(const std::string& bytes) {
  PyObject* text = PyUnicode_DecodeUTF8(bytes.data(), static_cast<Py_ssize_t>(bytes.size()), "replace");
  if (text == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(text);
}

// One of the child's two output streams: split into lines, each echoed to
// the same stream of Python's sys (flushed, so a notebook shows it at once).
class Stream {
 public:
  Stream(int fd, const char* python_stream, bool echo) : fd_(fd), python_stream_(python_stream), echo_(echo) {}

  int fd() const { return fd_; }
  bool open() const { return open_; }

  // Reads what is there (the pipe is readable); at end of file the stream closes.
  void read_available() {
    char buffer[8192];
    const ssize_t count = ::read(fd_, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) return;
    if (count <= 0) {
      open_ = false;
      return;
    }
    pending_.append(buffer, static_cast<std::size_t>(count));
  }

  // Passes complete lines on (the GIL held); at the end, the rest too.
  void deliver(bool final) {
    std::size_t start = 0;
    for (std::size_t end; (end = pending_.find('\n', start)) != std::string::npos; start = end + 1) {
      line(pending_.substr(start, end + 1 - start));
    }
    pending_.erase(0, start);
    if (final && !pending_.empty()) {
      line(pending_ + "\n");
      pending_.clear();
    }
  }

  const std::string& text() const { return text_; }
  const std::string& last_error() const { return last_error_; }

 private:
  void line(const std::string& text) {
    text_ += text;
    // spdlog's "error: <message>" lines; the last one says why a run failed.
    constexpr std::string_view prefix = "error: ";
    if (text.compare(0, prefix.size(), prefix) == 0) {
      last_error_ = text.substr(prefix.size(), text.size() - prefix.size() - 1);
    }
    if (!echo_) return;
    const py::object stream = py::module_::import("sys").attr(python_stream_);
    if (stream.is_none()) return;
    stream.attr("write")(text_of(text));
    stream.attr("flush")();
  }

  int fd_;
  const char* python_stream_;
  bool echo_;
  bool open_ = true;
  std::string pending_;
  std::string text_;
  std::string last_error_;
};

// The exit status, or minus the signal that ended the child.
int wait_for(pid_t pid) {
  py::gil_scoped_release release;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

// Runs the executable until it exits, echoing its output. A Python
// exception raised by a signal handler while it runs (KeyboardInterrupt on
// Ctrl-C) sends the child SIGTERM, which it answers by saving a checkpoint
// and exiting; the exception is raised again once it has. A second one sends
// another SIGTERM, on which the CLI stops at once.
std::tuple<int, py::str, py::str> run_command(const std::string& executable, const std::vector<std::string>& args,
                                              bool echo) {
  Pipe out;
  Pipe err;
  make_pipe(out);
  make_pipe(err);
  const pid_t pid = start_child(executable, args, out.write.get(), err.write.get());
  out.write.reset();
  err.write.reset();

  Stream streams[2] = {Stream(out.read.get(), "stdout", echo), Stream(err.read.get(), "stderr", echo)};
  std::optional<py::error_already_set> interrupted;
  try {
    while (streams[0].open() || streams[1].open()) {
      pollfd ready[2];
      nfds_t count = 0;
      for (const Stream& stream : streams) {
        if (stream.open()) ready[count++] = pollfd{stream.fd(), POLLIN, 0};
      }
      {
        // About every 100 ms back with the GIL, to notice Python's signals.
        py::gil_scoped_release release;
        if (::poll(ready, count, 100) < 0 && errno != EINTR) break;
      }
      for (nfds_t i = 0; i < count; ++i) {
        if (ready[i].revents == 0) continue;
        for (Stream& stream : streams) {
          if (stream.fd() == ready[i].fd) stream.read_available();
        }
      }
      for (Stream& stream : streams) stream.deliver(false);
      if (PyErr_CheckSignals() != 0) {
        if (!interrupted)
          interrupted.emplace();  // fetches and clears the pending exception
        else
          PyErr_Clear();
        ::kill(pid, SIGTERM);
      }
    }
  } catch (...) {
    // Echoing failed (a closed sys.stdout, say): no child is left behind.
    ::kill(pid, SIGTERM);
    wait_for(pid);
    throw;
  }
  const int status = wait_for(pid);
  for (Stream& stream : streams) stream.deliver(true);
  if (interrupted) throw *interrupted;
  return {status, text_of(streams[0].text()), text_of(streams[1].last_error())};
}

}  // namespace

void bind_runs(py::module_& module) {
  module.def("run_command", &run_command, py::arg("executable"), py::arg("args"), py::arg("echo") = true,
             "Runs the attnlab executable with `args` as a child process, echoing its output to sys.stdout and "
             "sys.stderr; returns (exit status or minus the signal, its standard output, its last error line).");
}

}  // namespace attnlab::python
