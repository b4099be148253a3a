#include "stop_signals.hpp"

#include <pthread.h>
#include <unistd.h>

#include <ctime>

namespace attnlab::cli {
namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

StopSignals::StopSignals() {
  const sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, &previous_mask_);
  watcher_ = std::thread([this] { watch(); });
}

StopSignals::~StopSignals() {
  closing_.store(true);
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void StopSignals::watch() {
  const sigset_t set = stop_set();
  while (!closing_.load()) {
    // Wakes up now and then to notice closing_.
    const timespec wait{0, 100'000'000};
    const int received = sigtimedwait(&set, nullptr, &wait);
    if (received <= 0) continue;
    if (signal_.load() == 0) {
      signal_.store(received);
      continue;
    }
    // A second signal: the user does not want to wait. Die of it, as the
    // default action would have.
    std::signal(received, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, received);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    ::kill(::getpid(), received);
  }
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "a signal";
  }
}

}  // namespace attnlab::cli
