// Every series of a figure is drawn under its own name with its own points,
// also when some series have nothing to draw (a diverged run): read back
// through gnuplot, so the check does not trust how the data file is laid out.
#include "test_support.hpp"

#include "plotted_series.hpp"

#include <attnlab/framework/reports/figure.hpp>

#define CATCH_CONFIG_ENABLE_PAIR_STRINGMAKER  // print points, not {?}
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using attnlab::Figure;
using attnlab::FigureSeries;
using Points = std::vector<std::pair<double, double>>;

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

FigureSeries series(std::string label, std::vector<double> x, std::vector<double> y, std::vector<double> error = {}) {
  return {.label = std::move(label), .x = std::move(x), .y = std::move(y), .error = std::move(error)};
}

// The points of `series` a figure can show: finite, and positive on a log axis.
Points drawable(const Figure& figure, const FigureSeries& series) {
  Points points;
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    const double x = series.x[i], y = series.y[i];
    if (std::isfinite(x) && std::isfinite(y) && (!figure.log_x || x > 0) && (!figure.log_y || y > 0))
      points.emplace_back(x, y);
  }
  return points;
}

// Each panel's series appear in the key once each, in order, under their own
// names; those with points are drawn with exactly those points.
void check_drawn_as_given(const std::vector<Figure>& panels, const fs::path& stem) {
  const auto plotted = attnlab::test::plotted_series(stem);
  std::size_t next = 0;
  for (std::size_t p = 0; p < panels.size(); ++p) {
    for (const FigureSeries& given : panels[p].series) {
      INFO("panel " << p << ", series '" << given.label << "'");
      REQUIRE(next < plotted.size());
      const attnlab::test::PlottedSeries& shown = plotted[next++];
      CHECK(shown.panel == p);
      CHECK(shown.title == given.label);
      const Points expected = drawable(panels[p], given);
      CHECK(shown.drawn == !expected.empty());
      CHECK(shown.points == expected);
    }
  }
  CHECK(next == plotted.size());
}

// Activations against signal strength, as `reproduce activations` draws
// them: one activation diverged and left no finite point.
Figure activations_figure() {
  Figure figure;
  figure.title = "final test error against signal strength";
  figure.series = {series("softmax", {0.5, 1, 2}, {0.9, 0.7, 0.5}, {0.01, 0.01, 0.02}),
                   series("linear", {0.5, 1, 2}, {kNan, kInf, kNan}, {kNan, kNan, kNan}),
                   series("erf", {0.5, 1, 2}, {0.95, 0.75, 0.55}, {0.01, 0.02, 0.03}),
                   series("sparsemax", {0.5, 1, 2}, {0.96, kNan, 0.56}, {0.01, 0.02, 0.03}),
                   series("sigmoid", {0.5, 1, 2}, {0.97, 0.77, 0.57}, {0.02, 0.01, 0.01}),
                   series("Bayes risk", {0.5, 1, 2}, {0.8, 0.6, 0.4})};
  figure.series.back().style = FigureSeries::Style::Dashed;
  return figure;
}

}  // namespace

TEST_CASE("a series without points does not shift the data of the series after it", "[figure]") {
  attnlab::test::TempDir folder;
  const Figure figure = activations_figure();
  attnlab::render_figure(figure, folder.path() / "test_error_vs_signal");
  check_drawn_as_given({figure}, folder.path() / "test_error_vs_signal");
}

TEST_CASE("series on a log axis keep their names and points, before and after an empty one", "[figure]") {
  attnlab::test::TempDir folder;
  Figure figure;
  figure.log_x = true;
  figure.log_y = true;
  figure.series = {series("empty first", {1, 2}, {kNan, kNan}), series("drops x = 0", {0, 10, 100}, {1, 0.5, 0.25}),
                   series("drops y <= 0", {10, 100, 1000}, {-1, 0, 3}), series("nothing positive", {-1, 0}, {1, 2}),
                   series("last", {1, 10}, {7, 8})};
  figure.horizontal_lines = {{"reference", 0.5}};
  attnlab::render_figure(figure, folder.path() / "log");
  check_drawn_as_given({figure}, folder.path() / "log");
}

TEST_CASE("in a grid, each panel's series keep their names and points", "[figure]") {
  attnlab::test::TempDir folder;
  attnlab::FigureGrid grid;
  grid.columns = 2;
  grid.panels.resize(3);
  for (std::size_t p = 0; p < grid.panels.size(); ++p) {
    for (int h = 1; h <= 3; ++h) {
      const double level = 10.0 * static_cast<double>(p) + h;
      grid.panels[p].series.push_back(series("head " + std::to_string(h), {1, 2, 3}, {level, level + 0.5, level + 1}));
    }
  }
  // A head that diverged in the first panel, and a panel with nothing at all.
  grid.panels[0].series[1].y = {kNan, kNan, kNan};
  for (FigureSeries& head : grid.panels[1].series) head.y = {kInf, kNan, kNan};
  attnlab::render_figure_grid(grid, folder.path() / "grid");
  check_drawn_as_given(grid.panels, folder.path() / "grid");
}
