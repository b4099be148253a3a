#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/overlap_figures.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnlab {
namespace {

void check_shape(const std::string& title, const OverlapTrajectory& trajectory,
                 const std::vector<std::string>& feature_names) {
  if (trajectory.key_overlaps.empty()) throw UsageError(fmt::format("{}: no overlaps to draw", title));
  if (trajectory.times.size() != trajectory.key_overlaps.size())
    throw UsageError(fmt::format("{}: {} times for {} overlap matrices", title, trajectory.times.size(),
                                 trajectory.key_overlaps.size()));
  for (const RowMatrix& m : trajectory.key_overlaps) {
    if (m.rows() != trajectory.key_overlaps.front().rows() || m.cols() != std::ssize(feature_names))
      throw UsageError(fmt::format("{}: a {}x{} overlap matrix for {} heads and {} feature names", title, m.rows(),
                                   m.cols(), trajectory.key_overlaps.front().rows(), feature_names.size()));
  }
}

std::string head_name(Eigen::Index h) {
  return fmt::format("head {}", h + 1);
}

}  // namespace

FigureGrid overlap_panels(const std::string& title, const OverlapTrajectory& trajectory,
                          const std::vector<std::string>& feature_names, const OverlapTrajectory* theory) {
  check_shape(title, trajectory, feature_names);
  if (theory != nullptr) check_shape(title + " (theory)", *theory, feature_names);
  const Eigen::Index heads = trajectory.key_overlaps.front().rows();
  // One y range for all panels, so that heights compare across features.
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  for (const OverlapTrajectory* drawn : {&trajectory, theory}) {
    if (drawn == nullptr) continue;
    for (const RowMatrix& m : drawn->key_overlaps) {
      for (Eigen::Index i = 0; i < m.size(); ++i) {
        const double value = m.data()[i];
        if (!std::isfinite(value)) continue;
        low = std::min(low, value);
        high = std::max(high, value);
      }
    }
  }

  FigureGrid grid;
  grid.title = title;
  grid.columns = static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(feature_names.size()))));
  for (std::size_t f = 0; f < feature_names.size(); ++f) {
    Figure panel;
    panel.title = feature_names[f];
    panel.x_label = "t = samples / D";
    panel.y_label = "m[h,f]";
    panel.log_x = true;
    if (low <= high) {
      const double margin = high > low ? 0.05 * (high - low) : 0.5;
      panel.y_range = std::pair{low - margin, high + margin};
    }
    // Every panel lists every head in the same order: the renderer colours
    // series by position, so a head keeps its colour across panels.
    for (Eigen::Index h = 0; h < heads; ++h) {
      FigureSeries series;
      series.label = head_name(h);
      series.style = FigureSeries::Style::Lines;
      series.x = trajectory.times;
      for (const RowMatrix& m : trajectory.key_overlaps) series.y.push_back(m(h, static_cast<Eigen::Index>(f)));
      panel.series.push_back(std::move(series));
    }
    if (theory != nullptr && theory->key_overlaps.front().rows() == heads) {
      for (Eigen::Index h = 0; h < heads; ++h) {
        FigureSeries series;
        series.label = head_name(h) + " (theory)";
        series.style = FigureSeries::Style::Dashed;
        series.colour = static_cast<int>(h);
        series.x = theory->times;
        for (const RowMatrix& m : theory->key_overlaps) series.y.push_back(m(h, static_cast<Eigen::Index>(f)));
        panel.series.push_back(std::move(series));
      }
    }
    grid.panels.push_back(std::move(panel));
  }
  return grid;
}

HeatMap final_overlap_map(const std::string& title, const OverlapTrajectory& trajectory,
                          const std::vector<std::string>& feature_names) {
  check_shape(title, trajectory, feature_names);
  std::size_t last = trajectory.key_overlaps.size() - 1;
  for (std::size_t i = last + 1; i-- > 0;) {
    if (trajectory.key_overlaps[i].allFinite()) {
      last = i;
      break;
    }
  }
  const RowMatrix& m = trajectory.key_overlaps[last];
  HeatMap map;
  map.title = fmt::format("{} (t = {:g})", title, trajectory.times[last]);
  map.x_label = "feature";
  map.y_label = "head";
  map.value_label = "m[h,f]";
  map.column_labels = feature_names;
  for (Eigen::Index h = 0; h < m.rows(); ++h) {
    map.row_labels.push_back(head_name(h));
    std::vector<double>& row = map.values.emplace_back();
    for (Eigen::Index f = 0; f < m.cols(); ++f) row.push_back(m(h, f));
  }
  return map;
}

}  // namespace attnlab
