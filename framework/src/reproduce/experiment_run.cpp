#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reproduce/experiment_run.hpp>

#include <cmath>
#include <limits>

namespace attnlab {

const ModelTrace& ExperimentRun::model(const std::string& activation) const {
  for (const ModelTrace& trace : models) {
    if (trace.activation == activation) return trace;
  }
  throw UsageError("no model with activation '" + activation + "' in this run");
}

ExperimentRun run_experiment(const CompareConfig& config, PluginRegistry& registry,
                             const std::function<void(Comparison&)>& after_training,
                             const std::function<void(Comparison&)>& before_training) {
  Comparison comparison(config, registry);
  if (before_training) before_training(comparison);
  ExperimentRun run;
  run.config = config;
  run.bayes_risk = comparison.bayes_risk();
  run.models.resize(config.activations.size());
  for (std::size_t i = 0; i < run.models.size(); ++i) run.models[i].activation = config.activations[i];
  comparison.run([&](const LogPoint& point) {
    for (std::size_t i = 0; i < point.models.size(); ++i) {
      const ModelLog& log = point.models[i];
      ModelTrace& trace = run.models[i];
      trace.overlaps.times.push_back(point.time);
      if (log.evaluation) {
        trace.test_mse.push_back(log.evaluation->test_mse);
        trace.overlaps.key_overlaps.push_back(log.evaluation->key_overlaps);
        trace.usage.push_back(log.evaluation->usage);
        trace.value_overlaps.push_back(log.evaluation->value_overlaps);
      } else {
        // Stopped: keep the shapes, mark the values missing.
        trace.test_mse.push_back(std::numeric_limits<double>::quiet_NaN());
        const RowMatrix last = trace.overlaps.key_overlaps.empty() ? RowMatrix() : trace.overlaps.key_overlaps.back();
        trace.overlaps.key_overlaps.push_back(
            RowMatrix::Constant(last.rows(), last.cols(), std::numeric_limits<double>::quiet_NaN()));
        const auto missing = [](const std::vector<Eigen::VectorXd>& history) {
          return history.empty() ? Eigen::VectorXd() : Eigen::VectorXd::Constant(history.back().size(), std::nan(""));
        };
        trace.usage.push_back(missing(trace.usage));
        trace.value_overlaps.push_back(missing(trace.value_overlaps));
      }
      trace.stopped = log.status.stopped;
      trace.reason = log.status.reason;
    }
  });
  if (after_training) after_training(comparison);
  return run;
}

}  // namespace attnlab
