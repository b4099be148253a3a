#include "commands.hpp"
#include "plugin_failures.hpp"
#include "progress.hpp"
#include "run_outputs.hpp"
#include "stop_signals.hpp"
#include "supervisor.hpp"

#include <attnlab/framework/analysis/seed_summary.hpp>
#include <attnlab/framework/common/call_monitor.hpp>
#include <attnlab/framework/common/elapsed.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/file_hash.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/results/checkpoint.hpp>
#include <attnlab/framework/results/comparison_figures.hpp>
#include <attnlab/framework/results/comparison_report.hpp>
#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/results/warm_start.hpp>
#include <attnlab/framework/theory/order_parameters.hpp>
#include <attnlab/framework/theory/theory_run.hpp>
#include <attnlab/framework/training/comparison.hpp>
#include <attnlab/framework/training/run_footprint.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <sstream>

namespace attnlab::cli {
namespace {

std::string log_point_line(const LogPoint& point) {
  std::string line = fmt::format("t = {:<10.4g}", point.time);
  for (const auto& model : point.models) {
    line += fmt::format("  {} {}", model.activation,
                        model.evaluation ? fmt::format("{:.4g}", model.evaluation->test_mse) : "stopped");
  }
  return line;
}

// How a run in one folder ended.
struct FolderOutcome {
  bool finished = false;     // false: stopped by a signal, resumable
  std::string table;         // the summary table, when finished
  bool any_stopped = false;  // a model stopped (failed, crashed, hung, diverged)
};

// The folder a supervisor records a crash or hang in (supervisor.hpp).
void announce_folder(char (&field)[4096], const ResultsFolder& folder) {
  set_board_text(field, folder.path().string());
}

// Records the models the supervisor left out before the folder existed, and
// stops the models whose plugin crashed or hung in an earlier process of
// this run, so that they are not called again.
void apply_plugin_failures(const ResultsFolder& folder, const std::vector<PluginFailureRecord>& records,
                           const std::map<std::string, UnmadeModel>& unmade, Comparison& comparison) {
  for (const auto& [id, model] : unmade) {
    const bool recorded = std::any_of(records.begin(), records.end(), [&, &id = id](const PluginFailureRecord& r) {
      return r.kind == "unmade" && r.subject == id;
    });
    if (!recorded) folder.append(kPluginFailuresFile, failure_line({"unmade", id, model.step, model.reason}));
    spdlog::warn("model {} is not trained: {}", id, model.reason);
  }
  for (const auto& record : records) {
    if (record.kind == "stop") spdlog::warn("this run stopped before: {}", record.reason);
    if (record.kind != "activation") continue;
    const auto& ids = comparison.activations();
    const auto it = std::find(ids.begin(), ids.end(), record.subject);
    if (it == ids.end()) continue;
    const auto index = static_cast<std::size_t>(it - ids.begin());
    if (comparison.statuses()[index].stopped) continue;
    comparison.stop_model(index, record.step, record.reason);
    spdlog::warn("model {} is not trained any further: {}", record.subject, record.reason);
  }
}

// The limit of a comparison beside it (compare --theory): its records and
// each activation's final status.
struct TheoryBeside {
  std::string metrics;
  std::vector<ModelStatus> statuses;
};

// Runs the limit of `config` (made before training, which it checked) from
// the simulation's own initial overlaps. Returns nothing when stopped by a
// signal.
std::optional<TheoryBeside> theory_beside(TheoryRun& run, const CompareConfig& config, const StopSignals& stop) {
  spdlog::info("the D -> infinity limit from the same initial overlaps ({} Monte Carlo samples x {} draws)",
               config.theory.samples, config.theory.draws);
  TheoryBeside theory;
  Progress progress(1000, 0);
  const bool finished = run.run(
      [&](const LogPoint& point) {
        theory.metrics += metrics_lines(point, run.bayes_risk());
        theory.statuses.clear();
        for (const ModelLog& model : point.models) theory.statuses.push_back(model.status);
      },
      [&](double fraction) { progress.update(static_cast<std::uint64_t>(fraction * 1000)); },
      [&] { return stop.requested(); });
  progress.clear();
  if (!finished) return std::nullopt;
  // The summary's time column: each activation's integration (all draws).
  for (std::size_t i = 0; i < theory.statuses.size(); ++i)
    theory.statuses[i].wall_seconds = run.stats()[i].wall_seconds;
  return theory;
}

// The result files of a finished run, all or none (a full disk leaves the
// run resumable, not half-finished): figures, summary.txt, one checkpoint
// per trained model, and summary.csv, whose presence marks the run finished.
// Returns the summary table.
std::string write_finished_outputs(const Comparison& comparison, const ResultsFolder& folder,
                                   const std::optional<TheoryBeside>& theory, bool figures) {
  const std::string metrics = folder.read("metrics.jsonl");
  const auto results = final_results(metrics);
  std::string table = summary_table(results, comparison.statuses(), comparison.bayes_risk());
  StagedFiles outputs;
  if (theory) {
    table += "\nthe D -> infinity limit from the same initial overlaps (dashed in the figures):\n" +
             summary_table(final_results(theory->metrics), theory->statuses, comparison.bayes_risk());
    outputs.stage(folder.file("theory.jsonl"), theory->metrics);
  }
  if (figures) {
    stage_figures(folder, outputs, [&](const std::filesystem::path& drafts) {
      render_comparison_figures(metrics, comparison.bayes_risk(), drafts, theory ? theory->metrics : "");
    });
  }
  outputs.stage(folder.file("summary.txt"), table);
  std::error_code error;
  std::filesystem::create_directories(folder.file("checkpoints"), error);
  if (error) throw UsageError("cannot create '" + folder.file("checkpoints").string() + "': " + error.message());
  // A stopped model's parameters are not a trained model, so it gets none.
  for (std::size_t i = 0; i < comparison.activations().size(); ++i) {
    const std::string& id = comparison.activations()[i];
    if (comparison.statuses()[i].stopped) {
      spdlog::info("no checkpoint for {}: it stopped at step {}", id, comparison.statuses()[i].stopped_step);
      continue;
    }
    outputs.stage(folder.file("checkpoints") / (id + ".ckpt"), checkpoint_text(make_checkpoint(comparison, i)));
  }
  outputs.stage(folder.file("summary.csv"), summary_csv(results, comparison.statuses(), comparison.bayes_risk()));
  outputs.commit();
  return table;
}

// Where a warm-started folder keeps copies of the checkpoints it started
// from, so that a resume needs no file outside it.
constexpr const char* kWarmStartFolder = "start";

// The warm start of a run: from `paths` for a new one, else from the copies
// a resumed folder holds, else none.
std::optional<WarmStart> warm_start_of(const ResultsFolder& folder, const Comparison& comparison,
                                       const std::vector<std::string>& paths) {
  if (!paths.empty()) {
    // --force would replace the run it starts from: the checkpoints' run is only ever read.
    const auto out = std::filesystem::weakly_canonical(folder.path());
    for (const auto& path : paths) {
      const auto source = std::filesystem::weakly_canonical(path);
      if (std::mismatch(out.begin(), out.end(), source.begin(), source.end()).first == out.end()) {
        throw UsageError("--from-checkpoint '" + path + "' is inside the results folder '" + folder.path().string() +
                         "' this run writes; give another --out");
      }
    }
    return load_warm_start(paths, comparison);
  }
  if (folder.resuming() && folder.exists(kWarmStartFolder)) {
    return load_warm_start({folder.file(kWarmStartFolder).string()}, comparison);
  }
  return std::nullopt;
}

// The copies of a warm start's checkpoints, and from.txt naming their files.
void save_warm_start(const ResultsFolder& folder, const WarmStart& start) {
  std::error_code error;
  std::filesystem::create_directories(folder.file(kWarmStartFolder), error);
  if (error) throw UsageError("cannot create '" + folder.file(kWarmStartFolder).string() + "': " + error.message());
  for (const Checkpoint& checkpoint : start.checkpoints) {
    folder.write_atomically(std::string(kWarmStartFolder) + "/" + checkpoint.activation + ".ckpt",
                            checkpoint_text(checkpoint));
  }
  folder.write_atomically(std::string(kWarmStartFolder) + "/from.txt", warm_start_comments(start));
}

// Trains `config` in `folder` (fresh, or resumed from its checkpoint.bin)
// and writes every result file. A folder that is already finished is left
// as it is. `warm_paths`: a new run's --from-checkpoint.
FolderOutcome run_in_folder(PluginEnvironment& environment, ResultsFolder& folder, const CompareConfig& config,
                            const StopSignals& stop, const CompareOptions& options,
                            const std::vector<std::string>& warm_paths = {}) {
  if (folder.resuming() && folder.exists("summary.csv")) {
    spdlog::info("{} is already finished", folder.path().string());
    return {true, folder.read("summary.txt"), folder.read("summary.csv").find(",stopped,") != std::string::npos};
  }
  const bool with_theory = options.theory;
  if (CallBoard* board = call_board()) announce_folder(board->run_folder, folder);
  const std::vector<PluginFailureRecord> failures =
      folder.resuming() ? read_plugin_failures(folder) : std::vector<PluginFailureRecord>{};
  require_retry_after_stop(failures, folder, options);
  const std::map<std::string, UnmadeModel> unmade = unmade_models(failures, folder, options);
  // An activation whose create throws is refused as before (an error, exit
  // 1), not left out: it is a plugin's own clear message about its
  // parameters, found before any training, and fixing it costs nothing.
  Comparison comparison(config, environment.registry, unmade);
  // An unmade model has no limit either: its plugin is not created again.
  CompareConfig limit_config = config;
  std::erase_if(limit_config.activations, [&](const std::string& id) { return unmade.count(id) > 0; });
  // Made before any training, so that a config whose limit does not exist
  // is refused before it.
  std::optional<TheoryRun> limit;
  if (with_theory) limit.emplace(limit_config, environment.registry);
  const std::optional<WarmStart> warm = warm_start_of(folder, comparison, warm_paths);
  if (warm && limit) {
    // The limit starts from the overlaps of the same parameters.
    std::vector<OrderParameters> states;
    for (const Checkpoint& c : warm->checkpoints) {
      if (unmade.count(c.activation) > 0) continue;
      states.push_back(order_parameters_of(c.keys_and_values, comparison.teacher(), c.biases, c.activation_parameters));
    }
    limit->start_from(0.0, std::move(states));
  }
  if (!folder.resuming() || !folder.exists("checkpoint.bin")) {
    require_disk(folder.path(), comparison_metrics_bytes(config, comparison.data_model().features()),
                 "metrics.jsonl (lower eval.log_points, model.heads or eval.max_gram_heads)");
  }
  folder.create();
  const LogFileAttachment log_file(folder);
  for (const auto& note : config.notes) spdlog::warn("{}", note);
  if (warm) {
    for (const auto& note : warm_start_notes(*warm, config)) spdlog::warn("{}", note);
  }

  if (folder.resuming() && folder.exists("checkpoint.bin")) {
    comparison.load_state(folder.read("checkpoint.bin"), folder.file("checkpoint.bin").string());
    truncate_metrics(folder.file("metrics.jsonl"), comparison.step());
    spdlog::info("resuming {} at step {} of {}", folder.path().string(), comparison.step(),
                 comparison.schedule().total_steps);
  } else {
    // Fresh start (or a resume of a run killed before its first checkpoint).
    if (warm) {
      apply_warm_start(comparison, *warm);
      if (!folder.resuming()) save_warm_start(folder, *warm);
      const Checkpoint& from = warm->checkpoints.front();
      spdlog::info("warm start from {} (step {}, t = {:g} there); this run's t starts at 0", warm->sources.front(),
                   from.step, from.time);
    }
    folder.write_atomically("config.toml", provenance_comments(comparison.plugins()) +
                                               (warm ? warm_start_comments(*warm) : "") + config.resolved_toml);
    folder.write_atomically("metrics.jsonl", "");
  }
  apply_plugin_failures(folder, failures, unmade, comparison);
  if (const auto bayes = comparison.bayes_risk()) {
    spdlog::info("Bayes risk {:.6g} +- {:.2g} ({} Monte Carlo samples)", bayes->mean, bayes->standard_error,
                 bayes->samples);
  }
  spdlog::info("training {} model(s) for {} steps of batch {} (t = {:g}) with {} ({}), results in {}",
               config.activations.size(), comparison.schedule().total_steps, config.batch, config.time,
               config.optimizer, inline_params(config.optimizer_params), folder.path().string());

  const auto training_start = std::chrono::steady_clock::now();
  Progress progress(comparison.schedule().total_steps, comparison.step());
  const bool finished = comparison.run(
      [&](const LogPoint& point) {
        folder.append("metrics.jsonl", metrics_lines(point, comparison.bayes_risk()));
        folder.write_atomically("checkpoint.bin", comparison.save_state());
        progress.clear();
        spdlog::debug("{}", log_point_line(point));
      },
      [&](std::uint64_t step) { progress.update(step); }, [&] { return stop.requested(); });
  progress.clear();
  if (!finished) {
    folder.write_atomically("checkpoint.bin", comparison.save_state());
    spdlog::warn("stopped by {} at step {} of {} (t = {:g}); the state is saved in {}", signal_name(stop.signal()),
                 comparison.step(), comparison.schedule().total_steps, comparison.schedule().time_at(comparison.step()),
                 folder.file("checkpoint.bin").string());
    return {false, "", false};
  }

  std::optional<TheoryBeside> theory;
  if (limit) {
    const double training_seconds = seconds_since(training_start);
    const auto limit_start = std::chrono::steady_clock::now();
    theory = theory_beside(*limit, limit_config, stop);
    if (!theory) {
      spdlog::warn("stopped by {} during the limit; training is finished and saved in {}", signal_name(stop.signal()),
                   folder.file("checkpoint.bin").string());
      return {false, "", false};
    }
    // Side by side on the same threads: what the limit saves. After a
    // resume, the training time is this process's part only.
    const double limit_seconds = seconds_since(limit_start);
    spdlog::info("wall time: training {:.1f} s{}, the limit {:.1f} s ({:.1f} times less)", training_seconds,
                 folder.resuming() ? " (since the resume)" : "", limit_seconds, training_seconds / limit_seconds);
  }
  const std::string table = write_finished_outputs(comparison, folder, theory, options.figures);
  bool any_stopped = false;
  for (const auto& status : comparison.statuses()) {
    if (status.stopped) spdlog::warn("a model stopped at step {}: {}", status.stopped_step, status.reason);
    any_stopped = any_stopped || status.stopped;
  }
  return {true, table, any_stopped};
}

// Whether optimizer `id` takes the parameter line `params`: asked by
// creating an instance (cheap). An unknown id says yes, so that the error
// comes later, naming it.
OptimizerParamProbe optimizer_probe(const PluginEnvironment& environment) {
  return [&environment](const std::string& id, const std::string& params) {
    const auto plugin = environment.registry.find(id);
    if (!plugin || plugin->kind() != PluginKind::Optimizer) return true;
    try {
      Optimizer probe(plugin, params);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  };
}

// The config a run continues with: the saved one when resuming, else the
// file and --set overrides given now.
CompareConfig config_for(const PluginEnvironment& environment, const ResultsFolder& folder,
                         const CompareOptions& options) {
  if (!folder.resuming())
    return load_compare_config(options.config_path, options.overrides, optimizer_probe(environment));
  if (options.config_path || !options.overrides.empty()) {
    throw UsageError("--resume continues with the config saved in '" + folder.path().string() +
                     "'; do not pass a config file or --set");
  }
  return parse_compare_config(folder.read("config.toml"), folder.file("config.toml").string());
}

// The exit status of a run stopped by a signal (128 + its number, as a
// shell reports it), after saying how to continue: with --theory again when
// the run computes the limit, which the saved config does not record.
int report_stop(const StopSignals& stop, const ResultsFolder& folder, const CompareOptions& options) {
  fmt::print(stderr, "stopped by {}; continue with: attnlab compare --out {} --resume{}\n", signal_name(stop.signal()),
             folder.path().string(), options.theory ? " --theory" : "");
  return 128 + stop.signal();
}

// The seed count a multi-seed folder records in its marker ("seeds = N"),
// or 0 when it records none.
std::uint32_t recorded_seeds(const ResultsFolder& folder) {
  std::istringstream lines(folder.marker_record());
  for (std::string line; std::getline(lines, line);) {
    unsigned count = 0;
    if (std::sscanf(line.c_str(), "seeds = %u", &count) == 1) return count;
  }
  return 0;
}

// The exit status of a finished run: 3 with --strict when a model stopped.
int strict_status(const CompareOptions& options, bool any_stopped) {
  if (!options.strict || !any_stopped) return 0;
  spdlog::error("--strict: a model stopped before the end (see its status above)");
  return 3;
}

// --seeds N: one complete comparison per seed in seed-<s>/, seeds s0..s0+N-1
// (s0 the config's seed), then summary.txt and summary.csv over the seeds.
// The top-level folder records N, so that --resume finishes every seed.
int run_compare_seeds(PluginEnvironment& environment, std::uint32_t seeds, ResultsFolder& folder,
                      const CompareOptions& options, const StopSignals& stop) {
  const CompareConfig base = config_for(environment, folder, options);
  if (!seed_range_fits(base.seed, seeds)) {
    throw UsageError(fmt::format("--seeds {} from seed {} goes past the largest seed, {}; lower seed or --seeds", seeds,
                                 base.seed, kLargestSeed));
  }
  folder.create(fmt::format("seeds = {}\n", seeds));
  if (!folder.resuming()) folder.write_atomically("config.toml", base.resolved_toml);
  std::vector<std::string> summaries;
  std::vector<std::string> sources;
  bool any_stopped = false;
  for (std::uint32_t k = 0; k < seeds; ++k) {
    const std::uint64_t seed = base.seed + k;
    const auto seed_path = folder.file(fmt::format("seed-{}", seed));
    std::error_code error;
    // Resume what has a config; replace what a kill left before its config
    // was written (a folder attnlab made, checked by its marker); start the rest.
    const auto policy = std::filesystem::exists(seed_path / "config.toml", error) ? ExistingFolderPolicy::Resume
                        : std::filesystem::exists(seed_path, error)               ? ExistingFolderPolicy::Force
                                                                                  : ExistingFolderPolicy::Refuse;
    ResultsFolder seed_folder(seed_path, policy);
    const CompareConfig config =
        seed_folder.resuming()
            ? parse_compare_config(seed_folder.read("config.toml"), seed_folder.file("config.toml").string())
            : compose_compare_config(base.resolved_toml, folder.file("config.toml").string(),
                                     {"seed=" + std::to_string(seed)});
    spdlog::info("seed {} ({} of {})", seed, k + 1, seeds);
    const FolderOutcome outcome = run_in_folder(environment, seed_folder, config, stop, options);
    if (!outcome.finished) return report_stop(stop, folder, options);
    fmt::print("\nseed {}:\n{}", seed, outcome.table);
    any_stopped = any_stopped || outcome.any_stopped;
    summaries.push_back(seed_folder.read("summary.csv"));
    sources.push_back(seed_folder.file("summary.csv").string());
  }
  const SeedSummary summary = summarize_seeds(summaries, sources);
  const std::string table = seed_summary_table(summary);
  StagedFiles outputs;
  outputs.stage(folder.file("summary.txt"), table);
  outputs.stage(folder.file("paired_differences.csv"), paired_differences_csv(summary));
  outputs.stage(folder.file("summary.csv"), seed_summary_csv(summary));
  outputs.commit();
  fmt::print("\nover {} seeds ({} to {}):\n{}\nresults: {}\n", seeds, base.seed, base.seed + seeds - 1, table,
             folder.path().string());
  return strict_status(options, any_stopped);
}

ExistingFolderPolicy folder_policy(const CompareOptions& options) {
  if (options.resume && options.force) throw UsageError("--resume and --force cannot be combined");
  if (options.resume) return ExistingFolderPolicy::Resume;
  if (options.force) return ExistingFolderPolicy::Force;
  return ExistingFolderPolicy::Refuse;
}

// The comparison in this process (the supervised child, or everything
// with ATTNLAB_UNSUPERVISED=1).
int run_compare_here(PluginEnvironment& environment, const CompareOptions& options) {
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  // Before any thread starts, so that every thread leaves the signals to it.
  const StopSignals stop;
  ResultsFolder folder = options.out.empty() ? ResultsFolder::unique("results/compare")
                                             : ResultsFolder(options.out, folder_policy(options));
  if (CallBoard* board = call_board()) announce_folder(board->top_folder, folder);
  // A multi-seed folder knows its seed count; --seeds must agree with it.
  const std::uint32_t recorded = folder.resuming() ? recorded_seeds(folder) : 0;
  if (recorded > 0 && options.seeds > 0 && options.seeds != recorded) {
    throw UsageError(fmt::format("'{}' holds a run of {} seeds; resume it with --seeds {} or without --seeds",
                                 folder.path().string(), recorded, recorded));
  }
  const std::uint32_t seeds = options.seeds > 0 ? options.seeds : std::max<std::uint32_t>(recorded, 1);
  if (!options.from_checkpoints.empty() && folder.resuming()) {
    throw UsageError("--resume continues the run saved in '" + folder.path().string() +
                     "' (a warm-started one keeps its start); do not pass --from-checkpoint");
  }
  if (!options.from_checkpoints.empty() && seeds > 1) {
    throw UsageError("--from-checkpoint starts one run from one run's checkpoints; run it without --seeds");
  }
  if (seeds > 1) return run_compare_seeds(environment, seeds, folder, options, stop);
  if (folder.resuming() && folder.exists("summary.csv")) {
    fmt::print("{} is already finished; nothing to do.\n\n{}", folder.path().string(), folder.read("summary.csv"));
    return strict_status(options, folder.read("summary.csv").find(",stopped,") != std::string::npos);
  }
  const CompareConfig config = config_for(environment, folder, options);
  const FolderOutcome outcome = run_in_folder(environment, folder, config, stop, options, options.from_checkpoints);
  if (!outcome.finished) return report_stop(stop, folder, options);
  fmt::print("\n{}\nresults: {}\n", outcome.table, folder.path().string());
  return strict_status(options, outcome.any_stopped);
}

}  // namespace

int run_compare(PluginEnvironment& environment, const CompareOptions& options) {
  if (!supervision_enabled()) return run_compare_here(environment, options);
  return supervise(options,
                   [&](const CompareOptions& child_options) { return run_compare_here(environment, child_options); });
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
