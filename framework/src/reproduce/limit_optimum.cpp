#include "limit_optimum.hpp"

#include <attnlab/framework/theory/theory_run.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>

namespace attnlab::reproduce {

LimitOptimumSettings limit_optimum_settings(const ExperimentContext& context) {
  LimitOptimumSettings settings;
  settings.starts = 2;
  settings.samples = context.pick(1024u, 512u);
  settings.horizon = context.pick(5000.0, 600.0);
  return settings;
}

std::string LimitOptimum::csv_rows(const std::string& grid_value) const {
  std::string rows;
  for (const std::string& end : ends) rows += fmt::format("{},{},{:.8g}\n", grid_value, end, bayes_risk);
  return rows;
}

LimitOptimum limit_optimum(const ExperimentContext& context, const std::string& toml,
                           std::vector<std::string> overrides, const LimitOptimumSettings& settings,
                           const std::string& label,
                           const std::function<std::optional<OrderParameters>(const std::string&)>& extra) {
  const auto start = std::chrono::steady_clock::now();
  for (const char* key :
       {"train.optimizer=\"sgd\"", "train.optimizer_params.eta=0.1", "train.optimizer_params.lr_scale=\"none\"",
        "train.optimizer_params.bias_lr_scale=\"per-dimension\"",
        "train.optimizer_params.activation_lr_scale=\"per-dimension\"", "train.optimizer_params.bias_eta=5.0",
        "train.optimizer_params.activation_eta=5.0", "model.init_scale=0.5", "theory.draws=1"}) {
    overrides.emplace_back(key);
  }
  overrides.push_back(fmt::format("theory.samples={}", settings.samples));
  const CompareConfig config = context.config(toml, overrides, context.options.first_seed);
  TheoryRun run(config, context.registry);

  OptimumOptions options;
  options.starts = settings.starts;
  options.horizon = settings.horizon;
  if (extra) {
    for (const std::string& id : config.activations) options.extra_starts.push_back(extra(id));
  }
  std::vector<std::string> failures;
  const std::vector<std::vector<FlowEnd>> ends = run.search_optimum(options, failures);

  LimitOptimum result;
  result.activations = config.activations;
  if (run.bayes_risk()) result.bayes_risk = run.bayes_risk()->mean;
  for (std::size_t model = 0; model < ends.size(); ++model) {
    const std::string& id = config.activations[model];
    double best = std::nan("");
    double extra_risk = std::nan("");
    std::uint32_t settled = 0;
    for (const FlowEnd& end : ends[model]) {
      if (end.start < settings.starts) {
        if (std::isnan(best) || end.risk < best) best = end.risk;
        settled += end.settled ? 1 : 0;
      } else {
        extra_risk = end.risk;
      }
      result.ends.push_back(fmt::format("{},{},{:.8g},{},{:.6g}", id,
                                        end.start < settings.starts ? std::to_string(end.start) : std::string("extra"),
                                        end.risk, end.settled ? 1 : 0, end.time));
    }
    if (!failures[model].empty() && context.progress) {
      context.progress(
          fmt::format("{} {} limit: {} failed: {}", context.folder.filename().string(), label, id, failures[model]));
    }
    result.best.push_back(best);
    result.settled.push_back(settled);
    result.extra.push_back(extra_risk);
  }
  if (context.progress) {
    std::string line = fmt::format("{} {} limit:", context.folder.filename().string(), label);
    for (std::size_t m = 0; m < result.best.size(); ++m) {
      line += fmt::format(" {} {}", result.activations[m], number(result.best[m]));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    context.progress(line + fmt::format("  ({:.1f} s)", seconds));
  }
  return result;
}

}  // namespace attnlab::reproduce
