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

}  // namespace

SpecializationAnalysis analyze_specialization(const OverlapTrajectory& trajectory,
                                              const SpecializationCriteria& criteria) {
  SpecializationAnalysis analysis;
  const std::size_t points = trajectory.times.size();
  if (!criteria.mean_direction.empty()) {
    for (std::size_t i = 0; i < points; ++i) {
      const RowMatrix& m = trajectory.key_overlaps[i];
      if (static_cast<std::size_t>(m.cols()) != criteria.mean_direction.size()) break;
      if (mean_direction_overlap(m, criteria.mean_direction) >= criteria.threshold) {
        analysis.plateau_start = trajectory.times[i];
        break;
      }
    }
  }
  for (const std::uint32_t feature : criteria.features) {
    for (std::size_t i = 0; i < points; ++i) {
      const RowMatrix& m = trajectory.key_overlaps[i];
      if (feature >= m.cols()) break;
      const auto [value, head] = strongest_head(m, feature);
      if (!(value >= criteria.threshold)) continue;
      const bool holds =
          i + 1 == points || strongest_head(trajectory.key_overlaps[i + 1], feature).first >= criteria.threshold;
      if (!holds) continue;
      analysis.events.push_back({feature, head, trajectory.times[i], m(head, feature)});
      break;
    }
  }
  std::stable_sort(analysis.events.begin(), analysis.events.end(),
                   [](const SpecializationEvent& a, const SpecializationEvent& b) { return a.time < b.time; });
  return analysis;
}

}  // namespace attnlab
