// SIGINT and SIGTERM as a request to stop, not a kill: a run that gets one
// finishes its current step, saves a state it can resume from, says how to
// resume and exits non-zero. A second signal ends the process at once.
//
// The signals are blocked in every thread (construct this before starting
// any) and taken by one watcher thread with sigtimedwait(), so no handler
// runs inside the numerics and no global flag is needed.
#pragma once

#include <atomic>
#include <csignal>
#include <thread>

namespace attnlab::cli {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  bool requested() const { return signal_.load(std::memory_order_relaxed) != 0; }
  // The signal received (SIGINT or SIGTERM), 0 if none.
  int signal() const { return signal_.load(std::memory_order_relaxed); }

 private:
  void watch();

  std::atomic<int> signal_{0};
  std::atomic<bool> closing_{false};
  sigset_t previous_mask_{};
  std::thread watcher_;
};

// "SIGINT", "SIGTERM"
const char* signal_name(int signal);

}  // namespace attnlab::cli
