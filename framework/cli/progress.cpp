#include "progress.hpp"

#include <fmt/format.h>

#include <unistd.h>
#include <cstdio>

namespace attnlab::cli {

Progress::Progress(std::uint64_t total_steps, std::uint64_t first_step)
    : enabled_(isatty(fileno(stderr)) != 0),
      total_(total_steps),
      first_(first_step),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void Progress::update(std::uint64_t step) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_print_ < std::chrono::milliseconds(250) && step != total_) return;
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(step - first_) / elapsed : 0.0;
  const double left = rate > 0 ? static_cast<double>(total_ - step) / rate : 0.0;
  fmt::print(stderr, "\r  step {}/{} ({:.1f}%)  {:.0f} steps/s  ETA {}:{:02d}   ", step, total_,
             100.0 * static_cast<double>(step) / static_cast<double>(total_), rate, static_cast<int>(left) / 60,
             static_cast<int>(left) % 60);
  std::fflush(stderr);
  shown_ = true;
}

void Progress::clear() {
  if (!shown_) return;
  fmt::print(stderr, "\r{:80}\r", "");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace attnlab::cli
