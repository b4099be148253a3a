#include "reports/gnuplot_script.hpp"

#include <attnlab/framework/common/errors.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace attnlab {
namespace {

// Ten colours that stay apart; past ten series, lines repeat them with
// another dash pattern.
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                               "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
// Filled circle, square, triangle, inverted triangle, diamond, then open ones:
// series stay distinguishable in grayscale.
const int kPointTypes[] = {7, 5, 9, 11, 13, 6, 4, 8, 10, 12};
constexpr const char* kFont = "sans,11";

// A single-quoted gnuplot string: no escapes inside except '' for a quote.
// Control characters (a newline would end the command) become spaces. The
// terminals are `noenhanced`, so ^ _ @ { } are shown as written.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\'')
      out += "''";
    else if (byte < 0x20 || byte == 0x7f)
      out += ' ';
    else
      out += c;
  }
  return out + "'";
}

std::string number(double value) {
  return fmt::format("{}", value);
}

struct PanelContext {
  const std::string& stem_name;
  std::size_t panel;
  bool multiplot;
  std::string where() const {
    return multiplot ? fmt::format("figure {}, panel {}", stem_name, panel + 1) : fmt::format("figure {}", stem_name);
  }
};

void validate(const Figure& figure, const PanelContext& context) {
  for (const FigureSeries& series : figure.series) {
    if (series.x.size() != series.y.size())
      throw UsageError(fmt::format("{}: series '{}' has {} x values but {} y values", context.where(), series.label,
                                   series.x.size(), series.y.size()));
    if (!series.error.empty() && series.error.size() != series.y.size())
      throw UsageError(fmt::format("{}: series '{}' has {} error values for {} points", context.where(), series.label,
                                   series.error.size(), series.y.size()));
  }
  if (figure.y_range) {
    const auto [low, high] = *figure.y_range;
    if (!std::isfinite(low) || !std::isfinite(high) || !(low < high) || (figure.log_y && low <= 0.0))
      throw UsageError(fmt::format("{}: y range [{}, {}] is not a valid{} range", context.where(), low, high,
                                   figure.log_y ? " logarithmic" : ""));
  }
}

bool plottable(const Figure& figure, double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && (!figure.log_x || x > 0.0) && (!figure.log_y || y > 0.0);
}

struct XExtent {
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
};

// One data block per series that has points to draw; returns their number.
// gnuplot does not count a block without points (its blank lines merge with
// the separators around it), so writing one would make every later `index`
// point at the next series' data: a series without points gets a comment only.
std::size_t write_block(const Figure& figure, const FigureSeries& series, std::size_t index, std::string& data,
                        XExtent& extent) {
  std::string label = series.label;
  for (char& c : label)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  std::string points;
  std::size_t count = 0;
  for (std::size_t i = 0; i < series.x.size(); ++i) {
    if (!plottable(figure, series.x[i], series.y[i])) continue;
    points += number(series.x[i]) + ' ' + number(series.y[i]);
    if (!series.error.empty()) {
      // A bar that cannot be drawn is left out; the point stays.
      const double error = std::isfinite(series.error[i]) ? std::abs(series.error[i]) : 0.0;
      points += ' ' + number(error);
    }
    points += '\n';
    extent.low = std::min(extent.low, series.x[i]);
    extent.high = std::max(extent.high, series.x[i]);
    ++count;
  }
  if (count == 0) {
    data += fmt::format("# no block: {} has no point to draw\n", label);
    return 0;
  }
  data += fmt::format("# index {}: {}\n", index, label);
  data += points;
  data += "\n\n";  // two blank lines end a gnuplot index block
  return count;
}

std::string style_clause(const FigureSeries& series, std::size_t position, bool error_bars) {
  const std::size_t round = position / std::size(kColors);
  const std::size_t hue = series.colour >= 0 ? static_cast<std::size_t>(series.colour) : position;
  const std::string color = fmt::format("lc rgb '{}' lw 2", kColors[hue % std::size(kColors)]);
  const std::string point = fmt::format("pt {} ps 0.9", kPointTypes[position % std::size(kPointTypes)]);
  // Dash type 2 is the Dashed style's; later rounds of colours take 3, 4, ...
  const std::string solid = round == 0 ? std::string() : fmt::format(" dt {}", round + 2);
  using Style = FigureSeries::Style;
  switch (series.style) {
    case Style::Lines:
      return error_bars ? "yerrorlines " + color + solid + " pt -1" : "lines " + color + solid;
    case Style::Points:
      return (error_bars ? "yerrorbars " : "points ") + color + ' ' + point;
    case Style::Dashed:
      return error_bars ? "yerrorlines " + color + " dt 2 pt -1" : "lines " + color + " dt 2";
    case Style::LinesPoints:
      break;
  }
  return (error_bars ? "yerrorlines " : "linespoints ") + color + solid + ' ' + point;
}

