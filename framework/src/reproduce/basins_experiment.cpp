// How often Bayes-softmax trained from random init reaches the Bayes risk.
// The prior is the heads experiment's (three support points), which
// Bayes-softmax expresses exactly once H >= 3. Each seed trains at the
// constant rate for the experiment's time (arm "constant"), then continues
// from those parameters with a cosine decay to a small floor (arm "decayed"):
// a run near the Bayes predictor then loses the SGD noise floor a constant
// rate keeps, while a run in a basin of fewer used heads stays there. Both
// arms are scored on the continuation's test set (its step-0 evaluation is the
// constant arm's final parameters), so they share one Bayes predictor error.
#include "experiment_support.hpp"

#include <attnlab/framework/reports/report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace attnlab::reproduce {
namespace {

// "Reaches the Bayes risk": final test error within 2% of the Bayes
// predictor's on the same test set.
constexpr double kWithin = 0.02;
// The continuation runs on fresh samples and a fresh test set: its seed is
// the run's with this bit flipped (seeds stay below 2^63).
constexpr std::uint64_t kContinuationSeedBit = std::uint64_t{1} << 62;
constexpr const char* kArms[] = {"constant", "decayed"};

ExperimentSetting setting(bool quick) {
  ExperimentSetting setting;
  // Softmax cannot express the Bayes predictor: its fraction shows what the
  // criterion gives a model that cannot reach the Bayes risk. It shares the
  // batches, and the lockstep pool trains one model per thread.
  setting.activations = {"softmax", "bayes-softmax"};
  setting.prior = "prior = \"discrete\"\nsupport = [[2.5, 0.0], [-2.5, 0.0], [0.0, 2.5]]\nweights = [1.0, 1.0, 1.0]";
  setting.time = quick ? 2000.0 : 20000.0;
  setting.test_size = quick ? 1024 : 4096;
  // Only the final parameters are scored (on the continuation's test set).
  setting.log_points = 1;
  setting.bayes_samples = 0;
  return setting;
}

double median(std::vector<double> values) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Linear interpolation between order statistics.
double quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const auto low = static_cast<std::size_t>(std::floor(at));
  const std::size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (at - static_cast<double>(low)) * (values[high] - values[low]);
}

std::vector<double> finite(const std::vector<double>& values) {
  std::vector<double> kept;
  for (const double v : values)
    if (std::isfinite(v)) kept.push_back(v);
  return kept;
}

// Per H, activation and arm: one entry per seed (NaN where the model stopped).
struct Samples {
  std::vector<double> relative_excess;
  std::vector<double> test_mse;
};

}  // namespace

