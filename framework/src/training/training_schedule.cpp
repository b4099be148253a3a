#include <attnlab/framework/training/training_schedule.hpp>

#include <algorithm>
#include <cmath>

namespace attnlab {

TrainingSchedule make_schedule(double time, std::uint32_t batch, std::uint32_t dimension, std::uint32_t log_points) {
  TrainingSchedule schedule;
  schedule.batch = batch;
  schedule.dimension = dimension;
  const double samples = time * dimension;
  schedule.total_steps = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(samples / batch)));
  schedule.log_steps.push_back(0);
  const double first = 1.0;
  const double last = static_cast<double>(schedule.total_steps);
  for (std::uint32_t k = 0; k < log_points; ++k) {
    const double fraction = log_points == 1 ? 1.0 : static_cast<double>(k) / (log_points - 1);
    const auto step = static_cast<std::uint64_t>(std::llround(first * std::pow(last / first, fraction)));
    if (step > schedule.log_steps.back()) schedule.log_steps.push_back(step);
  }
  if (schedule.log_steps.back() != schedule.total_steps) schedule.log_steps.push_back(schedule.total_steps);
  return schedule;
}

}  // namespace attnlab
