#include "experiment_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/results_folder.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

namespace attnlab::reproduce {

std::vector<std::uint64_t> ExperimentContext::seeds(std::uint32_t full_default, std::uint32_t quick_default) const {
  if (std::max(full_default, quick_default) > kMostDefaultSeeds) {
    throw std::logic_error("an experiment's default seed count exceeds kMostDefaultSeeds");
  }
  const std::uint32_t count = options.seeds > 0 ? options.seeds : pick(full_default, quick_default);
  std::vector<std::uint64_t> list;
  for (std::uint32_t i = 0; i < count; ++i) list.push_back(options.first_seed + i);
  return list;
}

void ExperimentContext::write(const std::string& name, const std::string& content) const {
  if (!planning()) write_file_atomically(folder / name, content);
}

CompareConfig ExperimentContext::config(const std::string& toml, const std::vector<std::string>& overrides,
                                        std::uint64_t seed) const {
  std::vector<std::string> all = overrides;
  all.push_back("seed=" + std::to_string(seed));
  all.push_back("train.threads=" + std::to_string(options.threads));
  return compose_compare_config(toml, folder.filename().string() + " experiment", all);
}

std::optional<ExperimentRun> ExperimentContext::run(const CompareConfig& config, const std::string& label,
                                                    const CompareConfig* warm_start_from) const {
  const std::string name = folder.filename().string() + " " + label;
  std::optional<ExperimentRun> result = cells.run(config, name, warm_start_from);
  if (result && progress) {
    std::string line = name + ": ";
    for (const ModelTrace& model : result->models) {
      line += fmt::format(" {} {}", model.activation, number(model.final_mse()));
    }
    progress(line);
  }
  return result;
}

std::string number(double value) {
  return std::isnan(value) ? "nan" : fmt::format("{:.4g}", value);
}

std::string signed_with_error(const MeanAndError& value) {
  if (value.count == 0) return "—";
  if (value.count == 1) return fmt::format("{:+.4g}", value.mean);
  return fmt::format("{:+.4g} ± {:.2g}", value.mean, value.standard_error);
}

std::string with_error(const MeanAndError& value) {
  if (value.count == 0) return "—";
  if (value.count == 1) return number(value.mean);
  return fmt::format("{:.4g} ± {:.2g}", value.mean, value.standard_error);
}

std::vector<std::string> available_activations(const PluginRegistry& registry) {
  std::vector<std::string> ids = {"softmax", "softmax1", "bayes-softmax"};
  for (const char* predecessor : {"linear", "erf", "normalized-softplus", "sparsemax", "sigmoid"}) {
    if (const auto plugin = registry.find(predecessor); plugin && plugin->kind() == PluginKind::Activation) {
      ids.emplace_back(predecessor);
    }
  }
  return ids;
}

Figure make_figure(std::string title, std::string x_label, std::string y_label, bool log_x) {
  Figure figure;
  figure.title = std::move(title);
  figure.x_label = std::move(x_label);
  figure.y_label = std::move(y_label);
  figure.log_x = log_x;
  return figure;
}

FigureSeries make_series(std::string label, FigureSeries::Style style) {
  FigureSeries series;
  series.label = std::move(label);
  series.style = style;
  return series;
}

std::string experiment_toml(const ExperimentSetting& setting) {
  std::string activations;
  for (const auto& id : setting.activations)
    activations += fmt::format("{}\"{}\"", activations.empty() ? "" : ", ", id);
  return fmt::format(R"(activations = [{}]
[data]
plugin = "single-location"
D = 50
L = 8
delta = 0.1
{}
[model]
heads = {}
[train]
time = {}
batch = 16
[eval]
test_size = {}
log_points = {}
bayes_samples = {}
)",
                     activations, setting.prior, setting.heads, setting.time, setting.test_size, setting.log_points,
                     setting.bayes_samples);
}

std::string toml_array(const std::vector<double>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + fmt::format("{}", values[i]);
  return text + "]";
}

std::string seed_fraction(std::size_t successes, std::size_t seeds) {
  const FractionInterval interval = wilson_interval(successes, seeds);
  return fmt::format("{}/{} (95 %: {:.2f}–{:.2f})", successes, seeds, interval.low, interval.high);
}

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  LineFit fit;
  const double spread = n * sxx - sx * sx;
  fit.slope = (n * sxy - sx * sy) / spread;
  if (x.size() > 2) {
    const double intercept = (sy - fit.slope * sx) / n;
    double residuals = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double r = y[i] - intercept - fit.slope * x[i];
      residuals += r * r;
    }
    fit.slope_error = std::sqrt(residuals / (n - 2) * n / spread);
  }
  return fit;
}

std::optional<double> quiet_heads(const ModelTrace& model) {
  if (model.usage.empty() || model.stopped) return std::nullopt;
  return static_cast<double>((model.usage.back().array() < kQuietUsage).count());
}

}  // namespace attnlab::reproduce
