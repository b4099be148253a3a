// When to step and when to measure, in steps and in time t = samples / D.
#pragma once

#include <cstdint>
#include <vector>

namespace attnlab {

struct TrainingSchedule {
  std::uint64_t total_steps = 0;
  std::uint32_t batch = 1;
  std::uint32_t dimension = 1;
  // Steps after which the models are evaluated, increasing; 0 is the
  // initial point (before any step) and the last is total_steps.
  std::vector<std::uint64_t> log_steps;

  double time_at(std::uint64_t step) const {
    return static_cast<double>(step) * batch / static_cast<double>(dimension);
  }
};

// Training for time `time` (t = samples / D) with `log_points` evaluations
// spaced geometrically in t between the first step and the end (duplicates
// at small t merge), plus the initial point.
TrainingSchedule make_schedule(double time, std::uint32_t batch, std::uint32_t dimension, std::uint32_t log_points);

}  // namespace attnlab
