#include "supervisor.hpp"

#include <attnlab/framework/common/call_monitor.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <new>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

namespace attnlab::cli {
namespace {

// The auto limit of one call: 100 times the median call, at least a minute.
constexpr double kTimeoutFloorSeconds = 60.0;
constexpr double kTimeoutMedianFactor = 100.0;

// The shared board, mapped before the fork so both processes see it.
class SharedBoard {
 public:
  SharedBoard() {
    void* memory = mmap(nullptr, sizeof(CallBoard), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
      throw std::runtime_error(std::string("cannot map the call board: ") + std::strerror(errno));
    board_ = new (memory) CallBoard();
  }
  ~SharedBoard() { munmap(board_, sizeof(CallBoard)); }
  SharedBoard(const SharedBoard&) = delete;
  SharedBoard& operator=(const SharedBoard&) = delete;

  CallBoard& get() { return *board_; }
  // Empties it for a new child.
  void reset() {
    board_->~CallBoard();
    board_ = new (board_) CallBoard();
    board_->slot_count = 0;
    board_->supervisor_pid = static_cast<std::int32_t>(getpid());
    board_->data_plugin[0] = board_->optimizer_plugin[0] = board_->top_folder[0] = board_->run_folder[0] = '\0';
    for (CallSlot& slot : board_->slots) slot.model[0] = '\0';
  }

 private:
  CallBoard* board_ = nullptr;
};

std::string signal_text(int signal) {
  const char* abbreviation = sigabbrev_np(signal);
  return abbreviation != nullptr ? fmt::format("SIG{} (signal {})", abbreviation, signal)
                                 : fmt::format("signal {}", signal);
}

// The limit of one call now: the given one, else the auto limit from the
// durations of the calls so far.
double call_limit_seconds(const CallBoard& board, double given) {
  if (given > 0.0) return given;
  std::uint64_t counts[48] = {};
  std::uint64_t total = 0;
  for (std::uint32_t s = 0; s < board.slot_count; ++s) {
    for (int k = 0; k < 48; ++k) {
      counts[k] += board.slots[s].durations[k].load(std::memory_order_relaxed);
    }
  }
  for (const std::uint64_t count : counts) total += count;
  if (total == 0) return kTimeoutFloorSeconds;
  std::uint64_t seen = 0;
  int bucket = 0;
  for (; bucket < 48; ++bucket) {
    seen += counts[bucket];
    if (2 * seen >= total) break;
  }
  // The bucket's upper end: the median is at most this.
  const double median_seconds = std::ldexp(1.0, bucket + 1) * 1e-9;
  return std::max(kTimeoutFloorSeconds, kTimeoutMedianFactor * median_seconds);
}

struct Failure {
  std::uint32_t slot = 0;
  PluginRole role = PluginRole::Activation;
  PluginCall call = PluginCall::None;
  std::uint64_t step = 0;
  std::string plugin;  // the plugin's id
  std::string model;   // the model's activation id ("" for the data stream)
  std::string reason;  // "crashed: ..." or "hung: ..."
};

// The slot whose call the child died in: the one the crash recorder names
// (none when its signal hit outside a plugin call), else, when the recorder
// did not run (a sanitizer's handler ended the process, or the plugin
// exited), the marked call that started first (the other models finish
// their step and wait for it), else none.
// What the supervisor saw of one slot's call in flight: its number, and
// since when (the parent's clock; the child reads no clock for it).
struct CallWatch {
  std::uint64_t call_number = 0;
  std::int64_t since_ns = 0;
};

std::optional<std::uint32_t> failed_slot(const CallBoard& board, const std::vector<CallWatch>& watches) {
  if (board.crash_signal.load() != 0) {
    const std::int32_t crashed = board.crashed_slot.load();
    if (crashed >= 0 && static_cast<std::uint32_t>(crashed) < board.slot_count &&
        board.slots[crashed].call.load() != 0) {
      return static_cast<std::uint32_t>(crashed);
    }
    return std::nullopt;
  }
  std::optional<std::uint32_t> first;
  for (std::uint32_t s = 0; s < board.slot_count; ++s) {
    if (board.slots[s].call.load() == 0) continue;
    const auto since = [&](std::uint32_t i) {
      return watches[i].call_number == board.slots[i].calls.load() ? watches[i].since_ns : monotonic_ns();
    };
    if (!first || since(s) < since(*first)) first = s;
  }
  return first;
}

// "crashed: activation plugin 'x' forward at step 12: killed by SIGSEGV ..."
Failure describe(const CallBoard& board, std::uint32_t slot, const char* outcome, const std::string& what) {
  Failure failure;
  const CallSlot& s = board.slots[slot];
  failure.slot = slot;
  failure.role = static_cast<PluginRole>(s.role.load());
  failure.call = static_cast<PluginCall>(s.call.load());
  failure.step = s.step.load();
  failure.model = s.model;
  failure.plugin = failure.role == PluginRole::Activation  ? std::string(s.model)
                   : failure.role == PluginRole::DataModel ? std::string(board.data_plugin)
                                                           : std::string(board.optimizer_plugin);
  const char* kind = failure.role == PluginRole::Activation  ? "activation"
                     : failure.role == PluginRole::DataModel ? "data model"
                                                             : "optimizer";
  failure.reason = fmt::format(
      "{}: {} plugin '{}' {} at step {}{}: {}", outcome, kind, failure.plugin, plugin_call_name(failure.call),
      failure.step,
      failure.model.empty() || failure.role == PluginRole::Activation ? "" : fmt::format(" (model {})", failure.model),
      what);
  return failure;
}

// Logs `message` as an error on the console and in <folder>/attnlab.log.
void log_error_in(const std::string& folder, const std::string& message) {
  std::shared_ptr<spdlog::sinks::basic_file_sink_mt> sink;
  if (!folder.empty() && std::filesystem::exists(std::filesystem::path(folder) / "config.toml")) {
    try {
      sink =
          std::make_shared<spdlog::sinks::basic_file_sink_mt>((std::filesystem::path(folder) / "attnlab.log").string());
      sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l: %v");
      spdlog::default_logger()->sinks().push_back(sink);
    } catch (const std::exception&) {
      sink.reset();
    }
  }
  spdlog::error("{}", message);
  if (sink) {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
  }
}

// Appends the failure to the folder's record; false when there is no
// comparison folder to remember it in.
bool record_failure(const std::string& folder, const Failure& failure, bool model_only) {
  if (folder.empty() || !std::filesystem::exists(std::filesystem::path(folder) / "config.toml")) return false;
  std::ofstream out(std::filesystem::path(folder) / kPluginFailuresFile, std::ios::app);
  out << (model_only ? "activation" : "stop") << '\t' << (model_only ? failure.model : failure.plugin) << '\t'
      << failure.step << '\t' << failure.reason << '\n';
  out.flush();
  return static_cast<bool>(out);
}

sigset_t supervised_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  return set;
}

// Blocks SIGINT, SIGTERM and SIGCHLD in the parent while it lives (they are
// taken with sigtimedwait); restores the mask after.
class BlockedSignals {
 public:
  BlockedSignals() {
    const sigset_t set = supervised_signals();
    pthread_sigmask(SIG_BLOCK, &set, &previous_);
  }
  ~BlockedSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  // The child's mask: the previous one, with SIGINT and SIGTERM still
  // blocked for StopSignals to take.
  void set_child_mask() const {
    sigset_t mask = previous_;
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigdelset(&mask, SIGCHLD);
    pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  }

