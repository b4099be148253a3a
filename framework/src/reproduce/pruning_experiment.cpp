// Pruning curves after training with more heads than features: test error
// after removing k heads, greedy by importance and in random order.
#include "experiment_support.hpp"

#include <attnlab/framework/analysis/pruning.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/reports/report.hpp>
#include <attnlab/framework/results/checkpoint.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace attnlab::reproduce {
namespace {

constexpr std::uint32_t kHeads = 8;
constexpr std::uint32_t kFeatures = 3;  // two with variance, one carrying the mean
constexpr double kTolerance = 0.05;     // "little loss": at most 5% above the unpruned error

ExperimentSetting setting(bool quick) {
  ExperimentSetting setting;
  setting.prior = "prior = \"gaussian\"\nmean = [0.0, 0.0, 1.5]\nstd = [2.0, 1.0, 0.0]";
  setting.heads = kHeads;
  setting.time = quick ? 2000.0 : 20000.0;
  setting.test_size = quick ? 1024 : 4096;
  setting.bayes_samples = quick ? 20000 : 100000;
  return setting;
}

// Heads that can go before the error exceeds (1 + kTolerance) times the
// unpruned error, along the greedy order.
std::uint32_t prunable_heads(const PruningCurves& curves) {
  std::uint32_t k = 0;
  while (k + 1 < curves.greedy_error.size() && curves.greedy_error[k + 1] <= (1.0 + kTolerance) * curves.full_error) {
    ++k;
  }
  return k;
}

}  // namespace

ExperimentSection run_pruning(const ExperimentContext& context) {
  const std::string toml = experiment_toml(setting(context.options.quick));
  context.write("config.toml", toml);
  const auto seeds = context.seeds(3, 2);
  const std::uint32_t random_orders = context.pick(20u, 8u);

  std::string csv = "seed,activation,removed,greedy_error,greedy_removed_head,random_mean,random_se\n";
  std::vector<std::string> activations;
  // activation -> k -> values over seeds
  std::map<std::string, std::vector<std::vector<double>>> greedy, random;
  std::map<std::string, std::vector<double>> prunable;
  std::map<std::string, std::vector<double>> quiet;  // heads with usage below kQuietUsage
  for (const std::uint64_t seed : seeds) {
    const CompareConfig config = context.config(toml, {}, seed);
    const ExperimentRun run = context.run(config, fmt::format("seed {}", seed), [&](Comparison& comparison) {
      for (std::size_t m = 0; m < config.activations.size(); ++m) {
        const std::string& id = config.activations[m];
        if (comparison.statuses()[m].stopped) continue;
        if (greedy.find(id) == greedy.end()) {
          activations.push_back(id);
          greedy[id].resize(kHeads);
          random[id].resize(kHeads);
        }
        // A copy of the trained model, so that masking heads leaves the run untouched.
        const Checkpoint trained = make_checkpoint(comparison, m);
        const std::uint32_t chunk = std::min(config.test_size, kEvaluationChunk);
        Learner learner(trained.shape,
                        Activation(context.registry.get(id, PluginKind::Activation), trained.activation_params), chunk);
        restore_learner(learner, trained);
        const PruningCurves curves = pruning_curves(learner, comparison.test_set(), chunk, random_orders, seed);
        for (std::size_t k = 0; k < curves.greedy_error.size(); ++k) {
          greedy[id][k].push_back(curves.greedy_error[k]);
          random[id][k].push_back(curves.random_mean[k]);
          csv += fmt::format("{},{},{},{:.8g},{},{:.8g},{:.3g}\n", seed, id, k, curves.greedy_error[k],
                             k == 0 ? std::string() : std::to_string(curves.greedy_order[k - 1] + 1),
                             curves.random_mean[k], curves.random_stderr[k]);
        }
        prunable[id].push_back(prunable_heads(curves));
      }
    });
    for (const ModelTrace& model : run.models) {
      if (const auto quiet_count = quiet_heads(model)) quiet[model.activation].push_back(*quiet_count);
    }
  }
  context.write("pruning.csv", csv);

  std::string figures;
  std::vector<std::vector<std::string>> rows;
  for (const auto& id : activations) {
    Figure figure = make_figure(id + ": test error after removing k of " + std::to_string(kHeads) + " heads",
                                "heads removed k", "test MSE");
    FigureSeries g = make_series("greedy by importance");
    FigureSeries r = make_series("random order");
    std::vector<std::string> row = {id};
    for (std::uint32_t k = 0; k < kHeads; ++k) {
      const MeanAndError ge = mean_and_error(greedy[id][k]);
      const MeanAndError re = mean_and_error(random[id][k]);
      g.x.push_back(k);
      g.y.push_back(ge.mean);
      g.error.push_back(ge.standard_error);
      r.x.push_back(k);
      r.y.push_back(re.mean);
      r.error.push_back(re.standard_error);
    }
    figure.series = {std::move(g), std::move(r)};
    render_figure(figure, context.folder / ("pruning_" + id));
    figures += fmt::format("![pruning curves for {}](pruning/pruning_{}.png)\n\n", id, id);
    const MeanAndError full = mean_and_error(greedy[id][0]);
    const MeanAndError heads = mean_and_error(prunable[id]);
    const MeanAndError half_greedy = mean_and_error(greedy[id][kHeads / 2]);
    const MeanAndError half_random = mean_and_error(random[id][kHeads / 2]);
    rows.push_back({id, with_error(full), with_error(heads), with_error(half_greedy), with_error(half_random),
                    with_error(mean_and_error(quiet[id]))});
  }
  const std::string table = markdown_table(
      {"activation", "test MSE, all heads", fmt::format("heads prunable (<= {:.0f}% loss, greedy)", 100 * kTolerance),
       fmt::format("MSE, {} removed greedily", kHeads / 2), fmt::format("MSE, {} removed at random", kHeads / 2),
       fmt::format("quiet heads (usage < {})", kQuietUsage)},
      rows);
  context.write("table.md", table);
  return {"Pruning",
          fmt::format("Gaussian prior with F = {} feature directions (std 2 and 1, and the mean 1.5 on the third), "
                      "H = {} heads, D = 50, L = 8, t = {}; {} seeds; random curves average {} removal orders. "
                      "H - F = {}. A head's usage is its mean total attention weight on the test set; softmax heads "
                      "always have usage 1.\n\n{}\n{}",
                      kFeatures, kHeads, context.pick(20000, 2000), seeds.size(), random_orders, kHeads - kFeatures,
                      table, figures)};
}

}  // namespace attnlab::reproduce
