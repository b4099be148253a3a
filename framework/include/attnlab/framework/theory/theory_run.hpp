// The high-dimensional limit of a comparison (`attnlab theory`, `compare
// --theory`): for every activation of the config, the order-parameter ODE
// integrated from the initial overlaps of a simulation at dimension D with
// the config's seed (or from given states, e.g. a checkpoint), measured at
// the comparison's log times, in the comparison's record form.
//
// Each activation is integrated `theory.draws` times, each time with its own
// Monte Carlo base draw; the first draw gives the curves, the spread of the
// population risk over all draws its Monte Carlo band. Every draw and
// activation scores its risk on one shared sample (common random numbers:
// activations' differences are not blurred by sampling).
#pragma once

#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>
#include <attnlab/framework/theory/limit_integrator.hpp>
#include <attnlab/framework/theory/limit_steps.hpp>
#include <attnlab/framework/theory/optimum_search.hpp>
#include <attnlab/framework/theory/order_parameters.hpp>
#include <attnlab/framework/theory/plateau_analysis.hpp>
#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/comparison.hpp>
#include <attnlab/framework/training/training_schedule.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

// How one activation's limit went.
struct TheoryModelStats {
  IntegrationStats integration;  // of the first draw
  double wall_seconds = 0.0;     // all draws together
};

class TheoryRun {
 public:
  // Checks everything that can be refused (data model without a limit, an
  // optimizer without one, D-scaling of biases and activation parameters)
  // and computes the initial overlaps; throws UsageError naming the setting.
  TheoryRun(const CompareConfig& config, PluginRegistry& registry);
  ~TheoryRun();

  const CompareConfig& config() const { return config_; }
  const TrainingSchedule& schedule() const { return schedule_; }
  std::optional<BayesRiskEstimate> bayes_risk() const { return bayes_risk_; }
  // D and seed of the simulation whose initial overlaps the limit starts from.
  std::uint32_t initial_dimension() const { return initial_dimension_; }
  std::uint64_t initial_seed() const { return initial_seed_; }
  const LimitSteps& steps(std::size_t model) const { return steps_.at(model); }
  const std::vector<OrderParameters>& initial_states() const { return initial_; }

  // Starts at `time` from these states (one per activation, in config
  // order) instead, e.g. a trained model's; log times before it are dropped.
  void start_from(double time, std::vector<OrderParameters> states);

  // Integrates every activation (config.train.threads at once). `on_log`
  // gets the log points in time order once all are computed, each with one
  // record per activation (a failed activation's record says why, as a
  // comparison's stopped model does); `on_progress` gets the fraction done
  // every so often. Returns false when stopped, after reporting the log
  // points every activation reached.
  bool run(const std::function<void(const LogPoint&)>& on_log, const std::function<void(double)>& on_progress = {},
           const std::function<bool()>& stop_requested = {});

  const std::vector<TheoryModelStats>& stats() const { return stats_; }

  // Every activation's plateau (plateau_analysis.hpp), found from its
  // initial state on the first draw's sample, its risk on the risk sample
  // (config.train.threads activations at once). A failed activation's
  // entry is empty and its message is in `failures`.
  std::vector<std::optional<PlateauAnalysis>> analyze_plateaus(const PlateauOptions& options,
                                                               std::vector<std::string>& failures);

  // Every activation's noiseless gradient flow (optimum_search.hpp) from
  // options.starts random initial states: start s is the comparison's
  // initial draw with seed initial_seed() + s (start 0: this run's own), on
  // the first draw's sample, then options.extra_starts where given. Per
  // activation, the ends in start order (the extra start's last); a
  // failed activation's are empty and its message is in `failures`.
  std::vector<std::vector<FlowEnd>> search_optimum(const OptimumOptions& options, std::vector<std::string>& failures);

 private:
  struct Job;
  void run_job(Job& job, const std::function<bool()>& stop_requested);
  // Each activation's initial state from the comparison's initial draw with `seed`.
  std::vector<OrderParameters> initial_states_for(std::uint64_t seed) const;
  FieldSample draw_sample(std::uint32_t draw) const;
  FieldSample draw_risk_sample() const;

  CompareConfig config_;
  PluginRegistry& registry_;
  std::unique_ptr<DataModel> data_;
  TrainingSchedule schedule_;
  std::vector<double> log_times_;
  std::vector<std::uint64_t> log_steps_;
  double start_time_ = 0.0;
  std::uint32_t initial_dimension_ = 0;
  std::uint64_t initial_seed_ = 0;
  std::optional<BayesRiskEstimate> bayes_risk_;
  std::vector<std::shared_ptr<const PluginLibrary>> activation_plugins_;
  std::vector<LimitSteps> steps_;
  LrSchedule rate_schedule_;  // every model's steps times its factor at t
  std::vector<OrderParameters> initial_;
  Teacher initial_teacher_;  // the teacher frame at initial_dimension_
  std::vector<TheoryModelStats> stats_;
};

// The data model's parameter text with D set to `dimension` (a line D = ...
// replaced or added): the same model at another dimension.
std::string with_dimension(const std::string& data_params, std::uint32_t dimension);

}  // namespace attnlab
