#include <attnlab/framework/comparison.hpp>
#include <attnlab/framework/errors.hpp>
#include <attnlab/framework/step_pipeline.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <istream>
#include <ostream>

namespace attnlab {

struct Comparison::Model {
  Model(const LearnerShape& shape, Activation activation, std::uint32_t max_batch,
        std::shared_ptr<const PluginLibrary> optimizer_plugin, const std::string& optimizer_params)
      : learner(shape, std::move(activation), max_batch), optimizer(std::move(optimizer_plugin), optimizer_params) {}

  Learner learner;
  Optimizer optimizer;
  double squared_error_sum = 0.0;  // since the previous log point
  std::uint64_t samples = 0;
};

namespace {

void stop(ModelStatus& status, std::uint64_t step, std::string reason) {
  status.stopped = true;
  status.stopped_step = step;
  status.reason = std::move(reason);
}

constexpr std::uint64_t kStateMagic = 0x61746e6c61627374ull;  // "atnlabst"
constexpr std::uint64_t kStateVersion = 1;

void write_u64(std::ostream& out, std::uint64_t value) {
  out.write(reinterpret_cast<const char*>(&value), 8);
}
void write_doubles(std::ostream& out, const double* data, std::size_t count) {
  write_u64(out, count);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(double)));
}
void write_string(std::ostream& out, const std::string& text) {
  write_u64(out, text.size());
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

std::uint64_t read_u64(std::istream& in) {
  std::uint64_t value = 0;
  if (!in.read(reinterpret_cast<char*>(&value), 8)) throw UsageError("checkpoint is truncated");
  return value;
}
void read_doubles(std::istream& in, double* data, std::size_t expected, const char* what) {
  if (read_u64(in) != expected) throw UsageError(std::string("checkpoint does not match the config (") + what + ")");
  if (!in.read(reinterpret_cast<char*>(data), static_cast<std::streamsize>(expected * sizeof(double)))) {
    throw UsageError("checkpoint is truncated");
  }
}
std::string read_string(std::istream& in) {
  const std::uint64_t size = read_u64(in);
  if (size > (1u << 20)) throw UsageError("checkpoint is corrupt");
  std::string text(size, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size))) throw UsageError("checkpoint is truncated");
  return text;
}

}  // namespace

Comparison::Comparison(const CompareConfig& config, PluginRegistry& registry)
    : config_(config),
      data_plugin_(registry.get(config.data_plugin, PluginKind::DataModel)),
      // One thread per model plus one drawing batches is the most that helps.
      pool_(std::min<std::uint32_t>(config.threads, static_cast<std::uint32_t>(config.activations.size()) + 1)),
      train_rng_(stream_seed(config.seed, StreamPurpose::TrainData)) {
  data_ = std::make_unique<DataModel>(data_plugin_, config.data_params);
  const std::uint32_t dimension = data_->dimension();
  const std::uint32_t length = data_->length();
  schedule_ = make_schedule(config.time, config.batch, dimension, config.log_points);
  teacher_ = Teacher{data_->teacher_keys(), data_->teacher_value()};

  // Resolve every plugin before any heavy work, so a typo fails fast.
  optimizer_plugin_ = registry.get(config.optimizer, PluginKind::Optimizer);
  for (const auto& id : config.activations) activation_plugins_.push_back(registry.get(id, PluginKind::Activation));

  eval_chunk_ = std::min(config.test_size, kEvaluationChunk);
  const std::uint32_t max_batch = std::max(config.batch, eval_chunk_);
  const LearnerShape shape{config.heads, dimension, length, config.trainable_bias};

  // Identical initial keys and values for every model, from the init stream.
  Rng init_rng(stream_seed(config.seed, StreamPurpose::Init));
  RowMatrix initial(2 * config.heads, dimension);
  init_rng.fill_normal(initial.data(), static_cast<std::size_t>(initial.size()));
  initial *= config.init_scale;

  for (std::size_t i = 0; i < config.activations.size(); ++i) {
    const auto params_it = config.activation_params.find(config.activations[i]);
    Activation activation(activation_plugins_[i], params_it == config.activation_params.end() ? "" : params_it->second);
    auto model =
        std::make_unique<Model>(shape, std::move(activation), max_batch, optimizer_plugin_, config.optimizer_params);
    model->learner.keys_and_values() = initial;
    model->optimizer.initialize(model->learner.parameter_groups());
    models_.push_back(std::move(model));
  }
  statuses_.resize(models_.size());

  test_set_ = make_test_set(*data_, config.seed, config.test_size);

  if (config.bayes_samples > 0 && data_->has_bayes()) {
    Rng bayes_rng(stream_seed(config.seed, StreamPurpose::BayesRisk));
    bayes_risk_ = estimate_bayes_risk(*data_, bayes_rng, config.bayes_samples);
  }
  for (Batch& batch : batches_) {
    batch.tokens.resize(std::size_t{config.batch} * length * dimension);
    batch.labels.resize(config.batch);
  }
}

