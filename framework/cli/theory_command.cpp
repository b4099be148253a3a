// attnlab theory: the high-dimensional limit of a comparison config, written
// as a results folder in the comparison's own form.
#include "commands.hpp"
#include "progress.hpp"
#include "run_outputs.hpp"
#include "stop_signals.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/checkpoint.hpp>
#include <attnlab/framework/results/comparison_figures.hpp>
#include <attnlab/framework/results/comparison_report.hpp>
#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/theory/bayes_point.hpp>
#include <attnlab/framework/theory/optimum_report.hpp>
#include <attnlab/framework/theory/plateau_report.hpp>
#include <attnlab/framework/theory/theory_run.hpp>
#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/sdk/params.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

namespace attnlab::cli {
namespace {

// The default comparison trains biases with a per-sample step, which has no
// limit; its theory takes the D-scaled bias step and says so.
constexpr const char* kDefaultBiasStep = "train.optimizer_params.bias_lr_scale=per-dimension";

bool sets_key(const std::vector<std::string>& overrides, const std::string& key) {
  return std::any_of(overrides.begin(), overrides.end(),
                     [&](const std::string& assignment) { return assignment.rfind(key + "=", 0) == 0; });
}

struct CheckpointStart {
  CompareConfig config;
  double time = 0.0;
  std::vector<OrderParameters> states;
};

// One or more checkpoints of one run (one per activation): the run's config
// with their activations, and each one's order parameters at its D.
CheckpointStart start_of(const PluginEnvironment& environment, const TheoryOptions& options) {
  CheckpointStart start;
  std::vector<Checkpoint> checkpoints;
  for (const auto& path : options.checkpoints) checkpoints.push_back(load_checkpoint(path));
  const Checkpoint& first = checkpoints.front();
  std::vector<std::string> overrides;
  std::string activations;
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    const Checkpoint& c = checkpoints[i];
    if (c.config_toml != first.config_toml || c.step != first.step) {
      throw UsageError(
          fmt::format("checkpoints '{}' and '{}' are not of one run at one step; give checkpoints of "
                      "one comparison",
                      options.checkpoints.front(), options.checkpoints[i]));
    }
    activations += (i == 0 ? "\"" : ", \"") + c.activation + "\"";
  }
  overrides.push_back("activations=[" + activations + "]");
  // The limit starts from the checkpoint's own dimension.
  overrides.push_back("theory.D=" + std::to_string(first.shape.dimension));
  overrides.insert(overrides.end(), options.overrides.begin(), options.overrides.end());
  start.config = compose_compare_config(first.config_toml, options.checkpoints.front(), overrides);
  start.time = first.time;

  DataModel data(environment.registry.get(start.config.data_plugin, PluginKind::DataModel),
                 with_dimension(start.config.data_params, first.shape.dimension));
  const Teacher teacher{data.teacher_keys(), data.teacher_value()};
  for (const Checkpoint& c : checkpoints) {
    start.states.push_back(order_parameters_of(c.keys_and_values, teacher, c.biases, c.activation_parameters));
  }
  return start;
}

std::string stats_lines(const TheoryRun& run) {
  std::string text = "\nintegration (first draw; all draws' wall time):\n";
  for (std::size_t i = 0; i < run.config().activations.size(); ++i) {
    const TheoryModelStats& s = run.stats()[i];
    text += fmt::format("  {:<16} {} steps ({} rejected), {} evaluations, {:.1f} s\n", run.config().activations[i],
                        s.integration.accepted, s.integration.rejected, s.integration.evaluations, s.wall_seconds);
  }
  return text;
}

// The last point's statuses, with each activation's wall time (all draws).
std::vector<ModelStatus> final_statuses(const LogPoint& last, const TheoryRun& run) {
  std::vector<ModelStatus> statuses;
  for (std::size_t i = 0; i < last.models.size(); ++i) {
    statuses.push_back(last.models[i].status);
    statuses.back().wall_seconds = run.stats()[i].wall_seconds;
  }
  return statuses;
}

// 1 after logging the first activation whose `analysis` failed, else 0.
int exit_status(const std::vector<std::string>& activations, const std::vector<std::string>& failures,
                const char* analysis) {
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (!failures[i].empty()) {
      spdlog::error("activation '{}': {} failed: {}", activations[i], analysis, failures[i]);
      return 1;
    }
  }
  return 0;
}

