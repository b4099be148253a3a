// Final error against the number of heads H. The prior is discrete with
// three support points, so Bayes-softmax can express the Bayes predictor
// exactly once H >= 3 (one head per support point).
#include "experiment_support.hpp"
#include "limit_optimum.hpp"

#include <attnlab/framework/theory/bayes_point.hpp>

#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/reports/report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace attnlab::reproduce {
namespace {

const std::vector<std::vector<double>> kSupport = {{2.5, 0.0}, {-2.5, 0.0}, {0.0, 2.5}};
const std::vector<double> kWeights = {1.0, 1.0, 1.0};

ExperimentSetting setting(bool quick) {
  ExperimentSetting setting;
  setting.prior = "prior = \"discrete\"\nsupport = [[2.5, 0.0], [-2.5, 0.0], [0.0, 2.5]]\nweights = [1.0, 1.0, 1.0]";
  setting.heads = 3;
  setting.time = quick ? 2000.0 : 20000.0;
  setting.test_size = quick ? 1024 : 4096;
  setting.bayes_samples = quick ? 20000 : 100000;
  return setting;
}

}  // namespace

ExperimentSection run_heads(const ExperimentContext& context) {
  const std::string toml = experiment_toml(setting(context.options.quick));
  context.write("config.toml", toml);
  const std::vector<std::uint32_t> head_counts =
      context.pick(std::vector<std::uint32_t>{1, 2, 3, 4, 6, 8}, std::vector<std::uint32_t>{1, 3, 6});
  const auto seeds = context.seeds(3, 2);

  std::string csv = "heads,seed,activation,test_mse,bayes_risk,excess,stopped,bayes_test_mse\n";
  std::vector<std::string> activations;
  std::map<std::string, std::vector<MeanAndError>> error;
  std::map<std::string, std::vector<MeanAndError>> quiet;   // heads with usage below kQuietUsage
  std::map<std::string, std::vector<MeanAndError>> paired;  // against the first activation, per H
  std::vector<double> bayes_values, bayes_test_values;
  // The limit's gradient flow at every H; Bayes-softmax also from the point
  // where it is the Bayes predictor (H >= 3).
  const LimitOptimumSettings limit_settings = limit_optimum_settings(context);
  const std::vector<std::uint32_t> limit_heads =
      context.pick(std::vector<std::uint32_t>{1, 2, 3, 4, 6}, std::vector<std::uint32_t>{3});
  std::map<std::string, std::vector<double>> limit_best;  // activation -> per H
  std::vector<double> from_bayes_point;                   // Bayes-softmax, per H (NaN below 3 heads)
  std::string limit_csv = "heads,activation,start,risk,settled,flow_time,bayes_risk\n";
  for (const std::uint32_t heads : head_counts) {
    std::map<std::string, std::vector<double>> samples;
    std::map<std::string, std::vector<double>> finished;  // per seed; NaN where the model stopped
    std::map<std::string, std::vector<double>> quiet_samples;
    for (const std::uint64_t seed : seeds) {
      const auto cell = context.run(context.config(toml, {"model.heads=" + std::to_string(heads)}, seed),
                                    fmt::format("H {} seed {}", heads, seed));
      if (!cell) continue;
      const ExperimentRun& run = *cell;
      const double risk = run.bayes_risk ? run.bayes_risk->mean : std::nan("");
      const double on_test_set = run.bayes_risk ? run.bayes_risk->test_set_error : std::nan("");
      bayes_values.push_back(risk);
      bayes_test_values.push_back(on_test_set);
      for (const ModelTrace& model : run.models) {
        if (samples.find(model.activation) == samples.end() && activations.size() < run.models.size()) {
          activations.push_back(model.activation);
        }
        samples[model.activation].push_back(model.final_mse());
        finished[model.activation].push_back(model.stopped ? std::nan("") : model.final_mse());
        if (const auto quiet_count = quiet_heads(model)) quiet_samples[model.activation].push_back(*quiet_count);
        csv += fmt::format("{},{},{},{:.8g},{:.8g},{:.8g},{},{:.8g}\n", heads, seed, model.activation,
                           model.final_mse(), risk, model.final_mse() - risk, model.stopped ? 1 : 0, on_test_set);
      }
    }
    if (context.planning()) continue;  // the rest reads the runs, and the limit trains none
    for (const auto& [id, values] : samples) {
      error[id].push_back(mean_and_error(values));
      quiet[id].push_back(mean_and_error(quiet_samples[id]));
      if (id != activations.front())
        paired[id].push_back(paired_difference(finished[id], finished[activations.front()]));
    }
    from_bayes_point.push_back(std::nan(""));
    // The limit up to H = 6 (H = 3 alone in the quick run): its flows cost
    // about H times more per head count.
    if (std::find(limit_heads.begin(), limit_heads.end(), heads) == limit_heads.end()) {
      for (const auto& id : activations) limit_best[id].push_back(std::nan(""));
      continue;
    }
    const LimitOptimum limit =
        limit_optimum(context, toml, {"model.heads=" + std::to_string(heads)}, limit_settings,
                      fmt::format("H {}", heads), [heads](const std::string& id) -> std::optional<OrderParameters> {
                        if (id != "bayes-softmax" || heads < kSupport.size()) return std::nullopt;
                        return bayes_point(kSupport, kWeights, heads);
                      });
    for (std::size_t m = 0; m < limit.activations.size(); ++m) {
      limit_best[limit.activations[m]].push_back(limit.best[m]);
      if (limit.activations[m] == "bayes-softmax") from_bayes_point.back() = limit.extra[m];
    }
    limit_csv += limit.csv_rows(fmt::format("{}", heads));
  }
  if (context.planning()) return {};
  context.write("heads.csv", csv);
  context.write("limit_optimum.csv", limit_csv);
  // The data and its seeds do not depend on H: one Bayes risk for all.
  const MeanAndError bayes = mean_and_error(bayes_values);
  const MeanAndError bayes_test = mean_and_error(bayes_test_values);

  Figure figure = make_figure("final test error against the number of heads", "heads H", "test MSE");
  for (const auto& id : activations) {
    FigureSeries series = make_series(id);
    for (std::size_t i = 0; i < head_counts.size(); ++i) {
      series.x.push_back(head_counts[i]);
      series.y.push_back(error[id][i].mean);
      series.error.push_back(error[id][i].standard_error);
    }
    figure.series.push_back(std::move(series));
  }
  for (const auto& id : activations) {
    FigureSeries limit = make_series(id + " (limit: best flow end)", FigureSeries::Style::Dashed);
    for (std::size_t i = 0; i < head_counts.size(); ++i) {
      if (std::isnan(limit_best[id][i])) continue;  // no limit at this H (quick run)
      limit.x.push_back(head_counts[i]);
      limit.y.push_back(limit_best[id][i]);
    }
    figure.series.push_back(std::move(limit));
  }
  figure.horizontal_lines.push_back({"Bayes risk", bayes.mean});
  render_figure(figure, context.folder / "test_error_vs_heads");

  std::vector<std::string> header = {"H"};
  for (const auto& id : activations) header.push_back(id + " test MSE");
  for (const auto& id : activations) header.push_back(id + " limit");
  header.push_back("bayes-softmax limit from the Bayes point");
  std::vector<std::string> paired_header = {"H"};
  for (const auto& id : activations) {
    if (id != activations.front()) paired_header.push_back(id + " - " + activations.front());
  }
  std::vector<std::vector<std::string>> rows, paired_rows;
  for (std::size_t i = 0; i < head_counts.size(); ++i) {
    std::vector<std::string> row = {std::to_string(head_counts[i])};
    std::vector<std::string> paired_row = {std::to_string(head_counts[i])};
    for (const auto& id : activations) {
      row.push_back(fmt::format("{} ({:.3g} quiet)", with_error(error[id][i]), quiet[id][i].mean));
      if (id != activations.front()) paired_row.push_back(signed_with_error(paired[id][i]));
    }
    const auto shown = [](double value) { return std::isnan(value) ? std::string("—") : number(value); };
    for (const auto& id : activations) row.push_back(shown(limit_best[id][i]));
    row.push_back(shown(from_bayes_point[i]));
    rows.push_back(std::move(row));
    paired_rows.push_back(std::move(paired_row));
  }
  const std::string table = markdown_table(header, rows);
  const std::string paired_table = markdown_table(paired_header, paired_rows);
  context.write("table.md", table + "\n" + paired_table);
  return {"Number of heads",
          fmt::format(
              "Discrete prior with three equally likely support points (±2.5 e1, 2.5 e2); D = 50, L = 8, "
              "t = {}; {} seeds per point. Bayes risk {} (Monte Carlo); the Bayes predictor's error on the seeds' "
              "own test sets {}. In brackets: the mean number of quiet heads, whose total attention weight on the "
              "test set is below 0.1. \"Limit\": the lowest population risk the noiseless gradient flow of the D -> "
              "infinity limit reaches from {} random starts (init scale 0.5) by flow time {} (t at eta = 0.1; "
              "\"—\" where it was not computed); for Bayes-softmax "
              "also from the point where it is the Bayes predictor (one head per support point; limit_optimum.csv "
              "says which flows settled).\n\n{}\nPaired differences of final test MSE against {} (same data and "
              "initial parameters in each seed; mean ± standard error of the per-seed difference):\n\n{}\n"
              "![test error against H](heads/test_error_vs_heads.png)\n",
              context.pick(20000, 2000), seeds.size(), number(bayes.mean), with_error(bayes_test),
              limit_settings.starts, limit_settings.horizon, table, activations.front(), paired_table)};
}

}  // namespace attnlab::reproduce