// Settings that differ between panels are all written for every panel, so a
// panel never inherits the previous one's.
void write_panel(const Figure& figure, const PanelContext& context, std::size_t& next_index, std::string& data,
                 std::string& commands) {
  validate(figure, context);
  std::vector<std::string> plots;
  std::size_t points = 0;
  XExtent extent;
  for (std::size_t s = 0; s < figure.series.size(); ++s) {
    const FigureSeries& series = figure.series[s];
    const std::size_t count = write_block(figure, series, next_index, data, extent);
    if (count == 0) {
      // Still listed in the key, so a series that produced nothing is visible.
      plots.push_back(fmt::format("keyentry with {} title {}", style_clause(series, s, false), quoted(series.label)));
      continue;
    }
    const bool error_bars = !series.error.empty();
    plots.push_back(fmt::format("data index {} using {} with {} title {}", next_index, error_bars ? "1:2:3" : "1:2",
                                style_clause(series, s, error_bars), quoted(series.label)));
    ++next_index;
    points += count;
  }
  for (std::size_t h = 0; h < figure.horizontal_lines.size(); ++h) {
    const auto& [label, y] = figure.horizontal_lines[h];
    if (!std::isfinite(y) || (figure.log_y && y <= 0.0)) continue;
    plots.push_back(
        fmt::format("{} with lines lc rgb '#555555' lw 1.5 dt {} title {}", number(y), 3 + h % 3, quoted(label)));
  }

  commands += fmt::format("  set title {}\n", quoted(figure.title));
  commands += fmt::format("  set xlabel {}\n", quoted(figure.x_label));
  commands += fmt::format("  set ylabel {}\n", quoted(figure.y_label));
  commands += figure.log_x ? "  set logscale x\n" : "  unset logscale x\n";
  commands += figure.log_y ? "  set logscale y\n" : "  unset logscale y\n";
  commands += "  unset label\n";
  // Room around the points on linear axes (offsets mean nothing on log ones).
  commands += fmt::format("  set offsets {}, {}\n", figure.log_x ? "0, 0" : "graph 0.02, graph 0.02",
                          figure.log_y ? "0, 0" : "graph 0.05, graph 0.05");
  if (points == 0) {
    // Nothing to autoscale from: a fixed frame and a note instead of an error,
    // so one diverged run does not stop a whole report.
    commands += figure.log_x ? "  set xrange [1:10]\n" : "  set xrange [0:1]\n";
    commands += "  set label 'no finite data' at graph 0.5, graph 0.5 center\n";
  } else if (!figure.log_x) {
    commands += "  set xrange [*:*]\n";
  } else {
    // gnuplot ignores offsets on a log axis and widens it to whole decades,
    // which puts the first and last points on the frame: pad by 3% instead.
    const double factor = extent.high > extent.low ? std::pow(extent.high / extent.low, 0.03) : 1.5;
    commands += fmt::format("  set xrange [{}:{}]\n", number(extent.low / factor), number(extent.high * factor));
  }
  if (figure.y_range)
    commands += fmt::format("  set yrange [{}:{}]\n", number(figure.y_range->first), number(figure.y_range->second));
  else if (points == 0 && figure.horizontal_lines.empty())
    commands += figure.log_y ? "  set yrange [1:10]\n" : "  set yrange [0:1]\n";
  else
    commands += "  set yrange [*:*]\n";
  // gnuplot needs one real plot in the command (keyentry alone fails an assertion).
  if (points == 0) plots.insert(plots.begin(), "NaN notitle");
  commands += "  plot " + plots.front();
  for (std::size_t p = 1; p < plots.size(); ++p) commands += ", \\\n       " + plots[p];
  commands += '\n';
}

// The start of every script: its names and `settings`, then the loop that
// draws everything once per image format, which script_end() closes.
std::string script_start(const std::string& stem_name, const std::string& settings, int width, int height) {
  std::string s = fmt::format("# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d {}\n",
                              quoted(stem_name + ".gp"));
  s += "set encoding utf8\n";
  s += fmt::format("stem = {}\n", quoted(stem_name));
  s += "data = stem.'.dat'\n";
  s += settings;
  s += "do for [format in \"png svg\"] {\n";
  s += "  if (format eq \"png\") {\n";
  s += fmt::format("    set terminal pngcairo size {},{} font '{}' noenhanced background '#ffffff'\n", width, height,
                   kFont);
  s += "  } else {\n";
  s += fmt::format("    set terminal svg size {},{} fixed font '{}' noenhanced background '#ffffff'\n", width, height,
                   kFont);
  s += "  }\n";
  s += "  set output stem.'.'.format\n";
  return s;
}

std::string script_end() {
  return "}\nunset output\n";
}

