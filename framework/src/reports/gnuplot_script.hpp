// The text gnuplot needs to draw figures: a data file and a script that
// renders PNG and SVG in one run. Pure text building, no files touched.
#pragma once

#include <attnlab/framework/reports/figure.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace attnlab {

struct Canvas {
  std::string title;  // over all panels; only with multiplot
  std::size_t columns = 1;
  int width = 800, height = 500;
  bool multiplot = false;  // false: exactly one panel, drawn alone
};

struct GnuplotFiles {
  std::string data;
  std::string script;
};

// The script refers to `<stem_name>.dat` and writes `<stem_name>.png` and
// `.svg` relative to its own folder, so gnuplot runs from there. Throws
// UsageError (naming `stem_name`, the panel and the series) for an
// inconsistent figure.
GnuplotFiles gnuplot_files(std::span<const Figure> panels, const Canvas& canvas, const std::string& stem_name);

// The same for a heat map; throws UsageError (naming `stem_name`) for an
// inconsistent one.
GnuplotFiles heat_map_files(const HeatMap& map, const std::string& stem_name);

}  // namespace attnlab
