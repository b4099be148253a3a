// What the reproduce experiments share: their context, seed loops, number
// formatting and file output. Internal to the framework library.
#pragma once

#include "reproduction_cells.hpp"

#include <attnlab/framework/analysis/seed_statistics.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/reproduce/experiment_run.hpp>
#include <attnlab/framework/reproduce/reproduce.hpp>
#include <attnlab/framework/training/compare_config.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::reproduce {

// The most seeds any experiment uses by default (run_reproduce checks the
// seed range against it before anything runs).
inline constexpr std::uint32_t kMostDefaultSeeds = 30;

struct ExperimentContext {
  ReproduceOptions options;
  PluginRegistry& registry;
  std::filesystem::path folder;  // this experiment's own folder
  std::function<void(const std::string&)> progress;
  ReproductionCells& cells;

  // Whether this pass only plans the training runs (run() answers nothing):
  // the experiment returns once it has asked for all of them.
  bool planning() const { return cells.planning(); }
  // At most kMostDefaultSeeds unless --seeds says otherwise.
  std::vector<std::uint64_t> seeds(std::uint32_t full_default, std::uint32_t quick_default) const;
  // quick ? quick_value : full_value
  template <class T>
  T pick(T full_value, T quick_value) const {
    return options.quick ? quick_value : full_value;
  }
  // Writes a file of the experiment's folder; nothing while planning.
  void write(const std::string& name, const std::string& content) const;
  // The experiment's config with `overrides`, the seed and the thread count
  // applied.
  CompareConfig config(const std::string& toml, const std::vector<std::string>& overrides, std::uint64_t seed) const;
  // A training run, as a cell of the reproduction (reproduction_cells.hpp):
  // nothing while planning, the finished run when analysing (reported as
  // "<experiment> <label>: ..."). `warm_start_from`: a cold-start run asked
  // for before, whose final parameters the models start from.
  std::optional<ExperimentRun> run(const CompareConfig& config, const std::string& label,
                                   const CompareConfig* warm_start_from = nullptr) const;
};

// What an experiment contributes to the report.
struct ExperimentSection {
  std::string title;
  std::string markdown;  // images referenced relative to the report folder
};

ExperimentSection run_specialization(const ExperimentContext& context);
ExperimentSection run_activations(const ExperimentContext& context);
ExperimentSection run_heads(const ExperimentContext& context);
ExperimentSection run_pruning(const ExperimentContext& context);
ExperimentSection run_theory(const ExperimentContext& context);
ExperimentSection run_basins(const ExperimentContext& context);

// "0.5234 ± 0.0041" (4 significant digits, error with 2).
std::string with_error(const MeanAndError& value);
// The same with the sign always shown (a difference).
std::string signed_with_error(const MeanAndError& value);
// "k/n (95 %: low–high)", the Wilson interval of the fraction.
std::string seed_fraction(std::size_t successes, std::size_t seeds);
// "{:.4g}", "nan" for NaN.
std::string number(double value);
// Activation ids present in the registry, the three built-ins first, then the
// predecessor activations if their example plugins are on the plugin path.
std::vector<std::string> available_activations(const PluginRegistry& registry);
// A figure or series with its texts set (designated initializers would
// leave the rest unnamed, which -Wextra flags).
Figure make_figure(std::string title, std::string x_label, std::string y_label, bool log_x = false);
FigureSeries make_series(std::string label, FigureSeries::Style style = FigureSeries::Style::LinesPoints);

// What sets one experiment apart; the rest is shared by all: single-location
// data with D = 50, L = 8, noise 0.1, online SGD with batch 16 and the
// default optimizer.
struct ExperimentSetting {
  std::vector<std::string> activations = {"softmax", "softmax1", "bayes-softmax"};
  std::string prior;  // TOML lines of the [data] table that define the prior
  std::uint32_t heads = 4;
  double time = 1000.0;
  std::uint32_t test_size = 2048;
  std::uint32_t log_points = 12;
  std::uint32_t bayes_samples = 100000;
};

// The experiment's config as TOML text (over the built-in default).
std::string experiment_toml(const ExperimentSetting& setting);

// TOML array text "[1.5, 0, 0]".
std::string toml_array(const std::vector<double>& values);

// Least-squares line y = a + slope x, with the slope's standard error (0
// with fewer than three points).
struct LineFit {
  double slope = 0.0;
  double slope_error = 0.0;
};
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

// A head whose usage (mean total attention weight) is below this is quiet.
inline constexpr double kQuietUsage = 0.1;

// Quiet heads of a model at its last log point; none when it has no usage
// recorded or was stopped.
std::optional<double> quiet_heads(const ModelTrace& model);

}  // namespace attnlab::reproduce
