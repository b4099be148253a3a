#include "plateau_study.hpp"

#include <attnlab/framework/reports/report.hpp>
#include <attnlab/framework/theory/plateau_report.hpp>
#include <attnlab/framework/theory/theory_run.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace attnlab::reproduce {
namespace {

// Centred features of decreasing variance, then the mean direction.
std::vector<PlateauPrior> priors(bool quick) {
  std::vector<PlateauPrior> all = {
      {"3 features", {0, 0, 0, 1.5}, {3, 2, 1.2, 0}},
      {"4 features", {0, 0, 0, 0, 1.5}, {3, 2.4, 1.8, 1.2, 0}},
      {"5 features", {0, 0, 0, 0, 0, 1.5}, {3, 2.5, 2, 1.5, 1, 0}},
  };
  if (quick) all.resize(1);
  return all;
}

std::string prior_toml(const ExperimentSetting& setting, const PlateauPrior& prior) {
  ExperimentSetting with_prior = setting;
  with_prior.prior = "prior = \"gaussian\"\nmean = " + toml_array(prior.mean) + "\nstd = " + toml_array(prior.std);
  return experiment_toml(with_prior);
}

// The limit exists for biases on the step bias_eta / D only; the
// simulations of the scan take it too, so that both describe one dynamics.
constexpr const char* kLimitBiasStep = "train.optimizer_params.bias_lr_scale=per-dimension";

PlateauResults limit_plateaus(const ExperimentContext& context, const std::string& toml) {
  const CompareConfig config =
      context.config(toml, {kLimitBiasStep, fmt::format("theory.samples={}", context.pick(4096, 1024))}, 1);
  TheoryRun run(config, context.registry);
  PlateauResults results;
  results.activations = config.activations;
  results.analyses = run.analyze_plateaus({}, results.failures);
  results.init_scale = config.init_scale;
  results.dimension = run.initial_dimension();
  return results;
}

// "yes", or the first pair of features (by decreasing variance) whose growth
// rates are in the other order.
std::string variance_order_verdict(const PlateauAnalysis& analysis) {
  std::vector<const FeatureEscape*> by_variance;
  for (const FeatureEscape& escape : analysis.features) by_variance.push_back(&escape);
  std::stable_sort(by_variance.begin(), by_variance.end(),
                   [](const FeatureEscape* a, const FeatureEscape* b) { return a->variance > b->variance; });
  for (std::size_t i = 1; i < by_variance.size(); ++i) {
    const FeatureEscape& larger = *by_variance[i - 1];
    const FeatureEscape& smaller = *by_variance[i];
    if (!larger.growth_rate) return fmt::format("no: f{} has no unstable mode", larger.feature + 1);
    if (smaller.growth_rate && *smaller.growth_rate >= *larger.growth_rate) {
      return fmt::format("no: f{} grows faster than f{}", smaller.feature + 1, larger.feature + 1);
    }
  }
  return "yes";
}

// One simulated run's plateau: from the mean-direction crossing to the first
// feature event; its level is the median test error between the two.
struct SimulatedPlateau {
  double start = std::nan("");
  double first_escape = std::nan("");
  double level = std::nan("");
};

SimulatedPlateau simulated_plateau(const ModelTrace& trace, const SpecializationCriteria& criteria) {
  const SpecializationAnalysis analysis = analyze_specialization(trace.overlaps, criteria);
  SimulatedPlateau plateau;
  if (analysis.plateau_start) plateau.start = *analysis.plateau_start;
  if (!analysis.events.empty()) plateau.first_escape = analysis.events.front().time;
  if (std::isfinite(plateau.start) && std::isfinite(plateau.first_escape)) {
    std::vector<double> errors;
    for (std::size_t i = 0; i < trace.overlaps.times.size(); ++i) {
      const double t = trace.overlaps.times[i];
      if (t >= plateau.start && t <= plateau.first_escape && std::isfinite(trace.test_mse[i]))
        errors.push_back(trace.test_mse[i]);
    }
    if (!errors.empty()) {
      std::sort(errors.begin(), errors.end());
      plateau.level = errors[errors.size() / 2];
    }
  }
  return plateau;
}

std::string header_of(const std::string& csv) {
  return csv.substr(0, csv.find('\n') + 1);
}

// The rows of `csv` after its header, each led by `prefix` as a first column.
std::string with_prefix(const std::string& csv, const std::string& prefix) {
  std::string rows;
  for (std::size_t start = csv.find('\n') + 1; start < csv.size();) {
    const std::size_t end = csv.find('\n', start);
    rows += prefix + "," + csv.substr(start, end - start + 1);
    start = end + 1;
  }
  return rows;
}

struct ScanPoint {
  std::string scan;  // "D" or "init_scale"
  std::uint32_t dimension = 0;
  double init_scale = 0.0;
};

}  // namespace

