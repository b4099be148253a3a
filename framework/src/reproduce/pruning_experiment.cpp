// Pruning after training with more heads than features: test error after
// removing k heads (greedy by importance, greedy with the remaining values
// refit, random order), prunable heads at several tolerances, unused and
// redundant heads against the heads the prior needs, and paired differences
// between activations.
#include "experiment_support.hpp"

#include <attnlab/framework/analysis/head_roles.hpp>
#include <attnlab/framework/analysis/pruning.hpp>
#include <attnlab/framework/analysis/value_refit.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/reports/figure.hpp>
#include <attnlab/framework/reports/report.hpp>
#include <attnlab/framework/results/checkpoint.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace attnlab::reproduce {
namespace {

constexpr std::uint32_t kHeads = 8;
const std::vector<double> kMean = {0.0, 0.0, 1.5};  // two symmetric features with variance, one carrying the mean
const std::vector<double> kStd = {2.0, 1.0, 0.0};
constexpr std::array<double, 3> kTolerances = {0.01, 0.02, 0.05};
constexpr double kRoleTolerance = 0.01;    // removal (with refit) cheaper than this: redundant
constexpr std::size_t kKeptTolerance = 1;  // kTolerances[1] = 2%: the heads kept compared with the prior's need

ExperimentSetting setting(bool quick) {
  ExperimentSetting setting;
  setting.prior = "prior = \"gaussian\"\nmean = " + toml_array(kMean) + "\nstd = " + toml_array(kStd);
  setting.heads = kHeads;
  setting.time = quick ? 2000.0 : 20000.0;
  setting.test_size = quick ? 1024 : 4096;
  setting.bayes_samples = quick ? 20000 : 100000;
  return setting;
}

// Fresh samples for the value refit, from their own stream of the seed: no
// sample is shared with the training data or the test set.
TestSet refit_sample(DataModel& data, std::uint64_t seed, std::uint32_t size) {
  Rng rng(stream_seed(seed, StreamPurpose::RefitSample));
  return draw_samples(data, rng, size);
}

// The span values are refit in: the keys, the teacher keys and the teacher
// value (value_refit.hpp: the least-squares optimum has no component outside).
RowMatrix refit_basis(const Learner& learner, const Teacher& teacher) {
  const Eigen::Index heads = learner.shape().heads;
  const Eigen::Index features = teacher.keys.rows();
  RowMatrix directions(heads + features + 1, learner.shape().dimension);
  directions.topRows(heads) = learner.keys();
  directions.middleRows(heads, features) = teacher.keys;
  directions.row(heads + features) = teacher.value.transpose();
  return orthonormal_basis(directions);
}

std::string percent(double tolerance) {
  return fmt::format("{:.0f}%", 100 * tolerance);
}

// Per-seed values of each quantity for each activation; NaN where a model
// stopped, so that seeds line up for paired differences.
class SeedTable {
 public:
  explicit SeedTable(std::size_t seeds) : seeds_(seeds) {}
  void set(const std::string& id, const std::string& quantity, std::size_t seed, double value) {
    auto& values = table_[id][quantity];
    values.resize(seeds_, std::nan(""));
    values[seed] = value;
  }
  std::vector<double> get(const std::string& id, const std::string& quantity) const {
    const auto by_id = table_.find(id);
    if (by_id == table_.end()) return std::vector<double>(seeds_, std::nan(""));
    const auto values = by_id->second.find(quantity);
    return values == by_id->second.end() ? std::vector<double>(seeds_, std::nan("")) : values->second;
  }
  MeanAndError stats(const std::string& id, const std::string& quantity) const {
    return mean_and_error(get(id, quantity));
  }

 private:
  std::size_t seeds_;
  std::map<std::string, std::map<std::string, std::vector<double>>> table_;
};

struct HeadRows {  // head_roles.csv rows of one model, waiting for its usage
  std::string id;
  std::uint64_t seed = 0;
  RefitPruningCurve curve;
  HeadRoles roles;
  double refit_full_error = 0.0;
};

// The model read back from its checkpoint, on the test set drawn again,
// must score what the run logged at its end: else the pruning would study
// another model than the one trained.
void check_reloaded(double test_error, const ModelTrace& model, const std::filesystem::path& results) {
  const double logged = model.final_mse();
  if (!(std::abs(test_error - logged) <= 1e-9 * std::max(1.0, std::abs(logged)))) {
    throw std::runtime_error(
        fmt::format("{}: the {} model read back from its checkpoint scores {:.12g} on the test "
                    "set, the run logged {:.12g}",
                    results.string(), model.activation, test_error, logged));
  }
}

}  // namespace

