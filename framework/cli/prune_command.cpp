// `attnlab prune`: pruning curves of trained models from their checkpoints,
// on the test set of the run that trained them.
#include "commands.hpp"

#include <attnlab/framework/analysis/pruning.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/results/checkpoint.hpp>
#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/framework/training/learner.hpp>
#include <attnlab/framework/training/run_footprint.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <optional>

namespace attnlab::cli {
namespace {

struct LoadedCheckpoint {
  std::string path;
  std::string label;  // column title: the activation id, numbered if repeated
  Checkpoint checkpoint;
  CompareConfig config;
};

[[noreturn]] void fail_for(const std::string& path, const std::string& message) {
  throw UsageError("checkpoint '" + path + "': " + message);
}

LoadedCheckpoint load(const std::string& path) {
  LoadedCheckpoint loaded{path, "", load_checkpoint(path), {}};
  // load_checkpoint has validated the config text already.
  loaded.config = parse_compare_config(loaded.checkpoint.config_toml, path);
  return loaded;
}

// Pruning compares models on one test set: every checkpoint must come from
// the same data config and seed.
void require_same_run(const LoadedCheckpoint& first, const LoadedCheckpoint& other) {
  std::string difference;
  if (first.config.seed != other.config.seed) {
    difference = fmt::format("seed {} vs {}", first.config.seed, other.config.seed);
  } else if (first.config.data_plugin != other.config.data_plugin ||
             first.config.data_params != other.config.data_params) {
    difference = "their [data] configs differ";
  } else {
    return;
  }
  throw UsageError("checkpoints '" + first.path + "' and '" + other.path + "' do not share one data config and seed (" +
                   difference + "), so they have no common test set; prune them separately");
}

void require_fits_data(const LoadedCheckpoint& loaded, const DataModel& data) {
  const LearnerShape& shape = loaded.checkpoint.shape;
  if (shape.dimension != data.dimension() || shape.length != data.length()) {
    fail_for(loaded.path, fmt::format("its model has D = {}, L = {}, but its config's data model has D = {}, L = {}",
                                      shape.dimension, shape.length, data.dimension(), data.length()));
  }
}

// The checkpoint's learner, with its activation resolved in the registry.
std::unique_ptr<Learner> rebuild_learner(PluginEnvironment& environment, const LoadedCheckpoint& loaded,
                                         std::uint32_t max_batch) {
  const Checkpoint& checkpoint = loaded.checkpoint;
  try {
    auto plugin = environment.registry.get(checkpoint.activation, PluginKind::Activation);
    auto learner =
        std::make_unique<Learner>(checkpoint.shape, Activation(plugin, checkpoint.activation_params), max_batch);
    restore_learner(*learner, checkpoint);
    return learner;
  } catch (const std::exception& e) {
    fail_for(loaded.path, e.what());
  }
}

void assign_labels(std::vector<LoadedCheckpoint>& checkpoints) {
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    const std::string& id = checkpoints[i].checkpoint.activation;
    const auto repeats = std::count_if(checkpoints.begin(), checkpoints.end(),
                                       [&](const LoadedCheckpoint& c) { return c.checkpoint.activation == id; });
    checkpoints[i].label = repeats > 1 ? fmt::format("{}#{}", id, i + 1) : id;
  }
}

std::string curves_table(const std::vector<LoadedCheckpoint>& checkpoints, const std::vector<PruningCurves>& curves) {
  constexpr int kColumn = 34;
  std::string heading = fmt::format("{:>3}", "k");
  std::string subheading = fmt::format("{:>3}", "");
  for (const auto& loaded : checkpoints) {
    heading += fmt::format("  {:<{}}", loaded.label, kColumn);
    subheading += fmt::format("  {:<12}{:<{}}", "greedy", "random", kColumn - 12);
  }
  const auto trimmed = [](std::string line) { return line.erase(line.find_last_not_of(' ') + 1); };
  std::string table = trimmed(heading) + "\n" + trimmed(subheading) + "\n";
  std::uint32_t rows = 0;
  for (const auto& c : curves) rows = std::max(rows, c.heads);
  for (std::uint32_t k = 0; k < rows; ++k) {
    std::string line = fmt::format("{:>3}", k);
    for (const auto& c : curves) {
      if (k >= c.heads) {
        line += fmt::format("  {:<{}}", "", kColumn);
        continue;
      }
      const std::string random = fmt::format("{:.4g} +- {:.2g}", c.random_mean[k], c.random_stderr[k]);
      line += fmt::format("  {:<12.4g}{:<{}}", c.greedy_error[k], random, kColumn - 12);
    }
    table += trimmed(line) + "\n";
  }
  table += "greedy removal order (heads numbered from 0, removed at k = 1, 2, ...):\n";
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    table += fmt::format("  {:<16} {}\n", checkpoints[i].label, fmt::join(curves[i].greedy_order, " "));
  }
  return table;
}