// gnuplot tic labels at 1, 2, ...: ('first' 1, 'second' 2)
std::string tic_labels(const std::vector<std::string>& labels) {
  std::string tics = "(";
  for (std::size_t i = 0; i < labels.size(); ++i)
    tics += fmt::format("{}{} {}", i ? ", " : "", quoted(labels[i]), i + 1);
  return tics + ")";
}

}  // namespace

GnuplotFiles gnuplot_files(std::span<const Figure> panels, const Canvas& canvas, const std::string& stem_name) {
  if (panels.empty()) throw UsageError(fmt::format("figure {}: no panels to draw", stem_name));
  if (!canvas.multiplot && panels.size() != 1)
    throw UsageError(fmt::format("figure {}: several panels need a grid", stem_name));
  if (canvas.columns == 0) throw UsageError(fmt::format("figure {}: a grid needs at least one column", stem_name));
  if (canvas.width <= 0 || canvas.height <= 0)
    throw UsageError(fmt::format("figure {}: size {}x{} is not positive", stem_name, canvas.width, canvas.height));

  GnuplotFiles files;
  files.data = "# attnlab figure data: one block (gnuplot index) per series with points; columns x y [error]\n";
  files.data += "# Points that cannot be drawn (not finite, or not positive on a log axis) are left out.\n";

  std::string commands;
  std::size_t next_index = 0;
  for (std::size_t p = 0; p < panels.size(); ++p)
    write_panel(panels[p], PanelContext{stem_name, p, canvas.multiplot}, next_index, files.data, commands);

  std::string& s = files.script;
  s = script_start(stem_name, "set grid\nset key outside right top Left reverse\n", canvas.width, canvas.height);
  if (canvas.multiplot) {
    const std::size_t rows = (panels.size() + canvas.columns - 1) / canvas.columns;
    s += fmt::format("  set multiplot layout {},{} rowsfirst title {}\n", rows, canvas.columns, quoted(canvas.title));
  }
  s += commands;
  if (canvas.multiplot) s += "  unset multiplot\n";
  s += script_end();
  return files;
}

GnuplotFiles heat_map_files(const HeatMap& map, const std::string& stem_name) {
  const std::size_t rows = map.row_labels.size();
  const std::size_t columns = map.column_labels.size();
  if (rows == 0 || columns == 0)
    throw UsageError(fmt::format("figure {}: a heat map needs at least one row and one column", stem_name));
  if (map.values.size() != rows)
    throw UsageError(fmt::format("figure {}: {} rows of values for {} row labels", stem_name, map.values.size(), rows));
  double scale = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    if (map.values[r].size() != columns)
      throw UsageError(fmt::format("figure {}: row {} has {} values for {} columns", stem_name, r + 1,
                                   map.values[r].size(), columns));
    for (const double value : map.values[r])
      if (std::isfinite(value)) scale = std::max(scale, std::abs(value));
  }
  if (scale == 0.0) scale = 1.0;  // all zero (or none finite): any symmetric range shows it

  GnuplotFiles files;
  files.data = "# attnlab heat map data: column row value, rows counted from the top; NaN: not finite\n";
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < columns; ++c) {
      const double value = map.values[r][c];
      files.data += fmt::format("{} {} {}\n", c + 1, r + 1, std::isfinite(value) ? number(value) : "NaN");
    }
  }

  std::string settings = fmt::format("scale = {}\n", number(scale));
  settings += "set palette defined (-1 '#2166ac', 0 '#f7f7f7', 1 '#b2182b')\n";
  settings += "set cbrange [-scale:scale]\n";
  settings += fmt::format("set cblabel {}\n", quoted(map.value_label));
  settings += fmt::format("set xrange [0.5:{}]\n", number(static_cast<double>(columns) + 0.5));
  settings += fmt::format("set yrange [{}:0.5]\n", number(static_cast<double>(rows) + 0.5));  // first row on top
  settings += fmt::format("set xtics {} scale 0\n", tic_labels(map.column_labels));
  settings += fmt::format("set ytics {} scale 0\n", tic_labels(map.row_labels));
  settings += "unset key\n";
  settings += fmt::format("set title {}\nset xlabel {}\nset ylabel {}\n", quoted(map.title), quoted(map.x_label),
                          quoted(map.y_label));
  // Room for the colour bar and the row labels, then a fixed size per cell.
  const int width = std::max(460, 200 + 110 * static_cast<int>(columns));
  const int height = std::max(300, 130 + 50 * static_cast<int>(rows));
  std::string& s = files.script;
  s = script_start(stem_name, settings, width, height);
  // White text on the darkest cells, black elsewhere.
  s += "  plot data using 1:2:3 with image notitle, \\\n";
  s += "       data using 1:2:(valid(3) ? sprintf('%.2f', $3) : 'nan'):(abs($3) > 0.6 * scale ? 0xffffff : 0) \\\n";
  s += "         with labels tc rgb variable notitle\n";
  s += script_end();
  return files;
}

}  // namespace attnlab
