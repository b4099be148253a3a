// Brief polling before a thread sleeps: training pieces can be shorter than
// the tens of microseconds a sleeping thread takes to wake up.
#pragma once

#include <thread>

namespace attnlab {

// About 100 microseconds of polling on current x86 cores.
inline constexpr int kSpinRounds = 20000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Polls `ready` for up to kSpinRounds rounds; true if it became true.
template <class Ready>
bool spin_until(Ready ready) {
  for (int round = 0; round < kSpinRounds; ++round) {
    if (ready()) return true;
    cpu_relax();
  }
  return ready();
}

}  // namespace attnlab
