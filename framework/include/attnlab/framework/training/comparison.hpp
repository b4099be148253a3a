// A head-to-head comparison: one model per activation, trained in lockstep.
//
// Every step draws one batch from the data model and feeds it to every
// model; all models start from the same parameters and use the same
// optimizer settings and the same test set. A model that diverges (non-finite
// loss or parameters) or whose plugin fails is stopped at that step and
// reported; the others carry on.
#pragma once

#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/data_model.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>
#include <attnlab/framework/training/compare_config.hpp>
#include <attnlab/framework/training/evaluation.hpp>
#include <attnlab/framework/training/learner.hpp>
#include <attnlab/framework/training/lockstep_pool.hpp>
#include <attnlab/framework/training/training_schedule.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

struct ModelStatus {
  bool stopped = false;            // diverged or failed: no longer trained
  std::uint64_t stopped_step = 0;  // step at which it stopped
  std::string reason;              // "diverged: ..." or the plugin's error
  double wall_seconds = 0.0;       // time spent training this model
};

struct ModelLog {
  std::string activation;
  ModelStatus status;
  std::optional<Evaluation> evaluation;  // none once stopped
  double train_mse = 0.0;                // mean (y - f)^2 since the previous log point
  // The high-dimensional limit only: the standard deviation of test_mse over
  // independent Monte Carlo draws (theory_run.hpp).
  std::optional<double> test_mse_band;
};

struct LogPoint {
  std::uint64_t step = 0;
  double time = 0.0;  // t = samples / D
  std::vector<ModelLog> models;
};

// A model whose activation is never created in this process: its create
// crashed or hung in an earlier one (a supervisor's record). It is stopped
// from the start, at `step`, with `reason`.
struct UnmadeModel {
  std::uint64_t step = 0;
  std::string reason;
};

class Comparison {
 public:
  // `unmade`: activation id -> why that model's plugin is not created.
  Comparison(const CompareConfig& config, PluginRegistry& registry,
             const std::map<std::string, UnmadeModel>& unmade = {});
  ~Comparison();

  const CompareConfig& config() const { return config_; }
  const TrainingSchedule& schedule() const { return schedule_; }
  const DataModel& data_model() const { return *data_; }
  std::optional<BayesRiskEstimate> bayes_risk() const { return bayes_risk_; }
  std::uint64_t step() const { return step_; }
  const std::vector<std::string>& activations() const { return config_.activations; }
  const std::vector<ModelStatus>& statuses() const { return statuses_; }
  const Teacher& teacher() const { return teacher_; }
  const TestSet& test_set() const { return test_set_; }
  // The model of activations()[model], as trained up to step(). Throws
  // std::logic_error for an unmade model.
  const Learner& learner(std::size_t model) const;
  // Plugin files the results depend on (data model, optimizer, activations).
  std::vector<std::shared_ptr<const PluginLibrary>> plugins() const;

  // A warm start: `set` writes model `model`'s starting parameters into its
  // learner (keeping its shape). Only before the first step; the optimizer
  // state stays the fresh one. Throws std::logic_error after it. Does
  // nothing for an unmade model.
  void start_model_from(std::size_t model, const std::function<void(Learner&)>& set);

  // Stops model `model` as if it had failed at `step` (a supervisor's record
  // of a plugin that crashed or hung there): it is not trained any further.
  void stop_model(std::size_t model, std::uint64_t step, const std::string& reason);

  // Trains to the end of the schedule; returns true when it got there.
  // `on_log` gets every log point not yet reported (including step 0 on a
  // fresh start); `on_step` gets each finished step, for progress display.
  // Once `stop_requested` returns true, training stops at the next step
  // every model can reach, and run() returns false: save_state() then holds
  // that step, and a resumed run gives the same results as an uninterrupted
  // one.
  bool run(const std::function<void(const LogPoint&)>& on_log, const std::function<void(std::uint64_t)>& on_step = {},
           const std::function<bool()>& stop_requested = {});

  // The state at step(): the resolved config, step, data stream, every
  // model's parameters, optimizer state, status and train-error sums, with a
  // checksum of it all. Binary, this build only.
  std::string save_state() const;
  // Throws UsageError naming `source` when the bytes are damaged, of another
  // format, or of another config (listing the keys that differ; the thread
  // count may differ).
  void load_state(const std::string& bytes, const std::string& source);

 private:
  struct Model;
  struct Batch {
    std::vector<double> tokens;
    std::vector<double> labels;
  };

  LogPoint log_point();
  // The call board slot of the data stream (after the models').
  std::uint32_t data_slot_index() const;
  // One model's step on one batch; a failure stops that model only.
  void train_model(std::uint32_t model_index, std::uint64_t step, const Batch& batch);

  CompareConfig config_;
  std::shared_ptr<const PluginLibrary> data_plugin_;
  std::shared_ptr<const PluginLibrary> optimizer_plugin_;
  std::vector<std::shared_ptr<const PluginLibrary>> activation_plugins_;
  std::unique_ptr<DataModel> data_;
  TrainingSchedule schedule_;
  Teacher teacher_;
  TestSet test_set_;
  std::optional<BayesRiskEstimate> bayes_risk_;
  std::uint32_t eval_chunk_ = 0;

  std::vector<std::unique_ptr<Model>> models_;  // null: an unmade model
  std::vector<ModelStatus> statuses_;
  LockstepPool pool_;
  Rng train_rng_;
  std::uint64_t step_ = 0;
  std::size_t next_log_ = 0;  // index into schedule_.log_steps

  // A ring of batches (step_pipeline.hpp): models may run a few steps ahead
  // of one another while the next batches are drawn.
  std::array<Batch, 3> batches_;
};

}  // namespace attnlab
