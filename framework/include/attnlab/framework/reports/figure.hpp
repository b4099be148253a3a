// Publication figures rendered by gnuplot. Each figure keeps the data and the
// script it was drawn from next to the images, so it can be re-rendered or
// restyled by hand (`cd FOLDER && gnuplot -d STEM.gp`).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attnlab {

struct FigureSeries {
  enum class Style { Lines, Points, LinesPoints, Dashed };

  std::string label{};
  std::vector<double> x{}, y{};
  std::vector<double> error{};  // empty: no error bars; else the half-width of each point's bar
  Style style = Style::LinesPoints;
  // Palette colour; -1: by the series' position. Lets a dashed companion
  // (e.g. a theory curve) share its solid series' colour.
  int colour = -1;
};

// Non-finite points are skipped, and so are points that a log axis cannot show
// (x or y not positive).
struct Figure {
  std::string title{}, x_label{}, y_label{};
  bool log_x = false, log_y = false;
  std::vector<FigureSeries> series{};
  std::vector<std::pair<std::string, double>> horizontal_lines{};  // (label, y), e.g. {"Bayes risk", 0.477}
  std::optional<std::pair<double, double>> y_range{};
  int width = 800, height = 500;  // pixels, for both the PNG and the SVG
};

// Writes <stem>.png, <stem>.svg, <stem>.dat (the points drawn) and <stem>.gp
// (the gnuplot script), creating the folder if needed; one gnuplot run.
// Throws UsageError for an inconsistent figure, when gnuplot is not on PATH
// or when the disk is full, std::runtime_error when gnuplot fails (naming the
// script and its message).
void render_figure(const Figure& figure, const std::filesystem::path& stem);

// Several figures side by side in one image, filled row by row. Each panel's
// own width and height are ignored; every panel gets panel_width × panel_height.
struct FigureGrid {
  std::string title{};
  std::vector<Figure> panels{};
  std::size_t columns = 2;
  int panel_width = 480, panel_height = 360;
};

// Same files and errors as render_figure.
void render_figure_grid(const FigureGrid& grid, const std::filesystem::path& stem);

// A table of numbers of either sign as coloured cells, each value printed in
// its cell: blue below 0, white at 0, red above, on a scale symmetric around
// 0. Non-finite cells are left white and read "nan".
struct HeatMap {
  std::string title{}, x_label{}, y_label{}, value_label{};  // value_label names the colour scale
  std::vector<std::string> row_labels{}, column_labels{};    // rows from the top, columns from the left
  std::vector<std::vector<double>> values{};                 // values[row][column]
};

// Same files and errors as render_figure; the image is sized to the table.
void render_heat_map(const HeatMap& map, const std::filesystem::path& stem);

// Whether gnuplot is on PATH (the render functions need it).
bool gnuplot_available();

}  // namespace attnlab