 private:
  sigset_t previous_{};
};

// The next training process continues the comparison already in `out`
// (--resume): its own config and start, not the first process's.
void continue_in_folder(CompareOptions& options) {
  options.resume = true;
  options.force = false;
  options.config_path.reset();
  options.overrides.clear();
  options.from_checkpoints.clear();
}

}  // namespace

bool supervision_enabled() {
  const char* off = std::getenv("ATTNLAB_UNSUPERVISED");
  return off == nullptr || std::string(off) != "1";
}

int supervise(const CompareOptions& options, const std::function<int(const CompareOptions&)>& train) {
  SharedBoard shared;
  CallBoard& board = shared.get();
  const BlockedSignals blocked;
  CompareOptions current = options;
  std::set<std::string> failed_models;  // folder + model: the same failure twice is a bug, not a loop
  const pid_t parent = getpid();
  for (;;) {
    shared.reset();
    std::fflush(stdout);
    std::fflush(stderr);
    const pid_t child = fork();
    if (child < 0) throw std::runtime_error(std::string("cannot start the training process: ") + std::strerror(errno));
    if (child == 0) {
      // The training process: dies with the parent (a SIGKILL of the parent
      // leaves no orphan training on).
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) std::_Exit(1);
      blocked.set_child_mask();
      set_call_board(&board);
      install_crash_recorder();
      // The board is unmapped when this function returns: unhook it first.
      struct Unhook {
        ~Unhook() { set_call_board(nullptr); }
      } unhook;
      return train(current);
    }

    int status = 0;
    bool forwarded = false;
    std::vector<CallWatch> watches(CallBoard::kMaxSlots);
    std::optional<std::uint32_t> hung_slot;
    double hung_limit = 0.0;
    const sigset_t set = supervised_signals();
    for (;;) {
      const pid_t done = waitpid(child, &status, WNOHANG);
      if (done == child) break;
      if (done < 0 && errno != EINTR) throw std::runtime_error("lost the training process");
      siginfo_t info{};
      const timespec wait{0, 100'000'000};
      const int received = sigtimedwait(&set, &info, &wait);
      // A stop request sent to this process (a terminal's Ctrl-C reaches
      // the child by itself: same process group).
      if ((received == SIGINT || received == SIGTERM) && info.si_code != SI_KERNEL) {
        kill(child, received);
        forwarded = true;
      } else if (received == SIGINT || received == SIGTERM) {
        forwarded = true;
      }
      const double limit = call_limit_seconds(board, options.plugin_call_timeout);
      const std::int64_t now = monotonic_ns();
      for (std::uint32_t s = 0; s < board.slot_count && !hung_slot; ++s) {
        const std::uint64_t number = board.slots[s].calls.load();
        if (board.slots[s].call.load() == 0) continue;
        // A call first seen in flight now: time it from here (so a hang is
        // found within the limit plus one poll).
        if (watches[s].call_number != number) {
          watches[s] = {number, now};
          continue;
        }
        const double running = static_cast<double>(now - watches[s].since_ns) * 1e-9;
        if (running > limit && board.slots[s].call.load() != 0 && board.slots[s].calls.load() == number) {
          hung_slot = s;
          hung_limit = limit;
        }
      }
      if (hung_slot) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        break;
      }
    }