ExperimentSection run_pruning(const ExperimentContext& context) {
  const ExperimentSetting experiment = setting(context.options.quick);
  const std::string toml = experiment_toml(experiment);
  context.write("config.toml", toml);
  const auto seeds = context.seeds(3, 2);
  const std::uint32_t random_orders = context.pick(20u, 8u);
  // p = H r <= 8 x 12 = 96 value coordinates are refit; with n samples the
  // refit's own estimation error adds about p / n of the residual error.
  const std::uint32_t refit_size = context.pick(16384u, 8192u);
  const std::uint32_t prior_heads = heads_the_prior_needs(kMean, kStd);
  const std::uint32_t half = kHeads / 2;

  std::string csv =
      "seed,activation,removed,greedy_error,greedy_removed_head,random_mean,random_se,refit_error,refit_removed_head,"
      "refit_sample_error,bayes_test_mse\n";
  std::string prunable_csv =
      "seed,activation,tolerance,full_error,refit_full_error,bayes_test_mse,greedy,greedy_excess,refit,refit_excess\n";
  std::string roles_csv =
      "seed,activation,head,usage,output_mean_square,label_mean_square,single_refit_error,refit_full_error,unused,"
      "redundant\n";
  const std::vector<std::string>& activations = experiment.activations;
  SeedTable table(seeds.size());
  std::map<std::string, std::vector<std::vector<double>>> greedy, random, refit;  // activation -> k -> over seeds
  for (const auto& id : activations) {
    greedy[id].resize(kHeads);
    random[id].resize(kHeads);
    refit[id].resize(kHeads);
  }
  std::vector<double> bayes_test;
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    const std::uint64_t seed = seeds[s];
    const CompareConfig config = context.config(toml, {}, seed);
    std::vector<HeadRows> head_rows;
    const auto cell = context.run(config, fmt::format("seed {}", seed));
    if (!cell) continue;
    const ExperimentRun& run = *cell;
    {
      // The run's teacher and test set, drawn again from its seed (its own
      // Bayes risk is read with the run).
      CompareConfig without_bayes = config;
      without_bayes.bayes_samples = 0;
      const Comparison comparison(without_bayes, context.registry);
      const double bayes = run.bayes_risk ? run.bayes_risk->test_set_error : std::nan("");
      DataModel data(context.registry.get(config.data_plugin, PluginKind::DataModel), config.data_params);
      const TestSet sample = refit_sample(data, seed, refit_size);
      for (std::size_t m = 0; m < config.activations.size(); ++m) {
        const std::string& id = config.activations[m];
        if (run.models[m].stopped) continue;
        const Checkpoint trained = load_checkpoint(run.results / "checkpoints" / (id + ".ckpt"));
        const std::uint32_t chunk = std::min(config.test_size, kEvaluationChunk);
        Learner learner(trained.shape,
                        Activation(context.registry.get(id, PluginKind::Activation), trained.activation_params), chunk);
        restore_learner(learner, trained);
        const TestSet& test = comparison.test_set();
        const PruningCurves curves = pruning_curves(learner, test, chunk, random_orders, seed);
        const RefitPruningCurve refitted =
            refit_pruning_curve(learner, test, sample, chunk, refit_basis(learner, comparison.teacher()));
        const double full = curves.full_error;
        check_reloaded(full, run.models[m], run.results);
        // With refit, tolerances are on the refit model with every head: the
        // same procedure with and without the removed heads, so a count
        // measures the heads and not the refit's gain on the trained values.
        const double refit_full = refitted.test_error[0];
        for (std::size_t k = 0; k < kHeads; ++k) {
          greedy[id][k].push_back(curves.greedy_error[k]);
          random[id][k].push_back(curves.random_mean[k]);
          refit[id][k].push_back(refitted.test_error[k]);
          csv += fmt::format(
              "{},{},{},{:.8g},{},{:.8g},{:.3g},{:.8g},{},{:.8g},{:.8g}\n", seed, id, k, curves.greedy_error[k],
              k == 0 ? std::string() : std::to_string(curves.greedy_order[k - 1] + 1), curves.random_mean[k],
              curves.random_stderr[k], refitted.test_error[k],
              k == 0 ? std::string() : std::to_string(refitted.order[k - 1] + 1), refitted.sample_error[k], bayes);
        }
        table.set(id, "full", s, full);
        table.set(id, "refit full", s, refitted.test_error[0]);
        table.set(id, "greedy half", s, curves.greedy_error[half]);
        table.set(id, "refit half", s, refitted.test_error[half]);
        table.set(id, "random half", s, curves.random_mean[half]);
        for (const double tolerance : kTolerances) {
          const std::uint32_t by_error = prunable_heads(curves.greedy_error, full, tolerance);
          const std::uint32_t by_excess = prunable_heads(curves.greedy_error, full, tolerance, bayes);
          const std::uint32_t refit_by_error = prunable_heads(refitted.test_error, refit_full, tolerance);
          const std::uint32_t refit_by_excess = prunable_heads(refitted.test_error, refit_full, tolerance, bayes);
          const std::string t = percent(tolerance);
          table.set(id, "greedy " + t, s, by_error);
          table.set(id, "greedy excess " + t, s, by_excess);
          table.set(id, "refit " + t, s, refit_by_error);
          table.set(id, "refit excess " + t, s, refit_by_excess);
          prunable_csv += fmt::format("{},{},{},{:.8g},{:.8g},{:.8g},{},{},{},{}\n", seed, id, tolerance, full,
                                      refit_full, bayes, by_error, by_excess, refit_by_error, refit_by_excess);
        }
        const HeadRoles roles = classify_heads(refitted, refit_full, kRoleTolerance);
        table.set(id, "unused", s, roles.unused_count);
        table.set(id, "redundant", s, roles.redundant_count);
        table.set(id, "needed", s, kHeads - roles.unused_count - roles.redundant_count);
        head_rows.push_back({id, seed, refitted, roles, refit_full});
      }
      bayes_test.push_back(bayes);
    }
    for (const HeadRows& rows : head_rows) {
      const ModelTrace& model = run.model(rows.id);
      for (std::uint32_t h = 0; h < kHeads; ++h) {
        const double usage = model.usage.empty() ? std::nan("") : model.usage.back()[h];
        roles_csv += fmt::format("{},{},{},{:.6g},{:.6g},{:.6g},{:.8g},{:.8g},{},{}\n", rows.seed, rows.id, h + 1,
                                 usage, rows.curve.output_mean_square[h], rows.curve.label_mean_square,
                                 rows.curve.single_removal_error[h], rows.refit_full_error, int{rows.roles.unused[h]},
                                 int{rows.roles.redundant[h]});
      }
    }
    for (const ModelTrace& model : run.models) {
      if (const auto quiet_count = quiet_heads(model)) table.set(model.activation, "quiet", s, *quiet_count);
    }
  }
  if (context.planning()) return {};
  context.write("pruning.csv", csv);
  context.write("prunable.csv", prunable_csv);
  context.write("head_roles.csv", roles_csv);

  const MeanAndError bayes = mean_and_error(bayes_test);
  std::string figures;
  std::vector<std::vector<std::string>> error_rows, prunable_rows, excess_rows, role_rows, paired_rows;
  const std::string& reference = activations.front();
  for (const auto& id : activations) {
    if (greedy[id][0].empty()) continue;  // stopped in every seed
    Figure figure = make_figure(id + ": test error after removing k of " + std::to_string(kHeads) + " heads",
                                "heads removed k", "test MSE");
    FigureSeries g = make_series("greedy by importance");
    FigureSeries f = make_series("greedy, values refit");
    FigureSeries r = make_series("random order");
    FigureSeries b = make_series("Bayes predictor (same test sets)", FigureSeries::Style::Dashed);
    const auto add_point = [](FigureSeries& series, std::uint32_t k, const std::vector<double>& values) {
      const MeanAndError value = mean_and_error(values);
      series.x.push_back(k);
      series.y.push_back(value.mean);
      series.error.push_back(value.standard_error);
    };
    for (std::uint32_t k = 0; k < kHeads; ++k) {
      add_point(g, k, greedy[id][k]);
      add_point(f, k, refit[id][k]);
      add_point(r, k, random[id][k]);
      b.x.push_back(k);
      b.y.push_back(bayes.mean);
    }
    figure.series = {std::move(g), std::move(f), std::move(r), std::move(b)};
    render_figure(figure, context.folder / ("pruning_" + id));
    figures += fmt::format("![pruning curves for {}](pruning/pruning_{}.png)\n\n", id, id);

    const auto cell = [&](const std::string& quantity) { return with_error(table.stats(id, quantity)); };
    error_rows.push_back({id, cell("full"), cell("refit full"), cell("greedy half"), cell("refit half"),
                          cell("random half"), with_error(bayes)});
    std::vector<std::string> prunable_row = {id}, excess_row = {id};
    for (const char* kind : {"greedy ", "refit "}) {
      for (const double tolerance : kTolerances) {
        prunable_row.push_back(cell(kind + percent(tolerance)));
        excess_row.push_back(cell(std::string(kind) + "excess " + percent(tolerance)));
      }
    }
    std::vector<double> kept;
    for (const double prunable : table.get(id, "refit " + percent(kTolerances[kKeptTolerance]))) {
      kept.push_back(kHeads - prunable);
    }
    prunable_row.push_back(with_error(mean_and_error(kept)));
    prunable_rows.push_back(std::move(prunable_row));
    excess_rows.push_back(std::move(excess_row));
    role_rows.push_back({id, cell("unused"), cell("redundant"), cell("needed"), cell("quiet")});
    if (id != reference) {
      std::vector<std::string> paired_row = {id + " - " + reference};
      for (const std::string quantity :
           {"full", "greedy half", "refit half", "greedy 2%", "refit 2%", "unused", "redundant"}) {
        paired_row.push_back(
            signed_with_error(paired_difference(table.get(id, quantity), table.get(reference, quantity))));
      }
      paired_rows.push_back(std::move(paired_row));
    }
  }
  const std::string error_table =
      markdown_table({"activation", "test MSE, all heads", "all heads, values refit",
                      fmt::format("{} removed greedily", half), fmt::format("{} removed greedily, refit", half),
                      fmt::format("{} removed at random", half), "Bayes on the same test sets"},
                     error_rows);
  std::vector<std::string> prunable_header = {"activation"};
  std::vector<std::string> excess_header = {"activation"};
  for (const char* kind : {"", "refit, "}) {
    for (const double tolerance : kTolerances) {
      prunable_header.push_back(fmt::format("{}<= {}", kind, percent(tolerance)));
      excess_header.push_back(fmt::format("{}<= {}", kind, percent(tolerance)));
    }
  }
  prunable_header.push_back(
      fmt::format("heads kept, refit <= {} (prior needs {})", percent(kTolerances[kKeptTolerance]), prior_heads));
  const std::string prunable_table = markdown_table(prunable_header, prunable_rows);
  const std::string excess_table = markdown_table(excess_header, excess_rows);
  const std::string role_table =
      markdown_table({"activation", "unused heads", fmt::format("redundant (refit, <= {})", percent(kRoleTolerance)),
                      "needed", fmt::format("quiet (usage < {})", kQuietUsage)},
                     role_rows);
  const std::string paired_table =
      markdown_table({"difference", "test MSE, all heads", fmt::format("{} removed greedily", half),
                      fmt::format("{} removed greedily, refit", half), "prunable <= 2%", "prunable, refit <= 2%",
                      "unused", "redundant"},
                     paired_rows);
  context.write("table.md",
                error_table + "\n" + prunable_table + "\n" + excess_table + "\n" + role_table + "\n" + paired_table);
  return {"Pruning",
          fmt::format(
              "Gaussian prior with mean {} and std {} (F = 3 feature directions: two symmetric ones with variance, one "
              "carrying the mean), H = {} heads, D = 50, L = 8, t = {}; {} seeds; mean ± standard error over seeds. "
              "Heads are removed one at a time (a removed head leaves the sum and every normalization): greedily by "
              "test error; greedily with the remaining values refit after each removal (least squares given the keys, "
              "within the span of the keys, teacher keys and teacher value, which holds the optimum, on {} fresh "
              "samples independent of the test set, which also choose the order); and in random order "
              "(mean of {} orders). Test errors, with the Bayes predictor's error on the same test sets:\n\n{}\n"
              "Prunable heads: the largest k whose test error E_k stays within the tolerance of the full model's "
              "E_0, E_k <= (1 + tol) E_0; E_0 is the trained model's without refit and the refit model's with "
              "every head with refit (so that the count measures the heads, not what the refit gains on the "
              "trained values):\n\n{}\nThe same with the tolerance on the excess over the Bayes "
              "error B on the same test set, E_k - B <= (1 + tol) (E_0 - B), a stricter test:\n\n{}\n"
              "The prior needs {} heads, one per sign of each feature (2 for each symmetric feature, 1 for the mean). "
              "A head is unused when its output term's mean square is below {} of the labels', redundant when it is "
              "used but removing it alone with refit keeps the test error within {} of the refit E_0, needed "
              "otherwise; quiet "
              "when its usage (mean total attention weight) is below {} (softmax heads always have usage 1):\n\n{}\n"
              "Paired differences against {} (each seed trains every activation on the same data from the same "
              "initial parameters; mean ± standard error of the per-seed difference):\n\n{}\n{}",
              toml_array(kMean), toml_array(kStd), kHeads, context.pick(20000, 2000), seeds.size(), refit_size,
              random_orders, error_table, prunable_table, excess_table, prior_heads, kUnusedOutputShare,
              percent(kRoleTolerance), kQuietUsage, role_table, reference, paired_table, figures)};
}

}  // namespace attnlab::reproduce
