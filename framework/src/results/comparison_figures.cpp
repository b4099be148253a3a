#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/results/comparison_figures.hpp>
#include <attnlab/framework/results/overlap_figures.hpp>

#include "results/metrics_json.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>
#include <limits>
#include <sstream>
#include <vector>

namespace attnlab {
namespace {

using Json = nlohmann::json;

// One activation's records; a model that stopped has no test error or
// overlaps after its stop.
struct ActivationHistory {
  std::string activation;
  FigureSeries test_error;
  OverlapTrajectory overlaps;
};

std::vector<ActivationHistory> histories(const std::string& metrics_jsonl) {
  std::vector<ActivationHistory> result;
  std::istringstream lines(metrics_jsonl);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const Json record = Json::parse(line);
    const auto activation = record["activation"].get<std::string>();
    auto it = std::find_if(result.begin(), result.end(),
                           [&](const ActivationHistory& history) { return history.activation == activation; });
    if (it == result.end()) {
      result.push_back({.activation = activation, .test_error = {}, .overlaps = {}});
      it = std::prev(result.end());
      it->test_error.label = activation;
      it->test_error.style = FigureSeries::Style::Lines;
    }
    const double t = record["t"].get<double>();
    if (record.contains("test_mse")) {
      it->test_error.x.push_back(t);
      it->test_error.y.push_back(number_or_nan(record["test_mse"]));
      if (record.contains("test_mse_band")) it->test_error.error.push_back(number_or_nan(record["test_mse_band"]));
    }
    if (record.contains("key_overlaps")) {
      it->overlaps.times.push_back(t);
      it->overlaps.key_overlaps.push_back(matrix_of(record["key_overlaps"]));
    }
  }
  return result;
}

}  // namespace

void render_comparison_figures(const std::string& metrics_jsonl, const std::optional<BayesRiskEstimate>& bayes_risk,
                               const std::filesystem::path& folder, const std::string& theory_jsonl) {
  std::vector<ActivationHistory> models = histories(metrics_jsonl);
  const std::vector<ActivationHistory> theory =
      theory_jsonl.empty() ? std::vector<ActivationHistory>{} : histories(theory_jsonl);
  const auto theory_of = [&](const std::string& activation) -> const ActivationHistory* {
    const auto it = std::find_if(theory.begin(), theory.end(),
                                 [&](const ActivationHistory& history) { return history.activation == activation; });
    return it == theory.end() ? nullptr : &*it;
  };
  Figure test_error;
  const bool limit_only = !models.empty() && !models.front().test_error.error.empty();
  test_error.title = !theory.empty() ? "test error: simulation (solid) and D -> infinity limit (dashed)"
                     : limit_only    ? "population risk in the D -> infinity limit (bars: Monte Carlo band)"
                                     : "test error during training";
  test_error.x_label = "t = samples / D";
  test_error.y_label = "test MSE";
  test_error.log_x = true;
  for (std::size_t i = 0; i < models.size(); ++i) {
    FigureSeries simulated = models[i].test_error;
    // A band must cover every point or none (the renderer checks).
    if (simulated.error.size() != simulated.y.size()) simulated.error.clear();
    simulated.colour = static_cast<int>(i);
    test_error.series.push_back(simulated);
    if (const ActivationHistory* limit = theory_of(models[i].activation)) {
      FigureSeries dashed = limit->test_error;
      dashed.label = models[i].activation + " (theory)";
      dashed.style = FigureSeries::Style::Dashed;
      dashed.colour = static_cast<int>(i);
      if (dashed.error.size() != dashed.y.size()) dashed.error.clear();
      test_error.series.push_back(std::move(dashed));
    }
  }
  if (bayes_risk) test_error.horizontal_lines.push_back({"Bayes risk", bayes_risk->mean});
  render_figure(test_error, folder / "test_error");

  for (const ActivationHistory& model : models) {
    if (model.overlaps.key_overlaps.empty()) continue;  // stopped before its first evaluation
    std::vector<std::string> features;
    for (Eigen::Index f = 0; f < model.overlaps.key_overlaps.front().cols(); ++f)
      features.push_back(fmt::format("feature {}", f + 1));
    const std::string title = model.activation + ": key overlaps m[h,f] = k_h . k*_f / D";
    const ActivationHistory* limit = theory_of(model.activation);
    const OverlapTrajectory* limit_overlaps =
        limit != nullptr && !limit->overlaps.key_overlaps.empty() ? &limit->overlaps : nullptr;
    render_figure_grid(overlap_panels(title, model.overlaps, features, limit_overlaps),
                       folder / ("overlaps_" + model.activation));
    render_heat_map(final_overlap_map(model.activation + ": final key overlaps", model.overlaps, features),
                    folder / ("final_overlaps_" + model.activation));
  }
}

}  // namespace attnlab
