#include "commands.hpp"
#include "progress.hpp"

#include <attnlab/framework/comparison.hpp>
#include <attnlab/framework/comparison_report.hpp>
#include <attnlab/framework/errors.hpp>
#include <attnlab/framework/file_hash.hpp>
#include <attnlab/framework/results_folder.hpp>
#include <attnlab/framework/seed_summary.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <sstream>

namespace attnlab::cli {
namespace {

std::string default_results_path() {
  const std::time_t now = std::time(nullptr);
  return fmt::format("results/compare-{:%Y%m%d-%H%M%S}", fmt::localtime(now));
}

ExistingFolderPolicy folder_policy(const CompareOptions& options) {
  if (options.resume && options.force) throw UsageError("--resume and --force cannot be combined");
  if (options.resume) return ExistingFolderPolicy::Resume;
  if (options.force) return ExistingFolderPolicy::Force;
  return ExistingFolderPolicy::Refuse;
}

// Provenance as TOML comments, so that config.toml stays loadable as a config.
std::string provenance_comments(const Comparison& comparison) {
  std::string text =
      fmt::format("# attnlab {}, plugin ABI {}.{}\n", ATTNLAB_VERSION, ATTNLAB_ABI_MAJOR, ATTNLAB_ABI_MINOR);
  for (const auto& plugin : comparison.plugins()) {
    text += fmt::format("# plugin {} {} {} {} {}\n", to_string(plugin->kind()), plugin->id(), plugin->version(),
                        file_fingerprint(plugin->path()), plugin->path().string());
  }
  return text;
}

std::string log_point_line(const LogPoint& point) {
  std::string line = fmt::format("t = {:<10.4g}", point.time);
  for (const auto& model : point.models) {
    line += fmt::format("  {} {}", model.activation,
                        model.evaluation ? fmt::format("{:.4g}", model.evaluation->test_mse) : "stopped");
  }
  return line;
}

// One checkpoint per trained model, for `attnlab prune`; a stopped model's
// parameters are not a trained model, so it gets none.
void write_checkpoints(const Comparison& comparison, const ResultsFolder& folder) {
  for (std::size_t i = 0; i < comparison.activations().size(); ++i) {
    const std::string& id = comparison.activations()[i];
    if (comparison.statuses()[i].stopped) {
      spdlog::info("no checkpoint for {}: it stopped at step {}", id, comparison.statuses()[i].stopped_step);
      continue;
    }
    save_checkpoint(folder.file("checkpoints") / (id + ".ckpt"), comparison.checkpoint(i));
  }
}

}  // namespace

namespace {

// While it lives, the log also goes to <folder>/attnlab.log.
class LogFileAttachment {
 public:
  explicit LogFileAttachment(const ResultsFolder& folder)
      : sink_(std::make_shared<spdlog::sinks::basic_file_sink_mt>(folder.file("attnlab.log").string())) {
    sink_->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l: %v");
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogFileAttachment() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogFileAttachment(const LogFileAttachment&) = delete;
  LogFileAttachment& operator=(const LogFileAttachment&) = delete;

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
};

// Trains `config` in `folder` (fresh, or resumed from its checkpoint.bin) and
// writes every result file; returns the summary table. A folder that is
// already finished is left as it is.
std::string run_in_folder(PluginEnvironment& environment, const ResultsFolder& folder, const CompareConfig& config) {
  if (folder.resuming() && folder.exists("summary.csv")) {
    spdlog::info("{} is already finished", folder.path().string());
    return folder.read("summary.txt");
  }
  Comparison comparison(config, environment.registry);
  folder.create();
  const LogFileAttachment log_file(folder);

  if (folder.resuming() && folder.exists("checkpoint.bin")) {
    std::istringstream state(folder.read("checkpoint.bin"));
    comparison.load_state(state);
    truncate_metrics(folder.file("metrics.jsonl"), comparison.step() == 0 ? 0 : comparison.step());
    spdlog::info("resuming {} at step {} of {}", folder.path().string(), comparison.step(),
                 comparison.schedule().total_steps);
  } else {
    // Fresh start (or a resume of a run killed before its first checkpoint).
    folder.write_atomically("config.toml", provenance_comments(comparison) + config.resolved_toml);
    folder.write_atomically("metrics.jsonl", "");
  }
  if (const auto bayes = comparison.bayes_risk()) {
    spdlog::info("Bayes risk {:.6g} +- {:.2g} ({} Monte Carlo samples)", bayes->mean, bayes->standard_error,
                 bayes->samples);
  }
  spdlog::info("training {} model(s) for {} steps of batch {} (t = {:g}), results in {}", config.activations.size(),
               comparison.schedule().total_steps, config.batch, config.time, folder.path().string());

  Progress progress(comparison.schedule().total_steps, comparison.step());
  comparison.run(
      [&](const LogPoint& point) {
        folder.append("metrics.jsonl", metrics_lines(point, comparison.bayes_risk()));
        std::ostringstream state;
        comparison.save_state(state);
        folder.write_atomically("checkpoint.bin", state.str());
        progress.clear();
        spdlog::debug("{}", log_point_line(point));
      },
      [&](std::uint64_t step) { progress.update(step); });
  progress.clear();

  const std::string metrics = folder.read("metrics.jsonl");
  const auto results = final_results(metrics);
  for (const auto& [name, svg] : comparison_plots(metrics, comparison.bayes_risk())) {
    folder.write_atomically(name, svg);
  }
  const std::string table = summary_table(results, comparison.statuses(), comparison.bayes_risk());
  folder.write_atomically("summary.txt", table);
  write_checkpoints(comparison, folder);
  // Written last: its presence marks the run as finished.
  folder.write_atomically("summary.csv", summary_csv(results, comparison.statuses(), comparison.bayes_risk()));
  for (const auto& status : comparison.statuses()) {
    if (status.stopped) spdlog::warn("a model stopped at step {}: {}", status.stopped_step, status.reason);
  }
  return table;
}

// The config a run continues with: the saved one when resuming, else the
// file and --set overrides given now.
CompareConfig config_for(const ResultsFolder& folder, const CompareOptions& options) {
  if (!folder.resuming()) return load_compare_config(options.config_path, options.overrides);
  if (options.config_path || !options.overrides.empty()) {
    throw UsageError("--resume continues with the config saved in '" + folder.path().string() +
                     "'; do not pass a config file or --set");
  }
  return parse_compare_config(folder.read("config.toml"), folder.file("config.toml").string());
}

// --seeds N: one complete comparison per seed in seed-<s>/, seeds s0..s0+N-1
// (s0 the config's seed), then summary.txt and summary.csv over the seeds.
int run_compare_seeds(PluginEnvironment& environment, const CompareOptions& options, const ResultsFolder& folder) {
  const CompareConfig base = config_for(folder, options);
  folder.create();
  if (!folder.resuming()) folder.write_atomically("config.toml", base.resolved_toml);
  std::vector<std::string> summaries;
  std::vector<std::string> sources;
  for (std::uint32_t k = 0; k < options.seeds; ++k) {
    const std::uint64_t seed = base.seed + k;
    const ResultsFolder seed_folder(folder.file(fmt::format("seed-{}", seed)),
                                    folder.resuming() ? ExistingFolderPolicy::Resume : ExistingFolderPolicy::Refuse);
    const CompareConfig config =
        seed_folder.resuming() && seed_folder.exists("config.toml")
            ? parse_compare_config(seed_folder.read("config.toml"), seed_folder.file("config.toml").string())
            : compose_compare_config(base.resolved_toml, folder.file("config.toml").string(),
                                     {"seed=" + std::to_string(seed)});
    spdlog::info("seed {} ({} of {})", seed, k + 1, options.seeds);
    fmt::print("\nseed {}:\n{}", seed, run_in_folder(environment, seed_folder, config));
    summaries.push_back(seed_folder.read("summary.csv"));
    sources.push_back(seed_folder.file("summary.csv").string());
  }
  const SeedSummary summary = summarize_seeds(summaries, sources);
  const std::string table = seed_summary_table(summary);
  folder.write_atomically("summary.txt", table);
  folder.write_atomically("summary.csv", seed_summary_csv(summary));
  fmt::print("\nover {} seeds ({} to {}):\n{}\nresults: {}\n", options.seeds, base.seed, base.seed + options.seeds - 1,
             table, folder.path().string());
  return 0;
}

}  // namespace

int run_compare(PluginEnvironment& environment, const CompareOptions& options) {
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  const ResultsFolder folder(options.out.empty() ? default_results_path() : options.out, folder_policy(options));
  if (options.seeds > 1) return run_compare_seeds(environment, options, folder);
  const CompareConfig config = config_for(folder, options);
  if (folder.resuming() && folder.exists("summary.csv")) {
    fmt::print("{} is already finished; nothing to do.\n\n", folder.path().string());
    fmt::print("{}", folder.read("summary.csv"));
    return 0;
  }
  const std::string table = run_in_folder(environment, folder, config);
  fmt::print("\n{}\nresults: {}\n", table, folder.path().string());
  return 0;
}

int run_bayes_risk(const PluginEnvironment& environment, const BayesRiskOptions& options) {
  const CompareConfig config = load_compare_config(options.config_path, options.overrides);
  DataModel data(environment.registry.get(config.data_plugin, PluginKind::DataModel), config.data_params);
  if (!data.has_bayes()) {
    throw UsageError("data model '" + config.data_plugin + "' does not provide a Bayes-optimal predictor");
  }
  const std::uint32_t samples = options.samples > 0 ? options.samples : std::max(config.bayes_samples, 1u);
  Rng rng(stream_seed(config.seed, StreamPurpose::BayesRisk));
  const auto estimate = estimate_bayes_risk(data, rng, samples);
  fmt::print("Bayes risk = {:.6g} +- {:.2g} (standard error, {} Monte Carlo samples, seed {})\n", estimate.mean,
             estimate.standard_error, estimate.samples, config.seed);
  return 0;
}

}  // namespace attnlab::cli
