#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reports/figure.hpp>

#include "common/child_process.hpp"
#include "reports/gnuplot_script.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

namespace attnlab {
namespace {

namespace fs = std::filesystem;

// gnuplot echoes the failing command before its message, which reads
// `"script.gp" line N: reason`; that line says the most.
std::string gnuplot_message(const std::string& standard_error) {
  std::string first_non_blank;
  std::size_t begin = 0;
  while (begin < standard_error.size()) {
    std::size_t end = standard_error.find('\n', begin);
    if (end == std::string::npos) end = standard_error.size();
    const std::string_view line(standard_error.data() + begin, end - begin);
    if (line.find(".gp\" line ") != std::string_view::npos) return std::string(line);
    if (first_non_blank.empty() && line.find_first_not_of(" \t\r^") != std::string_view::npos) first_non_blank = line;
    begin = end + 1;
  }
  return first_non_blank.empty() ? "no message" : first_non_blank;
}

// Whether an image ends as a whole file does: gnuplot exits 0 even when the
// disk fills up under it, leaving a truncated or empty image.
bool complete_image(const fs::path& image) {
  std::ifstream in(image, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (image.extension() == ".png") {
    static const std::string_view kEnd("\0\0\0\0IEND\xae\x42\x60\x82", 12);  // the empty IEND chunk
    return bytes.size() > kEnd.size() && std::string_view(bytes).ends_with(kEnd);
  }
  const std::size_t last = bytes.find_last_not_of(" \t\r\n");
  return last != std::string::npos && std::string_view(bytes).substr(0, last + 1).ends_with("</svg>");
}

void draw(const GnuplotFiles& files, const fs::path& stem) {
  const std::optional<fs::path> gnuplot = find_on_path("gnuplot");
  if (!gnuplot) throw UsageError("gnuplot not found on PATH; run scripts/setup.sh");

  const std::string stem_name = stem.filename().string();
  const fs::path folder = fs::absolute(stem).parent_path();
  fs::create_directories(folder);
  const fs::path script = folder / (stem_name + ".gp");
  const fs::path png = folder / (stem_name + ".png");
  const fs::path svg = folder / (stem_name + ".svg");
  write_file_atomically(folder / (stem_name + ".dat"), files.data);
  write_file_atomically(script, files.script);
  // Stale images must not pass for fresh ones if gnuplot stops early.
  fs::remove(png);
  fs::remove(svg);

  // -d: ignore the user's ~/.gnuplot, so the output depends on the script only.
  const ProcessOutcome outcome = run_process(*gnuplot, {"-d", script.filename().string()}, folder);
  if (!outcome.exited_normally)
    throw std::runtime_error(
        fmt::format("gnuplot was killed by signal {} while running {}", outcome.signal, script.string()));
  if (outcome.exit_code != 0)
    throw std::runtime_error(
        fmt::format("gnuplot failed on {}: {}", script.string(), gnuplot_message(outcome.standard_error)));
  for (const fs::path& image : {png, svg}) {
    if (complete_image(image)) continue;
    // A write that fails for want of space fills the disk to its last block.
    std::error_code error;
    if (fs::space(folder, error).available == 0 && !error)
      throw UsageError(fmt::format("cannot write '{}': {}", image.string(), std::strerror(ENOSPC)));
    throw std::runtime_error(
        fmt::format("gnuplot did not write all of {} (script {})", image.string(), script.string()));
  }
}

fs::path checked_stem(const fs::path& stem) {
  if (stem.filename().empty()) throw UsageError(fmt::format("figure path '{}' has no file name", stem.string()));
  return stem;
}

}  // namespace

void render_figure(const Figure& figure, const std::filesystem::path& stem) {
  const Canvas canvas{.title = {}, .columns = 1, .width = figure.width, .height = figure.height, .multiplot = false};
  draw(gnuplot_files(std::span<const Figure>(&figure, 1), canvas, checked_stem(stem).filename().string()), stem);
}

void render_figure_grid(const FigureGrid& grid, const std::filesystem::path& stem) {
  if (grid.columns == 0) throw UsageError(fmt::format("figure {}: a grid needs at least one column", stem.string()));
  const std::size_t columns = std::min(grid.columns, std::max<std::size_t>(grid.panels.size(), 1));
  const std::size_t rows = (grid.panels.size() + columns - 1) / columns;
  const Canvas canvas{.title = grid.title,
                      .columns = columns,
                      .width = grid.panel_width * static_cast<int>(columns),
                      .height = grid.panel_height * static_cast<int>(rows) + (grid.title.empty() ? 0 : 30),
                      .multiplot = true};
  draw(gnuplot_files(grid.panels, canvas, checked_stem(stem).filename().string()), stem);
}

void render_heat_map(const HeatMap& map, const std::filesystem::path& stem) {
  draw(heat_map_files(map, checked_stem(stem).filename().string()), stem);
}

bool gnuplot_available() {
  return find_on_path("gnuplot").has_value();
}

}  // namespace attnlab
