#include <attnlab/framework/common/elapsed.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/random.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>
#include <attnlab/framework/theory/limit_dynamics.hpp>
#include <attnlab/framework/theory/theory_run.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

namespace attnlab {

std::string with_dimension(const std::string& data_params, std::uint32_t dimension) {
  std::istringstream lines(data_params);
  std::string text;
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    std::string key = line.substr(0, eq);
    key.erase(std::remove_if(key.begin(), key.end(), [](unsigned char c) { return std::isspace(c); }), key.end());
    if (eq != std::string::npos && key == "D") continue;
    text += line + "\n";
  }
  return text + "D = " + std::to_string(dimension) + "\n";
}

namespace {

std::string activation_params(const CompareConfig& config, const std::string& id) {
  const auto it = config.activation_params.find(id);
  return it == config.activation_params.end() ? "" : it->second;
}

}  // namespace

// One activation integrated on one base draw.
struct TheoryRun::Job {
  std::size_t model = 0;
  std::uint32_t draw = 0;
  const FieldSample* sample = nullptr;
  const FieldSample* risk_sample = nullptr;
  std::vector<LimitMeasurement> measurements;  // per log time reached
  std::vector<OrderParameters> states;         // per log time reached (first draw only)
  std::string failure;                         // empty: no failure
  IntegrationStats stats;
  double wall_seconds = 0.0;
  std::atomic<double> progress{0.0};  // fraction of the time span done
};

TheoryRun::TheoryRun(const CompareConfig& config, PluginRegistry& registry) : config_(config), registry_(registry) {
  const auto data_plugin = registry.get(config.data_plugin, PluginKind::DataModel);
  data_ = std::make_unique<DataModel>(data_plugin, config.data_params);
  data_->require_limit();
  schedule_ = make_schedule(config.time, config.batch, data_->dimension(), config.log_points);
  for (const std::uint64_t step : schedule_.log_steps) {
    log_steps_.push_back(step);
    log_times_.push_back(schedule_.time_at(step));
  }

  initial_dimension_ = config.theory.dimension.value_or(data_->dimension());
  initial_seed_ = config.theory.seed.value_or(config.seed);
  // The model at the dimension of the initial overlaps: its teacher frame.
  std::unique_ptr<DataModel> initial_data;
  if (initial_dimension_ != data_->dimension()) {
    initial_data = std::make_unique<DataModel>(data_plugin, with_dimension(config.data_params, initial_dimension_));
  }
  const DataModel& at_dimension = initial_data ? *initial_data : *data_;
  initial_teacher_ = Teacher{at_dimension.teacher_keys(), at_dimension.teacher_value()};
  require_orthonormal_teacher(initial_teacher_, config.data_plugin);

  for (const std::string& id : config.activations) {
    activation_plugins_.push_back(registry.get(id, PluginKind::Activation));
    const Activation activation(activation_plugins_.back(), activation_params(config, id));
    steps_.push_back(limit_steps(config, !activation.parameters().empty()));
  }
  initial_ = initial_states_for(initial_seed_);
  rate_schedule_ = limit_schedule(config);
  stats_.resize(config.activations.size());
  // After limit_steps (which names an optimizer without a limit): the
  // optimizer's own message for a bad parameter.
  Optimizer optimizer(registry.get(config.optimizer, PluginKind::Optimizer), config.optimizer_params);

  if (config.bayes_samples > 0 && data_->has_bayes()) {
    Rng bayes_rng(stream_seed(config.seed, StreamPurpose::BayesRisk));
    bayes_risk_ = estimate_bayes_risk(*data_, bayes_rng, config.bayes_samples);
  }
}

TheoryRun::~TheoryRun() = default;

void TheoryRun::start_from(double time, std::vector<OrderParameters> states) {
  if (states.size() != config_.activations.size()) {
    throw UsageError(fmt::format("the limit needs one starting state per activation ({}), got {}",
                                 config_.activations.size(), states.size()));
  }
  if (!(time < log_times_.back())) {
    throw UsageError(fmt::format("the limit would start at t = {} but train.time is {}: nothing is left to compute",
                                 time, config_.time));
  }
  std::vector<double> times{time};
  std::vector<std::uint64_t> steps{
      static_cast<std::uint64_t>(std::llround(time * schedule_.dimension / schedule_.batch))};
  for (std::size_t i = 0; i < log_times_.size(); ++i) {
    if (log_times_[i] > time) {
      times.push_back(log_times_[i]);
      steps.push_back(log_steps_[i]);
    }
  }
  log_times_ = std::move(times);
  log_steps_ = std::move(steps);
  start_time_ = time;
  initial_ = std::move(states);
}

