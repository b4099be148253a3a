// Final excess risk against signal strength, for every activation present,
// with the Bayes risk curve.
#include "experiment_support.hpp"
#include "limit_optimum.hpp"

#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/reports/report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace attnlab::reproduce {
namespace {

// The prior of the specialization experiment with one feature fewer; the
// signal strength lambda scales its mean and standard deviations together.
const std::vector<double> kMean = {0.0, 0.0, 1.5};
const std::vector<double> kStd = {2.0, 1.0, 0.0};

std::vector<double> scaled(const std::vector<double>& values, double factor) {
  std::vector<double> result;
  for (const double v : values) result.push_back(v * factor);
  return result;
}

ExperimentSetting setting(bool quick, const std::vector<std::string>& activations) {
  ExperimentSetting setting;
  setting.activations = activations;
  setting.prior = "prior = \"gaussian\"\nmean = " + toml_array(kMean) + "\nstd = " + toml_array(kStd);
  setting.time = quick ? 1500.0 : 10000.0;
  setting.test_size = quick ? 1024 : 4096;
  setting.bayes_samples = quick ? 20000 : 100000;
  return setting;
}

}  // namespace

ExperimentSection run_activations(const ExperimentContext& context) {
  const std::vector<std::string> activations = available_activations(context.registry);
  const std::string toml = experiment_toml(setting(context.options.quick, activations));
  context.write("config.toml", toml);
  const std::vector<double> strengths =
      context.pick(std::vector<double>{0.25, 0.5, 1.0, 1.5, 2.0, 3.0}, std::vector<double>{0.5, 1.0, 2.0});
  const auto seeds = context.seeds(3, 3);

  std::string csv = "lambda,seed,activation,test_mse,bayes_risk,bayes_risk_se,excess,stopped,bayes_test_mse\n";
  std::map<std::string, std::vector<MeanAndError>> excess, error;  // activation -> per strength
  // Against the first activation, seed by seed (activation -> per strength).
  const std::string& reference = activations.front();
  std::map<std::string, std::vector<MeanAndError>> paired;
  std::vector<MeanAndError> bayes, bayes_test;
  // The limit's gradient flow at every strength: the lowest risk it reaches.
  const LimitOptimumSettings limit_settings = limit_optimum_settings(context);
  const std::vector<double> limit_strengths =
      context.pick(std::vector<double>{0.5, 1.0, 2.0}, std::vector<double>{1.0});
  std::map<std::string, std::vector<double>> limit_excess;  // activation -> per strength
  std::string limit_csv = "lambda,activation,start,risk,settled,flow_time,bayes_risk\n";
  for (const double lambda : strengths) {
    std::map<std::string, std::vector<double>> excess_samples, error_samples;
    std::map<std::string, std::vector<double>> finished;  // per seed; NaN where the model stopped
    std::vector<double> bayes_samples, bayes_test_samples;
    const std::vector<std::string> overrides = {"data.mean=" + toml_array(scaled(kMean, lambda)),
                                                "data.std=" + toml_array(scaled(kStd, lambda))};
    for (const std::uint64_t seed : seeds) {
      const auto cell =
          context.run(context.config(toml, overrides, seed), fmt::format("lambda {} seed {}", lambda, seed));
      if (!cell) continue;
      const ExperimentRun& run = *cell;
      const double risk = run.bayes_risk ? run.bayes_risk->mean : std::nan("");
      const double on_test_set = run.bayes_risk ? run.bayes_risk->test_set_error : std::nan("");
      bayes_samples.push_back(risk);
      bayes_test_samples.push_back(on_test_set);
      for (const ModelTrace& model : run.models) {
        const double mse = model.final_mse();
        excess_samples[model.activation].push_back(mse - risk);
        error_samples[model.activation].push_back(mse);
        finished[model.activation].push_back(model.stopped ? std::nan("") : mse);
        csv += fmt::format("{},{},{},{:.8g},{:.8g},{:.3g},{:.8g},{},{:.8g}\n", lambda, seed, model.activation, mse,
                           risk, run.bayes_risk ? run.bayes_risk->standard_error : std::nan(""), mse - risk,
                           model.stopped ? 1 : 0, on_test_set);
      }
    }
    if (context.planning()) continue;  // the rest reads the runs, and the limit trains none
    bayes.push_back(mean_and_error(bayes_samples));
    bayes_test.push_back(mean_and_error(bayes_test_samples));
    for (const auto& id : activations) {
      excess[id].push_back(mean_and_error(excess_samples[id]));
      error[id].push_back(mean_and_error(error_samples[id]));
      if (id != reference) paired[id].push_back(paired_difference(finished[id], finished[reference]));
    }
    // The limit for the paper's three activations at three strengths (one in
    // the quick run): the examples' flows and the other strengths would
    // more than double the experiment's time.
    if (std::find(limit_strengths.begin(), limit_strengths.end(), lambda) == limit_strengths.end()) {
      for (const char* id : {"softmax", "softmax1", "bayes-softmax"}) limit_excess[id].push_back(std::nan(""));
      continue;
    }
    std::vector<std::string> limit_overrides = overrides;
    limit_overrides.push_back("activations=[\"softmax\", \"softmax1\", \"bayes-softmax\"]");
    const LimitOptimum limit =
        limit_optimum(context, toml, limit_overrides, limit_settings, fmt::format("lambda {}", lambda));
    for (std::size_t m = 0; m < limit.activations.size(); ++m) {
      limit_excess[limit.activations[m]].push_back(limit.best[m] - limit.bayes_risk);
    }
    limit_csv += limit.csv_rows(fmt::format("{}", lambda));
  }
  if (context.planning()) return {};
  context.write("activations.csv", csv);
  context.write("limit_optimum.csv", limit_csv);

  Figure error_figure = make_figure("final test error against signal strength",
                                    "signal strength lambda (prior mean and std scaled by lambda)", "test MSE");
  Figure excess_figure =
      make_figure("final excess risk against signal strength", "signal strength lambda", "test MSE - Bayes risk");
  for (const auto& id : activations) {
    FigureSeries e = make_series(id);
    FigureSeries x = make_series(id);
    for (std::size_t i = 0; i < strengths.size(); ++i) {
      e.x.push_back(strengths[i]);
      e.y.push_back(error[id][i].mean);
      e.error.push_back(error[id][i].standard_error);
      x.x.push_back(strengths[i]);
      x.y.push_back(excess[id][i].mean);
      x.error.push_back(excess[id][i].standard_error);
    }
    error_figure.series.push_back(std::move(e));
    excess_figure.series.push_back(std::move(x));
  }
  for (const auto& id : activations) {
    if (limit_excess.count(id) == 0) continue;
    const std::vector<double>& values = limit_excess[id];
    FigureSeries limit = make_series(id + " (limit: best flow end)", FigureSeries::Style::Dashed);
    for (std::size_t i = 0; i < strengths.size(); ++i) {
      if (std::isnan(values[i])) continue;  // no limit at this strength (quick run)
      limit.x.push_back(strengths[i]);
      limit.y.push_back(values[i]);
    }
    excess_figure.series.push_back(std::move(limit));
  }
  FigureSeries bayes_series = make_series("Bayes risk", FigureSeries::Style::Dashed);
  for (std::size_t i = 0; i < strengths.size(); ++i) {
    bayes_series.x.push_back(strengths[i]);
    bayes_series.y.push_back(bayes[i].mean);
  }
  error_figure.series.push_back(std::move(bayes_series));
  render_figure(error_figure, context.folder / "test_error_vs_signal");
  render_figure(excess_figure, context.folder / "excess_risk_vs_signal");

  std::vector<std::string> header = {"lambda", "Bayes risk", "Bayes on the test sets"};
  for (const auto& id : activations) header.push_back(id + " excess");
  for (const auto& id : activations) {
    if (limit_excess.count(id) != 0) header.push_back(id + " limit excess");
  }
  std::vector<std::string> paired_header = {"lambda"};
  for (const auto& id : activations) {
    if (id != reference) paired_header.push_back(id + " - " + reference);
  }
  std::vector<std::vector<std::string>> rows, paired_rows;
  for (std::size_t i = 0; i < strengths.size(); ++i) {
    std::vector<std::string> row = {fmt::format("{}", strengths[i]), number(bayes[i].mean), with_error(bayes_test[i])};
    for (const auto& id : activations) row.push_back(with_error(excess[id][i]));
    for (const auto& id : activations) {
      if (limit_excess.count(id) == 0) continue;
      const double value = limit_excess[id][i];
      row.push_back(std::isnan(value) ? "—" : fmt::format("{:+.4g}", value));
    }
    rows.push_back(std::move(row));
    std::vector<std::string> paired_row = {fmt::format("{}", strengths[i])};
    for (const auto& id : activations) {
      if (id != reference) paired_row.push_back(signed_with_error(paired[id][i]));
    }
    paired_rows.push_back(std::move(paired_row));
  }
  const std::string table = markdown_table(header, rows);
  const std::string paired_table = markdown_table(paired_header, paired_rows);
  context.write("table.md", table + "\n" + paired_table);

  return {
      "Activations against signal strength",
      fmt::format(
          "Gaussian prior with mean {} and std {}, both scaled by lambda; D = 50, L = 8, H = 4, t = {}; "
          "{} seeds per point. Excess risk = final test MSE - Bayes risk (mean ± standard error over "
          "seeds); beside the Bayes risk, the Bayes predictor's error on the seeds' own test sets. \"Limit excess\": "
          "the "
          "lowest population risk the noiseless gradient flow of the D -> infinity limit reaches (the paper's three "
          "activations) from {} "
          "random starts (init scale 0.5) by flow time {} (t at eta = 0.1; limit_optimum.csv says which "
          "settled), minus the Bayes risk: what the activation reaches without SGD noise and at D -> "
          "infinity; \"—\" where it was not computed.\n\n"
          "{}\nPaired differences of final test MSE against {} (each seed trains every activation on "
          "the same data from the same initial parameters; mean ± standard error of the per-seed "
          "difference, seeds where both finished):\n\n{}\n"
          "![test error](activations/test_error_vs_signal.png)\n\n"
          "![excess risk](activations/excess_risk_vs_signal.png)\n",
          toml_array(kMean), toml_array(kStd), context.pick(10000, 1500), seeds.size(), limit_settings.starts,
          limit_settings.horizon, table, reference, paired_table)};
}

}  // namespace attnlab::reproduce
