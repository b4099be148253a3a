// Wall time since a moment, in seconds, for the timings runs report.
#pragma once

#include <chrono>

namespace attnlab {

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace attnlab
