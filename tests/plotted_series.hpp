// What a figure drawn by attnlab shows, read back through gnuplot itself:
// for each series clause of <stem>.gp, its title and the points gnuplot takes
// from <stem>.dat for it. Comparing these with the series that went in
// catches data drawn under another series' name, whatever the cause.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace attnlab::test {

struct PlottedSeries {
  std::size_t panel = 0;  // counted from 0 in the order the script draws them
  std::string title;
  bool drawn = false;                             // false: only listed in the key
  std::vector<std::pair<double, double>> points;  // (x, y) as gnuplot reads them
};

// Series clauses only: a figure's horizontal lines are left out. Fails the
// running test when gnuplot cannot read the files back.
std::vector<PlottedSeries> plotted_series(const std::filesystem::path& stem);

}  // namespace attnlab::test