void TheoryRun::run_job(Job& job, const std::function<bool()>& stop_requested) {
  const auto start = std::chrono::steady_clock::now();
  try {
    const std::string& id = config_.activations[job.model];
    Activation activation(activation_plugins_[job.model], activation_params(config_, id));
    LimitDynamics dynamics(activation, steps_[job.model], config_.trainable_bias);
    const LrSchedule& schedule = rate_schedule_;
    OrderParameters at = initial_[job.model];
    OrderParameters rate = at;
    // The schedule's jumps and bends split the span into segments, each
    // integrated on its own so that no step straddles one. A piecewise
    // constant schedule (step) takes its value in the segment's middle: its
    // right-hand side at a segment's end is then the left limit.
    std::vector<double> ends = schedule.breaks(log_times_.back());
    ends.erase(std::remove_if(ends.begin(), ends.end(), [&](double t) { return t <= start_time_; }), ends.end());
    ends.push_back(log_times_.back());
    double segment_start = start_time_;
    double segment_end = ends.front();
    const bool piecewise_constant = schedule.kind() == LrSchedule::Kind::Step;
    const LimitRhs derivative = [&](double time, const std::vector<double>& state, std::vector<double>& out) {
      from_vector(state, at);
      const double factor = schedule.factor(piecewise_constant ? 0.5 * (segment_start + segment_end) : time);
      dynamics.rate(at, *job.sample, rate, factor);
      to_vector(rate, out);
    };
    std::vector<double> state;
    to_vector(initial_[job.model], state);
    const double span = log_times_.back() - start_time_;
    std::size_t reported = 0;  // log times reached so far
    for (const double end : ends) {
      segment_end = end;
      // The log times inside the segment, then its end when that is none.
      std::vector<double> times;
      const std::size_t first = reported;
      while (first + times.size() < log_times_.size() && log_times_[first + times.size()] <= end) {
        times.push_back(log_times_[first + times.size()]);
      }
      const std::size_t logged = times.size();
      if (times.empty() || times.back() < end) times.push_back(end);
      IntegrationRequest request;
      request.start = segment_start;
      request.times = times;
      request.tolerance = config_.theory.tolerance;
      request.method = config_.theory.integrator == "rk45" ? LimitIntegrator::Rk45 : LimitIntegrator::Rosenbrock;
      request.at_time = [&](std::size_t index, const std::vector<double>& reached) {
        if (index >= logged) return;
        from_vector(reached, at);
        job.measurements.push_back(dynamics.measure(at, *job.risk_sample));
        if (job.draw == 0) job.states.push_back(at);
        job.progress = span > 0 ? (log_times_[first + index] - start_time_) / span : 1.0;
        ++reported;
      };
      request.stop_requested = stop_requested;
      if (!integrate_limit(derivative, state, request, job.stats)) break;
      segment_start = end;
    }
  } catch (const std::exception& e) {
    job.failure = e.what();
  }
  job.wall_seconds = seconds_since(start);
}

std::vector<OrderParameters> TheoryRun::initial_states_for(std::uint64_t seed) const {
  // The same draw as a comparison's (comparison.cpp): every model starts there.
  Rng init_rng(stream_seed(seed, StreamPurpose::Init));
  RowMatrix initial(2 * config_.heads, initial_dimension_);
  init_rng.fill_normal(initial.data(), static_cast<std::size_t>(initial.size()));
  initial *= config_.init_scale;
  std::vector<OrderParameters> states;
  for (std::size_t model = 0; model < config_.activations.size(); ++model) {
    const Activation activation(activation_plugins_[model], activation_params(config_, config_.activations[model]));
    states.push_back(
        order_parameters_of(initial, initial_teacher_, Eigen::VectorXd::Zero(config_.heads), activation.parameters()));
  }
  return states;
}

