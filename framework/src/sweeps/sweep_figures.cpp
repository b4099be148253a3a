#include "sweeps/csv_text.hpp"

#include <attnlab/framework/analysis/seed_statistics.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/sweeps/sweep_figures.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

namespace attnlab {
namespace fs = std::filesystem;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Empty (pandas' NaN) or not a number: NaN, which mean_and_error leaves out.
double parse_number(const std::string& text) {
  double value = kNaN;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc{} && end == text.data() + text.size() ? value : kNaN;
}

struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<std::string>> rows;
  std::size_t column(const std::string& name) const {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw UsageError("final.csv: no '" + name + "' column");
    return static_cast<std::size_t>(it - names.begin());
  }
};

Table read_table(const std::string& csv) {
  Table table;
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  table.names = split_csv_line(line);
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    table.rows.push_back(split_csv_line(line));
    if (table.rows.back().size() != table.names.size()) throw UsageError("final.csv: malformed row '" + line + "'");
  }
  return table;
}

// Distinct texts in first-seen order.
std::size_t index_of(std::vector<std::string>& seen, const std::string& text) {
  const auto it = std::find(seen.begin(), seen.end(), text);
  if (it != seen.end()) return static_cast<std::size_t>(it - seen.begin());
  seen.push_back(text);
  return seen.size() - 1;
}

FigureSeries series_of(std::string label, const std::map<double, std::vector<double>>& values_at,
                       FigureSeries::Style style, bool with_errors) {
  FigureSeries series{.label = std::move(label), .style = style};
  for (const auto& [x, values] : values_at) {
    const MeanAndError point = mean_and_error(values);
    if (point.count == 0) continue;
    series.x.push_back(x);
    series.y.push_back(point.mean);
    if (with_errors) series.error.push_back(point.standard_error);
  }
  return series;
}

SweepFigure figure_for(const Table& table, const std::vector<std::string>& keys, std::size_t k) {
  SweepFigure result;
  result.key = keys[k];
  result.stem = "final_test_mse_vs_" + keys[k];
  std::replace(result.stem.begin(), result.stem.end(), '.', '_');
  const std::size_t key_column = table.column(keys[k]);
  const std::size_t activation_column = table.column("activation");
  const std::size_t mse_column = table.column("final_test_mse");
  const std::size_t bayes_column = table.column("bayes_risk");

  for (const auto& row : table.rows) index_of(result.values, row[key_column]);
  result.numeric = std::all_of(result.values.begin(), result.values.end(),
                               [](const std::string& value) { return std::isfinite(parse_number(value)); });
  const auto x_of = [&](const std::string& value) {
    if (result.numeric) return parse_number(value);
    return static_cast<double>(index_of(result.values, value) + 1);
  };
  if (result.numeric) {
    std::sort(result.values.begin(), result.values.end(),
              [](const std::string& a, const std::string& b) { return parse_number(a) < parse_number(b); });
  }

  // The other keys' values of a row, as "key=value, ..."; one text when
  // only this key varies (or no other key is swept).
  const auto others_of = [&](const std::vector<std::string>& row) {
    std::string text;
    for (std::size_t j = 0; j < keys.size(); ++j) {
      if (j == k) continue;
      text += (text.empty() ? "" : ", ") + keys[j] + "=" + row[table.column(keys[j])];
    }
    return text;
  };
  std::vector<std::string> activations, others;
  std::map<std::pair<std::size_t, std::size_t>, std::map<double, std::vector<double>>> mse;  // (other, activation)
  std::map<std::size_t, std::map<double, std::vector<double>>> bayes;                        // other
  for (const auto& row : table.rows) {
    const std::size_t other = index_of(others, others_of(row));
    const std::size_t activation = index_of(activations, row[activation_column]);
    const double x = x_of(row[key_column]);
    mse[{other, activation}][x].push_back(parse_number(row[mse_column]));
    bayes[other][x].push_back(parse_number(row[bayes_column]));
  }

  // With several combinations of the other keys, one series per (activation,
  // combination) in the same figure rather than a grid of panels: a sweep's
  // grid is small (a few values per key), the lines share one y scale to be
  // compared across combinations, and each key keeps one image to link.
  const bool one_other = others.size() <= 1;
  std::vector<FigureSeries> references;
  for (std::size_t o = 0; o < others.size(); ++o) {
    const std::string suffix = one_other ? "" : " (" + others[o] + ")";
    for (std::size_t a = 0; a < activations.size(); ++a) {
      const auto it = mse.find({o, a});
      if (it == mse.end()) continue;
      FigureSeries series = series_of(activations[a] + suffix, it->second, FigureSeries::Style::LinesPoints, true);
      if (!series.x.empty()) result.figure.series.push_back(std::move(series));
    }
    // The Bayes risk depends on the data keys, so it is a dashed curve over
    // the key's values, not a flat line; the seeds share it, hence no bars.
    FigureSeries reference = series_of("Bayes risk" + suffix, bayes[o], FigureSeries::Style::Dashed, false);
    if (!reference.x.empty()) references.push_back(std::move(reference));
  }
  // Keys that leave the data alone (heads, learning rate) give every
  // combination the same Bayes risk: one dashed curve then, not a copy each.
  const bool shared = !references.empty() && std::all_of(references.begin(), references.end(), [&](const auto& r) {
    return r.x == references.front().x && r.y == references.front().y;
  });
  if (shared) {
    references.resize(1);
    references.front().label = "Bayes risk";
  }
  for (auto& reference : references) result.figure.series.push_back(std::move(reference));

  result.figure.y_label = "final test MSE (mean ± s.e. over seeds)";
  if (result.numeric) {
    result.figure.title = "Final test MSE vs " + keys[k];
    result.figure.x_label = keys[k];
  } else {
    std::string legend;
    for (std::size_t i = 0; i < result.values.size(); ++i)
      legend += fmt::format("{}{} = {}", i == 0 ? "" : ", ", i + 1, result.values[i]);
    result.figure.title = "Final test MSE vs " + keys[k] + " (" + legend + ")";
    result.figure.x_label = keys[k] + " (value number)";
  }
  return result;
}

}  // namespace

std::vector<SweepFigure> sweep_figures(const std::vector<std::string>& keys, const std::string& final_csv) {
  const Table table = read_table(final_csv);
  std::vector<SweepFigure> figures;
  if (table.rows.empty()) return figures;  // no finished cell: nothing to draw
  for (std::size_t k = 0; k < keys.size(); ++k) figures.push_back(figure_for(table, keys, k));
  return figures;
}

void draw_sweep_figures(const std::vector<SweepFigure>& figures, const fs::path& folder) {
  for (const SweepFigure& figure : figures) render_figure(figure.figure, folder / figure.stem);
}

std::string sweep_figures_markdown(const std::vector<SweepFigure>& figures) {
  if (figures.empty()) return "";
  std::string md =
      "\n## Figures\n\nFinal test MSE against each swept key: mean over the seeds, error bars one standard error, "
      "the Bayes risk dashed. Each image's data and gnuplot script lie beside it (`.dat`, `.gp`).\n\n";
  for (const SweepFigure& figure : figures) {
    md += fmt::format("- `{}`: [{}.png]({}.png) ([svg]({}.svg))", figure.key, figure.stem, figure.stem, figure.stem);
    if (!figure.numeric) {
      md += "; x positions 1..n are the values in this order:";
      for (const auto& value : figure.values) md += " `" + value + "`";
    }
    md += "\n";
  }
  return md;
}

}  // namespace attnlab