std::string curves_csv(const std::vector<LoadedCheckpoint>& checkpoints, const std::vector<PruningCurves>& curves) {
  std::string csv =
      "checkpoint,activation,k,greedy_error,greedy_removed_head,random_mean,random_stderr,random_orders\n";
  for (std::size_t i = 0; i < checkpoints.size(); ++i) {
    const PruningCurves& c = curves[i];
    for (std::uint32_t k = 0; k < c.heads; ++k) {
      const std::string removed = k == 0 ? "" : std::to_string(c.greedy_order[k - 1]);
      csv += fmt::format("{},{},{},{},{},{},{},{}\n", checkpoints[i].path, checkpoints[i].checkpoint.activation, k,
                         c.greedy_error[k], removed, c.random_mean[k], c.random_stderr[k], c.random_orders);
    }
  }
  return csv;
}

}  // namespace

int run_prune(PluginEnvironment& environment, const PruneOptions& options) {
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  // Checked before any work, so a refused folder costs nothing.
  std::optional<ResultsFolder> folder;
  if (!options.out.empty()) {
    folder.emplace(options.out, options.force ? ExistingFolderPolicy::Force : ExistingFolderPolicy::Refuse,
                   /*offers_resume=*/false);
  }

  std::vector<LoadedCheckpoint> checkpoints;
  for (const auto& path : options.checkpoints) {
    checkpoints.push_back(load(path));
    require_same_run(checkpoints.front(), checkpoints.back());
  }
  assign_labels(checkpoints);

  const LoadedCheckpoint& first = checkpoints.front();
  std::unique_ptr<DataModel> data;
  try {
    data = std::make_unique<DataModel>(environment.registry.get(first.config.data_plugin, PluginKind::DataModel),
                                       first.config.data_params);
  } catch (const std::exception& e) {
    fail_for(first.path, e.what());
  }
  for (const auto& loaded : checkpoints) require_fits_data(loaded, *data);

  const std::uint32_t test_size = options.test_size > 0 ? options.test_size : first.config.test_size;
  const std::uint32_t chunk = std::min(test_size, kEvaluationChunk);
  require_memory({{fmt::format("the test set (--test-size = {} x L = {} x D = {} numbers)", test_size, data->length(),
                               data->dimension()),
                   8.0 * test_size * data->length() * data->dimension()}});
  std::vector<std::unique_ptr<Learner>> learners;
  for (const auto& loaded : checkpoints) learners.push_back(rebuild_learner(environment, loaded, chunk));

  const TestSet test_set = make_test_set(*data, first.config.seed, test_size);
  std::vector<PruningCurves> curves;
  for (std::size_t i = 0; i < learners.size(); ++i) {
    spdlog::debug("pruning {} ({})", checkpoints[i].label, checkpoints[i].path);
    curves.push_back(pruning_curves(*learners[i], test_set, chunk, options.random_orders, options.seed));
  }

  std::string report = fmt::format(
      "test error vs heads removed, on the run's {} test samples (seed {}); random: mean +- standard error over {} "
      "orders (seed {})\n",
      test_size, first.config.seed, options.random_orders, options.seed);
  for (const auto& loaded : checkpoints) {
    report += fmt::format("  {:<16} {} (H = {}, t = {:g}, step {})\n", loaded.label, loaded.path,
                          loaded.checkpoint.shape.heads, loaded.checkpoint.time, loaded.checkpoint.step);
  }
  report += "\n" + curves_table(checkpoints, curves);
  fmt::print("{}", report);

  if (folder) {
    folder->create();
    folder->write_atomically("pruning.txt", report);
    folder->write_atomically("pruning.csv", curves_csv(checkpoints, curves));
    fmt::print("results: {}\n", folder->path().string());
  }
  return 0;
}

}  // namespace attnlab::cli