std::vector<std::vector<FlowEnd>> TheoryRun::search_optimum(const OptimumOptions& options,
                                                            std::vector<std::string>& failures) {
  const FieldSample sample = draw_sample(0);
  const FieldSample risk_sample = draw_risk_sample();
  const std::size_t models = config_.activations.size();
  if (!options.extra_starts.empty() && options.extra_starts.size() != models) {
    throw UsageError(fmt::format("the gradient flow takes one extra start per activation ({}), got {}", models,
                                 options.extra_starts.size()));
  }
  const double horizon = options.horizon > 0 ? options.horizon : 10.0 * config_.time;
  std::vector<std::vector<OrderParameters>> starts;  // [start][model]
  for (std::uint32_t s = 0; s < options.starts; ++s) starts.push_back(initial_states_for(initial_seed_ + s));
  // Jobs: (model, start); start == options.starts is the model's extra start.
  std::vector<std::pair<std::size_t, std::uint32_t>> jobs;
  std::vector<std::vector<FlowEnd>> ends(models);
  for (std::size_t model = 0; model < models; ++model) {
    const bool extra = !options.extra_starts.empty() && options.extra_starts[model].has_value();
    ends[model].resize(options.starts + (extra ? 1 : 0));
    for (std::uint32_t s = 0; s < ends[model].size(); ++s) jobs.emplace_back(model, s);
  }
  failures.assign(models, "");
  std::mutex failure_lock;
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t job = next++; job < jobs.size(); job = next++) {
      const auto [model, s] = jobs[job];
      try {
        Activation activation(activation_plugins_[model], activation_params(config_, config_.activations[model]));
        LimitSteps steps = steps_[model];
        steps.gradient_flow = true;
        LimitDynamics dynamics(activation, steps, config_.trainable_bias);
        const OrderParameters& start = s < options.starts ? starts[s][model] : *options.extra_starts[model];
        ends[model][s] = flow_to_rest(dynamics, sample, risk_sample, start, horizon, options);
        ends[model][s].start = s;
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> hold(failure_lock);
        if (failures[model].empty()) failures[model] = fmt::format("start {}: {}", s, e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < std::min<std::size_t>(config_.threads, jobs.size()); ++i) threads.emplace_back(worker);
  worker();
  for (auto& thread : threads) thread.join();
  for (std::size_t model = 0; model < models; ++model) {
    if (!failures[model].empty()) ends[model].clear();
  }
  return ends;
}

FieldSample TheoryRun::draw_sample(std::uint32_t draw) const {
  return draw_field_sample(*data_, stream_seed(config_.seed, StreamPurpose::LimitDraw, draw), config_.theory.samples,
                           config_.heads);
}

FieldSample TheoryRun::draw_risk_sample() const {
  return draw_field_sample(*data_, stream_seed(config_.seed, StreamPurpose::LimitRisk), config_.theory.risk_samples,
                           config_.heads);
}

std::vector<std::optional<PlateauAnalysis>> TheoryRun::analyze_plateaus(const PlateauOptions& options,
                                                                        std::vector<std::string>& failures) {
  const FieldSample sample = draw_sample(0);
  const FieldSample risk_sample = draw_risk_sample();
  const std::size_t models = config_.activations.size();
  std::vector<std::optional<PlateauAnalysis>> analyses(models);
  failures.assign(models, "");
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t model = next++; model < models; model = next++) {
      try {
        const std::string& id = config_.activations[model];
        Activation activation(activation_plugins_[model], activation_params(config_, id));
        LimitDynamics dynamics(activation, steps_[model], config_.trainable_bias);
        analyses[model] = analyze_plateau(dynamics, sample, risk_sample, initial_[model], options);
      } catch (const std::exception& e) {
        failures[model] = e.what();
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < std::min<std::size_t>(config_.threads, models); ++i) threads.emplace_back(worker);
  worker();
  for (auto& thread : threads) thread.join();
  return analyses;
}

bool TheoryRun::run(const std::function<void(const LogPoint&)>& on_log, const std::function<void(double)>& on_progress,
                    const std::function<bool()>& stop_requested) {
  const std::uint32_t heads = config_.heads;
  const std::uint32_t draws = config_.theory.draws;
  // Drawn here, one after another: a data model instance is not shared
  // between threads.
  std::vector<FieldSample> samples;
  for (std::uint32_t draw = 0; draw < draws; ++draw) samples.push_back(draw_sample(draw));
  const FieldSample risk_sample = draw_risk_sample();

  const std::size_t models = config_.activations.size();
  std::vector<std::unique_ptr<Job>> jobs;
  for (std::size_t model = 0; model < models; ++model) {
    for (std::uint32_t draw = 0; draw < draws; ++draw) {
      auto job = std::make_unique<Job>();
      job->model = model;
      job->draw = draw;
      job->sample = &samples[draw];
      job->risk_sample = &risk_sample;
      jobs.push_back(std::move(job));
    }
  }
  std::atomic<bool> stop{false};
  const auto stopping = [&] { return stop.load(); };
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  // Once stopped, jobs not yet begun are not begun: each would first spend
  // a rate evaluation per state entry on its Jacobian.
  const auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      if (!stopping()) run_job(*jobs[i], stopping);
      ++finished;
    }
  };
  const std::size_t thread_count = std::min<std::size_t>(config_.threads, jobs.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < thread_count; ++i) threads.emplace_back(worker);
  std::thread first(worker);
  while (finished.load() < jobs.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (stop_requested && stop_requested()) stop = true;
    if (on_progress) {
      double done = 0.0;
      for (const auto& job : jobs) done += job->progress.load();
      on_progress(done / static_cast<double>(jobs.size()));
    }
  }
  first.join();
  for (auto& thread : threads) thread.join();

  // Every activation's log points up to the last one all of its draws reached.
  std::vector<std::size_t> reached(models, log_times_.size());
  std::vector<std::string> failures(models);
  for (const auto& job : jobs) {
    reached[job->model] = std::min(reached[job->model], job->measurements.size());
    if (!job->failure.empty() && failures[job->model].empty()) {
      failures[job->model] = job->draw == 0 ? job->failure : fmt::format("{} (draw {})", job->failure, job->draw);
    }
    if (job->draw == 0) stats_[job->model].integration = job->stats;
    stats_[job->model].wall_seconds += job->wall_seconds;
  }
  // When stopped: the points every activation that did not fail reached.
  std::size_t points = log_times_.size();
  if (stop.load()) {
    for (std::size_t model = 0; model < models; ++model) {
      if (failures[model].empty()) points = std::min(points, reached[model]);
    }
  }
  for (std::size_t index = 0; index < points; ++index) {
    LogPoint point;
    point.step = log_steps_[index];
    point.time = log_times_[index];
    for (std::size_t model = 0; model < models; ++model) {
      ModelLog log;
      log.activation = config_.activations[model];
      log.train_mse = std::numeric_limits<double>::quiet_NaN();  // no training error in the limit
      if (index >= reached[model]) {
        log.status.stopped = true;
        log.status.stopped_step = reached[model] == 0 ? 0 : log_steps_[reached[model] - 1];
        log.status.reason = "failed: " + failures[model];
        point.models.push_back(std::move(log));
        continue;
      }
      const Job& main = *jobs[model * draws];
      const OrderParameters& state = main.states[index];
      const LimitMeasurement& measured = main.measurements[index];
      Evaluation e;
      e.test_mse = measured.risk;
      const Eigen::Index h = heads;
      const auto overlaps = state.teacher_overlaps();
      e.key_overlaps = overlaps.topLeftCorner(h, state.features());
      e.value_overlaps = overlaps.bottomRightCorner(h, 1);
      if (heads <= config_.max_gram_heads) {
        e.key_gram = state.gram().topLeftCorner(h, h);
        e.value_gram = state.gram().bottomRightCorner(h, h);
      }
      e.usage = measured.usage;
      e.biases = state.biases;
      e.activation_parameters = state.activation_parameters;
      if (heads <= config_.max_gram_heads) e.student_overlaps = state.student;
      log.evaluation = std::move(e);
      if (draws > 1) {
        double sum = 0.0;
        double squares = 0.0;
        for (std::uint32_t draw = 0; draw < draws; ++draw) {
          const double risk = jobs[model * draws + draw]->measurements[index].risk;
          sum += risk;
          squares += risk * risk;
        }
        const double mean = sum / draws;
        log.test_mse_band = std::sqrt(std::max(0.0, (squares - draws * mean * mean) / (draws - 1)));
      }
      point.models.push_back(std::move(log));
    }
    on_log(point);
  }
  return !stop.load();
}

}  // namespace attnlab