ExperimentSection run_basins(const ExperimentContext& context) {
  const bool quick = context.options.quick;
  const ExperimentSetting base = setting(quick);
  const std::string toml = experiment_toml(base);
  context.write("config.toml", toml);
  const std::vector<std::uint32_t> head_counts =
      context.pick(std::vector<std::uint32_t>{3, 4, 6}, std::vector<std::uint32_t>{3});
  const auto seeds = context.seeds(30, 4);
  // A quarter of the constant phase: the decay from eta to a hundredth of it.
  const double decay_time = base.time / 4.0;
  const std::vector<std::string> decay = {
      fmt::format("train.time={}", decay_time),
      "train.optimizer_params.schedule=cosine",
      fmt::format("train.optimizer_params.schedule_period={}", decay_time),
      "train.optimizer_params.schedule_floor=0.01",
      fmt::format("eval.bayes_samples={}", quick ? 20000 : 100000),
  };

  std::string csv = "seed,heads,activation,arm,test_mse,bayes_test_mse,relative_excess,within_2pct\n";
  std::map<std::uint32_t, std::map<std::string, std::map<std::string, Samples>>> samples;
  std::vector<double> bayes_test_values;
  for (const std::uint32_t heads : head_counts) {
    const std::string head_override = "model.heads=" + std::to_string(heads);
    for (const std::uint64_t seed : seeds) {
      // The constant arm's own run is not read: both arms are scored on
      // the continuation's test set, which starts from its final models.
      const CompareConfig constant = context.config(toml, {head_override}, seed);
      context.run(constant, fmt::format("H {} seed {} constant", heads, seed));
      std::vector<std::string> overrides = decay;
      overrides.push_back(head_override);
      const auto decayed = context.run(context.config(toml, overrides, seed ^ kContinuationSeedBit),
                                       fmt::format("H {} seed {} decayed", heads, seed), &constant);
      if (!decayed) continue;
      const ExperimentRun& continued = *decayed;
      const double bayes = continued.bayes_risk ? continued.bayes_risk->test_set_error : std::nan("");
      bayes_test_values.push_back(bayes);
      for (const ModelTrace& model : continued.models) {
        // The first log point is the constant arm's final parameters, the
        // last the decayed arm's (NaN where the model stopped).
        const double arm_mse[] = {model.test_mse.front(), model.final_mse()};
        for (std::size_t arm = 0; arm < 2; ++arm) {
          const double excess = (arm_mse[arm] - bayes) / bayes;
          const bool within = excess <= kWithin;  // false for NaN
          Samples& s = samples[heads][model.activation][kArms[arm]];
          s.relative_excess.push_back(excess);
          s.test_mse.push_back(arm_mse[arm]);
          csv += fmt::format("{},{},{},{},{:.8g},{:.8g},{:.8g},{}\n", seed, heads, model.activation, kArms[arm],
                             arm_mse[arm], bayes, excess, within ? 1 : 0);
        }
      }
    }
  }
  if (context.planning()) return {};
  context.write("basins.csv", csv);

  std::vector<std::vector<std::string>> rows, paired_rows;
  for (const std::uint32_t heads : head_counts) {
    for (const std::string& id : base.activations) {
      for (const char* arm : kArms) {
        const Samples& s = samples[heads][id][arm];
        std::size_t reached = 0;
        for (const double e : s.relative_excess) reached += e <= kWithin ? 1 : 0;
        const FractionInterval interval = wilson_interval(reached, s.relative_excess.size());
        const std::vector<double> excess = finite(s.relative_excess);
        rows.push_back(
            {std::to_string(heads), id, arm, fmt::format("{}/{}", reached, s.relative_excess.size()),
             fmt::format("[{:.2f}, {:.2f}]", interval.low, interval.high),
             fmt::format("{:.2f}%", 100.0 * median(excess)),
             fmt::format("[{:.2f}%, {:.2f}%]", 100.0 * quantile(excess, 0.25), 100.0 * quantile(excess, 0.75)),
             fmt::format("[{:.2f}%, {:.2f}%]", 100.0 * quantile(excess, 0.0), 100.0 * quantile(excess, 1.0))});
      }
      const Samples& constant = samples[heads][id]["constant"];
      const Samples& decayed = samples[heads][id]["decayed"];
      const MeanAndError excess = paired_difference(decayed.relative_excess, constant.relative_excess);
      const MeanAndError mse = paired_difference(decayed.test_mse, constant.test_mse);
      paired_rows.push_back({std::to_string(heads), id,
                             fmt::format("{:+.2f}% ± {:.2f}%", 100.0 * excess.mean, 100.0 * excess.standard_error),
                             signed_with_error(mse), std::to_string(excess.count)});
    }
  }
  const std::string table = markdown_table(
      {"H", "activation", "arm", "within 2%", "95% Wilson interval", "median excess", "quartiles", "range"}, rows);
  const std::string paired_table =
      markdown_table({"H", "activation", "decayed − constant: relative excess", "test MSE", "seeds"}, paired_rows);
  context.write("table.md", table + "\n" + paired_table);
  return {
      "Bayes risk from random init: basins and the noise floor",
      fmt::format("The heads experiment's prior (three equally likely support points ±2.5 e1, 2.5 e2; D = 50, L = 8, "
                  "noise 0.1), H in {{{}}}, {} seeds each. Arm *constant*: trained from random init at the constant "
                  "rate (eta = 0.1) for t = {}. Arm *decayed*: the same parameters trained on for t = {} more on fresh "
                  "samples with a cosine decay of the rate to a hundredth. Both arms are scored on the continuation's "
                  "test set ({} samples), where the Bayes predictor's error is {}; relative excess = (test MSE − "
                  "that) / that. A run reaches the Bayes risk when its relative excess is at most 2%; the interval is "
                  "the 95% Wilson score interval of that fraction. Softmax, which cannot express the Bayes predictor, "
                  "shows what the criterion gives a model that cannot reach it.\n\n{}\nPaired differences, decayed − "
                  "constant (same seed and test set; mean ± standard error over seeds):\n\n{}",
                  fmt::join(head_counts, ", "), seeds.size(), base.time, decay_time, base.test_size,
                  with_error(mean_and_error(bayes_test_values)), table, paired_table)};
}

}  // namespace attnlab::reproduce