std::string plateau_study(const ExperimentContext& context, const ExperimentSetting& setting,
                          const SpecializationCriteria& criteria) {
  // The limit on each prior.
  std::string csv = "prior,activation,feature,variance,growth_rate,head_symmetric,predicted_order\n";
  std::string modes_csv;
  std::vector<std::vector<std::string>> order_rows;
  PlateauResults base;  // the experiment's own prior: the scan's theory
  // The limit trains nothing: skipped while planning.
  const std::vector<PlateauPrior> limit_priors =
      context.planning() ? std::vector<PlateauPrior>{} : priors(context.options.quick);
  for (const PlateauPrior& prior : limit_priors) {
    if (context.progress) context.progress(fmt::format("specialization: the limit's plateau, {}", prior.name));
    const PlateauResults results = limit_plateaus(context, prior_toml(setting, prior));
    if (base.activations.empty()) base = results;
    if (modes_csv.empty()) modes_csv = "prior," + header_of(plateau_modes_csv(results));
    csv += with_prefix(plateau_csv(results), prior.name);
    modes_csv += with_prefix(plateau_modes_csv(results), prior.name);
    for (std::size_t i = 0; i < results.activations.size(); ++i) {
      if (!results.analyses[i]) {
        order_rows.push_back({prior.name, results.activations[i], "failed: " + results.failures[i], "", "", ""});
        continue;
      }
      const PlateauAnalysis& analysis = *results.analyses[i];
      std::vector<const FeatureEscape*> by_variance;
      for (const FeatureEscape& escape : analysis.features) by_variance.push_back(&escape);
      std::stable_sort(by_variance.begin(), by_variance.end(),
                       [](const FeatureEscape* a, const FeatureEscape* b) { return a->variance > b->variance; });
      std::string variances, rates;
      for (const FeatureEscape* escape : by_variance) {
        variances += fmt::format("{}{:.3g}", variances.empty() ? "" : ", ", escape->variance);
        rates +=
            (rates.empty() ? "" : ", ") + (escape->growth_rate ? fmt::format("{:.3g}", *escape->growth_rate) : "—");
      }
      order_rows.push_back({prior.name, results.activations[i], variances, rates, number(analysis.risk),
                            variance_order_verdict(analysis) + (analysis.converged ? "" : " (plateau not settled)")});
    }
  }
  context.write("plateau.csv", csv);
  context.write("plateau_modes.csv", modes_csv);

  // Simulations against D and the init scale, on the experiment's prior.
  // A copy: the vector priors() returns is a temporary.
  const PlateauPrior prior = priors(true).front();
  const std::string toml = prior_toml(setting, prior);
  std::vector<ScanPoint> points;
  for (const std::uint32_t d : context.pick<std::vector<std::uint32_t>>({50, 100, 200, 400}, {50, 100}))
    points.push_back({"D", d, 0.1});
  for (const double scale : context.pick<std::vector<double>>({0.03, 0.3}, {0.3}))
    points.push_back({"init_scale", 50, scale});
  const auto seeds = context.seeds(3, 2);
  const double time = context.pick(1500.0, 1000.0);
  std::string scan_csv = "scan,D,init_scale,seed,activation,plateau_start,first_escape,length,level\n";
  // activation -> point index -> per seed
  std::map<std::string, std::vector<std::vector<SimulatedPlateau>>> simulated;
  for (std::size_t p = 0; p < points.size(); ++p) {
    const ScanPoint& point = points[p];
    for (const std::uint64_t seed : seeds) {
      const CompareConfig config = context.config(toml,
                                                  {kLimitBiasStep, fmt::format("data.D={}", point.dimension),
                                                   fmt::format("model.init_scale={}", point.init_scale),
                                                   fmt::format("train.time={}", time), "eval.log_points=60"},
                                                  seed);
      const auto run = context.run(
          config, fmt::format("plateau at D = {}, init_scale {}, seed {}", point.dimension, point.init_scale, seed));
      if (!run) continue;
      for (const ModelTrace& trace : run->models) {
        auto& per_point = simulated[trace.activation];
        per_point.resize(points.size());
        const SimulatedPlateau plateau = simulated_plateau(trace, criteria);
        per_point[p].push_back(plateau);
        scan_csv += fmt::format("{},{},{},{},{},{},{},{},{}\n", point.scan, point.dimension, point.init_scale, seed,
                                trace.activation, number(plateau.start), number(plateau.first_escape),
                                number(plateau.first_escape - plateau.start), number(plateau.level));
      }
    }
  }
  if (context.planning()) return {};
  context.write("plateau_scan.csv", scan_csv);

  std::vector<std::vector<std::string>> scan_rows;
  std::vector<std::vector<std::string>> fit_rows;
  for (std::size_t i = 0; i < base.activations.size(); ++i) {
    const std::string& id = base.activations[i];
    if (!base.analyses[i] || !simulated.count(id)) continue;
    const PlateauAnalysis& analysis = *base.analyses[i];
    const std::optional<double> growth = first_feature_growth(analysis);
    std::vector<double> log_d, escapes_d, log_scale, escapes_scale;
    for (std::size_t p = 0; p < points.size(); ++p) {
      std::vector<double> starts, escapes, lengths, levels;
      for (const SimulatedPlateau& s : simulated[id][p]) {
        starts.push_back(s.start);
        escapes.push_back(s.first_escape);
        lengths.push_back(s.first_escape - s.start);
        levels.push_back(s.level);
        if (!std::isfinite(s.first_escape)) continue;
        if (points[p].scan == "D" || points[p].dimension == 50) {
          if (points[p].init_scale == 0.1) {
            log_d.push_back(std::log(points[p].dimension));
            escapes_d.push_back(s.first_escape);
          }
        }
        if (points[p].dimension == 50) {
          log_scale.push_back(std::log(points[p].init_scale));
          escapes_scale.push_back(s.first_escape);
        }
      }
      const MeanAndError escape = mean_and_error(escapes);
      scan_rows.push_back(
          {id, fmt::format("{}", points[p].dimension), fmt::format("{}", points[p].init_scale),
           with_error(mean_and_error(starts)),
           fmt::format("{} ({}/{})", with_error(escape), escape.count, seeds.size()),
           with_error(mean_and_error(lengths)), with_error(mean_and_error(levels)), number(analysis.risk),
           growth ? number(predicted_escape_time(*growth, points[p].dimension, points[p].init_scale)) : "—"});
    }
    if (growth && log_d.size() > 2) {
      const LineFit by_d = fit_line(log_d, escapes_d);
      fit_rows.push_back(
          {id, "log D", fmt::format("{:.4g} ± {:.2g}", by_d.slope, by_d.slope_error), number(1.0 / (2.0 * *growth))});
    }
    if (growth && log_scale.size() > 2) {
      const LineFit by_scale = fit_line(log_scale, escapes_scale);
      fit_rows.push_back({id, "log init_scale", fmt::format("{:.4g} ± {:.2g}", by_scale.slope, by_scale.slope_error),
                          number(-1.0 / *growth)});
    }
  }

  const std::string order_table =
      markdown_table({"prior", "activation", "Var θ_f, decreasing", "growth rates, same order", "plateau risk (limit)",
                      "larger variance escapes first"},
                     order_rows);
  const std::string scan_table = markdown_table({"activation", "D", "init scale", "plateau from t", "first escape t",
                                                 "length", "level (simulated)", "level (limit)", "escape t predicted"},
                                                scan_rows);
  const std::string fit_table =
      markdown_table({"activation", "first escape t against", "slope (simulated)", "slope (limit)"}, fit_rows);
  return fmt::format(
      "**The plateau in the limit** (`plateau.csv`, `plateau_modes.csv`; `attnlab theory --plateau` on any config). "
      "The unspecialized fixed point of the D → ∞ limit (every head alike, no overlap with a centred feature) and "
      "the growth rates of its unstable modes, each carried by one feature; biases on the step bias_eta / D (the "
      "limit's), {} Monte Carlo samples. The paper: larger Var θ_f, faster escape.\n\n{}\n"
      "**The plateau in simulations** (`plateau_scan.csv`): the same config (bias step bias_eta / D), t = {}, {} "
      "seeds, against D and the init scale. The plateau runs from the mean-direction crossing to the first feature "
      "event; its level is the median test error in between. The limit predicts the first escape after "
      "log(sqrt(D) / init_scale) / λ (λ: the fastest feature's growth rate), up to a constant: slopes of {} "
      "against log D and {} against log init_scale.\n\n{}\n{}\n",
      context.pick(4096, 1024), order_table, time, seeds.size(), "1 / (2λ)", "−1 / λ", scan_table, fit_table);
}

}  // namespace attnlab::reproduce
