// A one-line progress display (rate and time left) for interactive runs;
// silent when standard error is not a terminal, so logs stay clean.
#pragma once

#include <chrono>
#include <cstdint>

namespace attnlab::cli {

class Progress {
 public:
  Progress(std::uint64_t total_steps, std::uint64_t first_step);
  void update(std::uint64_t step);
  // Erases the line (before other output is printed).
  void clear();

 private:
  bool enabled_;
  bool shown_ = false;
  std::uint64_t total_;
  std::uint64_t first_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

}  // namespace attnlab::cli