// theory --plateau: the analysis of every activation's plateau, written
// beside the config.
int write_plateau(TheoryRun& run, ResultsFolder& folder) {
  spdlog::info(
      "the plateau of {} activation(s): the head-symmetric flow until it settles, then the drift's "
      "Jacobian there ({} Monte Carlo samples)",
      run.config().activations.size(), run.config().theory.samples);
  const auto started = std::chrono::steady_clock::now();
  PlateauResults results;
  results.activations = run.config().activations;
  results.analyses = run.analyze_plateaus({}, results.failures);
  results.init_scale = run.config().init_scale;
  results.dimension = run.initial_dimension();
  const std::string text =
      plateau_summary(results) +
      fmt::format("wall time {:.1f} s\n",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  StagedFiles outputs;
  outputs.stage(folder.file("plateau.csv"), plateau_csv(results));
  outputs.stage(folder.file("plateau_modes.csv"), plateau_modes_csv(results));
  outputs.stage(folder.file("plateau.txt"), text);
  outputs.commit();
  fmt::print("\n{}\nresults: {}\n", text, folder.path().string());
  return exit_status(results.activations, results.failures, "the plateau analysis");
}

// The state where Bayes-softmax is the Bayes predictor of the data's
// discrete prior (single-location's prior, support and weights keys).
OrderParameters bayes_point_of(const CompareConfig& config) {
  const Params params = Params::parse(config.data_params);
  if (params.text("prior", "") != "discrete") {
    throw UsageError("--bayes-point needs a discrete prior (data.prior = \"discrete\" with data.support)");
  }
  const std::vector<std::vector<double>> support = params.rows("support");
  const std::vector<double> weights =
      params.has("weights") ? params.numbers("weights") : std::vector<double>(support.size(), 1.0);
  return bayes_point(support, weights, config.heads);
}

// theory --optimum: where the noiseless gradient flow ends from many starts.
// `bayes_start`: one more start for every activation (--bayes-point).
int write_optimum(TheoryRun& run, ResultsFolder& folder, const TheoryOptions& options,
                  const std::optional<OrderParameters>& bayes_start) {
  OptimumOptions optimum;
  optimum.starts = options.starts;
  optimum.horizon = options.horizon;
  if (bayes_start) optimum.extra_starts.assign(run.config().activations.size(), *bayes_start);
  spdlog::info(
      "the gradient flow (eta -> 0) of {} activation(s) from {} random starts each, to t = {:g} at most ({} "
      "Monte Carlo samples)",
      run.config().activations.size(), optimum.starts, optimum.horizon > 0 ? optimum.horizon : 10.0 * run.config().time,
      run.config().theory.samples);
  const auto started = std::chrono::steady_clock::now();
  OptimumResults results;
  results.activations = run.config().activations;
  results.ends = run.search_optimum(optimum, results.failures);
  if (const auto bayes = run.bayes_risk()) results.bayes_risk = bayes->mean;
  std::string from_bayes_point;
  for (std::size_t m = 0; m < results.ends.size(); ++m) {
    for (const FlowEnd& end : results.ends[m]) {
      if (end.start == optimum.starts) {
        from_bayes_point += fmt::format("{} from the Bayes-optimal point (start {} in optimum.csv): risk {:.5g}{}\n",
                                        results.activations[m], end.start, end.risk, end.settled ? ", settled" : "");
      }
    }
  }
  const std::string text =
      optimum_summary(results) + from_bayes_point +
      fmt::format("wall time {:.1f} s\n",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  StagedFiles outputs;
  outputs.stage(folder.file("optimum.csv"), optimum_csv(results));
  outputs.stage(folder.file("optimum.txt"), text);
  outputs.commit();
  fmt::print("\n{}\nresults: {}\n", text, folder.path().string());
  return exit_status(results.activations, results.failures, "the gradient flow");
}

}  // namespace

int run_theory(PluginEnvironment& environment, const TheoryOptions& options) {
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  const StopSignals stop;
  if (!options.checkpoints.empty() && options.config_path) {
    throw UsageError("--from-checkpoint continues the checkpoint's own config; do not pass a config file too");
  }
  if (options.plateau && options.optimum) throw UsageError("--plateau and --optimum are two analyses: give one");
  std::optional<CheckpointStart> start;
  CompareConfig config;
  if (!options.checkpoints.empty()) {
    start = start_of(environment, options);
    config = start->config;
  } else {
    std::vector<std::string> overrides = options.overrides;
    const bool default_bias_step = !options.config_path && !sets_key(overrides, "train.optimizer_params.bias_lr_scale");
    if (default_bias_step) overrides.insert(overrides.begin(), kDefaultBiasStep);
    config = load_compare_config(options.config_path, overrides);
    if (default_bias_step && config.trainable_bias && config.optimizer != "adam") {
      config.notes.push_back(
          "the built-in config's biases take the step bias_eta / D here (train.optimizer_params.bias_lr_scale = "
          "\"per-dimension\"): with a per-sample step they have no high-dimensional limit");
    }
  }

  ResultsFolder folder = options.out.empty() ? ResultsFolder::unique("results/theory")
                                             : ResultsFolder(options.out, options.force ? ExistingFolderPolicy::Force
                                                                                        : ExistingFolderPolicy::Refuse);
  TheoryRun run(config, environment.registry);
  if (start) run.start_from(start->time, start->states);
  std::optional<OrderParameters> bayes_start;
  if (options.bayes_point) {
    if (!options.optimum) throw UsageError("--bayes-point is a start of --optimum: give both");
    bayes_start = bayes_point_of(config);
  }
  folder.create();
  const LogFileAttachment log_file(folder);
  for (const auto& note : config.notes) spdlog::warn("{}", note);

  std::vector<std::shared_ptr<const PluginLibrary>> plugins{
      environment.registry.get(config.data_plugin, PluginKind::DataModel),
      environment.registry.get(config.optimizer, PluginKind::Optimizer)};
  for (const auto& id : config.activations) plugins.push_back(environment.registry.get(id, PluginKind::Activation));
  folder.write_atomically("config.toml", provenance_comments(plugins) + config.resolved_toml);
  if (options.plateau) return write_plateau(run, folder);
  if (options.optimum) return write_optimum(run, folder, options, bayes_start);
  folder.write_atomically("metrics.jsonl", "");
  if (const auto bayes = run.bayes_risk()) {
    spdlog::info("Bayes risk {:.6g} +- {:.2g} ({} Monte Carlo samples)", bayes->mean, bayes->standard_error,
                 bayes->samples);
  }
  spdlog::info(
      "the D -> infinity limit of {} activation(s) to t = {:g}{}, from the initial overlaps at D = {}, seed {}; {} "
      "Monte Carlo samples x {} draws, tolerance {:g} ({}); results in {}",
      config.activations.size(), config.time, start ? fmt::format(" from t = {:g}", start->time) : "",
      run.initial_dimension(), run.initial_seed(), config.theory.samples, config.theory.draws, config.theory.tolerance,
      config.theory.integrator, folder.path().string());

  constexpr std::uint64_t kProgressUnits = 1000;
  Progress progress(kProgressUnits, 0);
  std::optional<LogPoint> last;
  const auto started = std::chrono::steady_clock::now();
  const bool finished = run.run(
      [&](const LogPoint& point) {
        folder.append("metrics.jsonl", metrics_lines(point, run.bayes_risk()));
        last = point;
      },
      [&](double fraction) { progress.update(static_cast<std::uint64_t>(fraction * kProgressUnits)); },
      [&] { return stop.requested(); });
  progress.clear();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!finished) {
    fmt::print(stderr, "stopped by {}; metrics.jsonl in {} holds the log points every activation reached\n",
               signal_name(stop.signal()), folder.path().string());
    return 128 + stop.signal();
  }

  const std::string metrics = folder.read("metrics.jsonl");
  const auto results = final_results(metrics);
  const std::vector<ModelStatus> statuses = last ? final_statuses(*last, run) : std::vector<ModelStatus>{};
  const std::string table =
      summary_table(results, statuses, run.bayes_risk()) + stats_lines(run) + fmt::format("wall time {:.1f} s\n", wall);
  StagedFiles outputs;
  stage_figures(folder, outputs, [&](const std::filesystem::path& drafts) {
    render_comparison_figures(metrics, run.bayes_risk(), drafts);
  });
  outputs.stage(folder.file("summary.txt"), table);
  outputs.stage(folder.file("summary.csv"), summary_csv(results, statuses, run.bayes_risk()));
  outputs.commit();
  for (const auto& status : statuses) {
    if (status.stopped) spdlog::warn("an activation's limit failed: {}", status.reason);
  }
  fmt::print("\n{}\nresults: {}\n", table, folder.path().string());
  return 0;
}

}  // namespace attnlab::cli