Comparison::~Comparison() = default;

const Learner& Comparison::learner(std::size_t model) const {
  return models_.at(model)->learner;
}

Checkpoint Comparison::checkpoint(std::size_t model) const {
  return make_checkpoint(learner(model), config_, step_, schedule_.time_at(step_));
}

std::vector<std::shared_ptr<const PluginLibrary>> Comparison::plugins() const {
  std::vector<std::shared_ptr<const PluginLibrary>> result{data_plugin_, optimizer_plugin_};
  result.insert(result.end(), activation_plugins_.begin(), activation_plugins_.end());
  return result;
}

void Comparison::train_model(std::uint32_t model_index, std::uint64_t step, const Batch& batch) {
  ModelStatus& status = statuses_[model_index];
  if (status.stopped) return;
  Model& model = *models_[model_index];
  const std::uint32_t batch_size = config_.batch;
  const attnlab_step_info info{step, batch_size, data_->dimension()};
  const auto start = std::chrono::steady_clock::now();
  try {
    const double loss = model.learner.train_batch(batch.tokens, batch.labels, batch_size);
    if (!std::isfinite(loss)) {
      stop(status, step, "diverged: non-finite loss");
    } else {
      model.optimizer.step(info, model.learner.parameter_groups());
      model.squared_error_sum += 2.0 * loss;
      model.samples += batch_size;
      if (!model.learner.parameters_finite()) stop(status, step, "diverged: non-finite parameters");
    }
  } catch (const std::exception& e) {
    stop(status, step, std::string("failed: ") + e.what());
  }
  status.wall_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

LogPoint Comparison::log_point() {
  LogPoint point;
  point.step = step_;
  point.time = schedule_.time_at(step_);
  point.models.resize(models_.size());
  pool_.run(static_cast<std::uint32_t>(models_.size()), [&](std::uint32_t i) {
    ModelLog& log = point.models[i];
    Model& model = *models_[i];
    log.activation = config_.activations[i];
    if (!statuses_[i].stopped) {
      try {
        log.evaluation = evaluate(model.learner, test_set_, teacher_, eval_chunk_);
      } catch (const std::exception& e) {
        stop(statuses_[i], step_, std::string("failed: ") + e.what());
      }
    }
    log.status = statuses_[i];
    log.train_mse = model.samples > 0 ? model.squared_error_sum / static_cast<double>(model.samples) : std::nan("");
    model.squared_error_sum = 0.0;
    model.samples = 0;
  });
  return point;
}

void Comparison::run(const std::function<void(const LogPoint&)>& on_log,
                     const std::function<void(std::uint64_t)>& on_step) {
  StepPipelineWork work;
  work.draw = [this](std::uint64_t, std::uint32_t slot) {
    Batch& batch = batches_[slot];
    data_->sample(train_rng_, config_.batch, batch.tokens, batch.labels);
  };
  work.train = [this](std::uint32_t model, std::uint64_t step, std::uint32_t slot) {
    train_model(model, step, batches_[slot]);
  };
  work.progress = on_step;
  // One thread gains nothing from batches drawn ahead, and uses each batch
  // while it is still in the cache with a single slot.
  const auto slots = pool_.threads() > 1 ? static_cast<std::uint32_t>(batches_.size()) : 1u;
  const auto& log_steps = schedule_.log_steps;
  while (next_log_ < log_steps.size()) {
    // Batches are drawn only up to the log point, so the data stream's state
    // there is exact for save_state().
    run_step_pipeline(pool_, static_cast<std::uint32_t>(models_.size()), slots, step_, log_steps[next_log_], work);
    step_ = std::max(step_, log_steps[next_log_]);
    const LogPoint point = log_point();
    ++next_log_;
    on_log(point);
  }
}

void Comparison::save_state(std::ostream& out) const {
  write_u64(out, kStateMagic);
  write_u64(out, kStateVersion);
  write_u64(out, step_);
  write_u64(out, next_log_);
  for (const std::uint64_t word : train_rng_.state()) write_u64(out, word);
  write_u64(out, models_.size());
  for (std::size_t i = 0; i < models_.size(); ++i) {
    const Model& model = *models_[i];
    const ModelStatus& status = statuses_[i];
    write_u64(out, status.stopped ? 1 : 0);
    write_u64(out, status.stopped_step);
    write_string(out, status.reason);
    write_doubles(out, &status.wall_seconds, 1);
    const RowMatrix& kv = model.learner.keys_and_values();
    write_doubles(out, kv.data(), static_cast<std::size_t>(kv.size()));
    write_doubles(out, model.learner.biases().data(), static_cast<std::size_t>(model.learner.biases().size()));
    const std::vector<double> activation_params = model.learner.activation_parameters();
    write_doubles(out, activation_params.data(), activation_params.size());
    const auto state = model.optimizer.state();
    write_doubles(out, state.data(), state.size());
  }
  if (!out) throw UsageError("cannot write checkpoint");
}

void Comparison::load_state(std::istream& in) {
  if (read_u64(in) != kStateMagic || read_u64(in) != kStateVersion) {
    throw UsageError("not an attnlab checkpoint of this version");
  }
  step_ = read_u64(in);
  next_log_ = read_u64(in);
  if (step_ > schedule_.total_steps || next_log_ > schedule_.log_steps.size()) {
    throw UsageError("checkpoint does not match the config (schedule)");
  }
  std::array<std::uint64_t, 4> rng_state{};
  for (auto& word : rng_state) word = read_u64(in);
  train_rng_.set_state(rng_state);
  if (read_u64(in) != models_.size()) throw UsageError("checkpoint does not match the config (number of models)");
  for (std::size_t i = 0; i < models_.size(); ++i) {
    Model& model = *models_[i];
    ModelStatus& status = statuses_[i];
    status.stopped = read_u64(in) != 0;
    status.stopped_step = read_u64(in);
    status.reason = read_string(in);
    read_doubles(in, &status.wall_seconds, 1, "wall time");
    RowMatrix& kv = model.learner.keys_and_values();
    read_doubles(in, kv.data(), static_cast<std::size_t>(kv.size()), "keys and values");
    read_doubles(in, model.learner.biases().data(), static_cast<std::size_t>(model.learner.biases().size()), "biases");
    std::vector<double> activation_params(model.learner.activation_parameters().size());
    read_doubles(in, activation_params.data(), activation_params.size(), "activation parameters");
    model.learner.set_activation_parameters(activation_params);
    const auto state = model.optimizer.state();
    read_doubles(in, state.data(), state.size(), "optimizer state");
  }
}

}  // namespace attnlab
