// A sweep's figures: for each swept key, the final test MSE against the
// key's value, one line per activation (mean over the seeds, error bars one
// standard error), with the Bayes risk dashed where the cells know it.
// Building the figures (pure, from final.csv) is apart from drawing them
// (gnuplot), so the points can be checked without gnuplot.
#pragma once

#include <attnlab/framework/reports/figure.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

struct SweepFigure {
  std::string key;   // the swept key, e.g. "data.D"
  std::string stem;  // file name without extension: final_test_mse_vs_<key, '.' as '_'>
  // The key's values in the order placed on the x axis. Numbers sit at their
  // value; other values (lists) at positions 1..n, this order, which the
  // title lists, since the figure API has no custom tick labels.
  std::vector<std::string> values;
  bool numeric = true;
  Figure figure;
};

// One figure per key of `keys`, from the text of a collected final.csv
// (sweep_collect.hpp). Empty fields (a diverged or unfinished model, an
// unknown Bayes risk) are left out. Throws UsageError for a malformed table.
std::vector<SweepFigure> sweep_figures(const std::vector<std::string>& keys, const std::string& final_csv);

// Renders each figure into `folder` (render_figure's four files per stem).
// Throws as render_figure does, also when gnuplot is missing (check
// gnuplot_available first).
void draw_sweep_figures(const std::vector<SweepFigure>& figures, const std::filesystem::path& folder);

// The summary.md section linking the figures' images.
std::string sweep_figures_markdown(const std::vector<SweepFigure>& figures);

}  // namespace attnlab
