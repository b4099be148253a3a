#include <attnlab/framework/analysis/specialization.hpp>

#include <algorithm>
#include <cmath>

namespace attnlab {
namespace {

// The largest |m[h,f]| over heads, and the head holding it.
std::pair<double, std::uint32_t> strongest_head(const RowMatrix& overlaps, std::uint32_t feature) {
  Eigen::Index head = 0;
  const double value = overlaps.col(feature).cwiseAbs().maxCoeff(&head);
  return {value, static_cast<std::uint32_t>(head)};
}

// Mean over heads of the key's overlap with the unit mean direction.
double mean_direction_overlap(const RowMatrix& overlaps, const std::vector<double>& mean) {
  const Eigen::Map<const Eigen::VectorXd> mu(mean.data(), static_cast<Eigen::Index>(mean.size()));
  const double norm = mu.norm();
  if (norm == 0.0) return 0.0;
  return (overlaps * mu).mean() / norm;
}

// The time where a quantity sampled at the log points crosses `threshold`,
// linear in t between point `i - 1` (below) and point `i` (at or above); the
// log point itself when there is no finite value before it.
double crossing_time(const std::vector<double>& times, std::size_t i, double before, double at, double threshold) {
  if (i == 0 || !std::isfinite(before) || !(before < threshold) || !(at > before)) return times[i];
  return times[i - 1] + (threshold - before) / (at - before) * (times[i] - times[i - 1]);
}

}  // namespace

SpecializationAnalysis analyze_specialization(const OverlapTrajectory& trajectory,
                                              const SpecializationCriteria& criteria) {
  SpecializationAnalysis analysis;
  const std::size_t points = trajectory.times.size();
  if (!criteria.mean_direction.empty()) {
    double before = std::nan("");
    for (std::size_t i = 0; i < points; ++i) {
      const RowMatrix& m = trajectory.key_overlaps[i];
      if (static_cast<std::size_t>(m.cols()) != criteria.mean_direction.size()) break;
      const double value = mean_direction_overlap(m, criteria.mean_direction);
      if (value >= criteria.threshold) {
        analysis.plateau_start = crossing_time(trajectory.times, i, before, value, criteria.threshold);
        break;
      }
      before = value;
    }
  }
  for (const std::uint32_t feature : criteria.features) {
    double before = std::nan("");  // the strongest overlap at the previous log point
    for (std::size_t i = 0; i < points; ++i) {
      const RowMatrix& m = trajectory.key_overlaps[i];
      if (feature >= m.cols()) break;
      const auto [value, head] = strongest_head(m, feature);
      const bool holds =
          value >= criteria.threshold &&
          (i + 1 == points || (feature < trajectory.key_overlaps[i + 1].cols() &&
                               strongest_head(trajectory.key_overlaps[i + 1], feature).first >= criteria.threshold));
      if (holds) {
        // The point before is below the threshold: had it been above, it
        // would have held through this one and been the event.
        const double time = crossing_time(trajectory.times, i, before, value, criteria.threshold);
        analysis.events.push_back({feature, head, time, m(head, feature)});
        break;
      }
      before = value;
    }
  }
  std::stable_sort(analysis.events.begin(), analysis.events.end(),
                   [](const SpecializationEvent& a, const SpecializationEvent& b) { return a.time < b.time; });
  return analysis;
}

}  // namespace attnlab