    std::optional<Failure> failure;
    if (hung_slot) {
      failure = describe(board, *hung_slot, "hung",
                         fmt::format("the call ran past the limit of {:g} s (--plugin-call-timeout), so the "
                                     "training process was killed (SIGKILL)",
                                     hung_limit));
    } else if (const auto slot = failed_slot(board, watches)) {
      const bool signaled = WIFSIGNALED(status);
      if (!(signaled && forwarded && (WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM))) {
        failure = describe(board, *slot, "crashed",
                           signaled ? "killed by " + signal_text(WTERMSIG(status))
                                    : fmt::format("the process exited with status {} inside the call (a sanitizer or "
                                                  "the plugin ended it)",
                                                  WEXITSTATUS(status)));
      }
    }
    if (!failure) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      const int signal = WTERMSIG(status);
      if (!(forwarded && (signal == SIGINT || signal == SIGTERM))) {
        spdlog::error("the training process died of {} outside any plugin call", signal_text(signal));
      }
      return 128 + signal;
    }

    const std::string folder = board.run_folder;
    const std::string top = board.top_folder;
    log_error_in(folder, failure->reason);
    // An activation's create runs before its folder is set up (a fresh run
    // has none yet): the next child records it there, and creates the
    // others only. Its own step is 0, so it needs no checkpoint to drop it.
    if (failure->role == PluginRole::Activation && failure->call == PluginCall::Create && !failure->model.empty() &&
        !top.empty() && failed_models.insert(folder + "\tcreate\t" + failure->model).second) {
      spdlog::warn("model {} is left out; the others start again without it in {}", failure->model, folder);
      current.unmade.push_back({folder, failure->model, failure->step, failure->reason});
      current.out = top;
      // A seed of --seeds, or a resumed run: its folder (and those of the
      // seeds before it) are kept and continued.
      if (current.resume || folder != top) continue_in_folder(current);
      continue;
    }
    const bool model_only = failure->role == PluginRole::Activation && failure->call != PluginCall::Create;
    const bool recorded = record_failure(folder, *failure, model_only);
    const std::string key = folder + '\t' + failure->model;
    if (model_only && recorded && !top.empty() && failed_models.insert(key).second) {
      spdlog::warn("model {} stopped at step {}; the others continue from the last checkpoint in {}", failure->model,
                   failure->step, folder);
      current.out = top;
      continue_in_folder(current);
      continue;
    }
    if (recorded) {
      spdlog::error(
          "the comparison stopped; everything up to its last log point is kept in {}; once the plugin is "
          "fixed, continue with: attnlab compare --out {} --resume --retry-failed-plugin{}",
          folder, top.empty() ? folder : top, current.theory ? " --theory" : "");
    } else {
      spdlog::error("the comparison stopped before its results folder was set up");
    }
    return kPluginFailureExit;
  }
}

}  // namespace attnlab::cli
