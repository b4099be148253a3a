// Minimal line charts as standalone SVG text: no plotting dependency, and
// the files open in any browser.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace attnlab {

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y); non-finite points are skipped
  bool dashed = false;
};

struct ChartOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
};

std::string line_chart_svg(const ChartOptions& options, const std::vector<ChartSeries>& series);

}  // namespace attnlab
