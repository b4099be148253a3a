#include <attnlab/framework/common/call_monitor.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/file_hash.hpp>
#include <attnlab/framework/training/comparison.hpp>
#include <attnlab/framework/training/run_footprint.hpp>
#include <attnlab/framework/training/step_pipeline.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

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
// 2: the resolved config, the train-error sums since the last log point (a
// run may stop between log points) and a checksum of the whole file.
constexpr std::uint64_t kStateVersion = 2;

// Binary writer of the state; the file ends with an FNV-1a of all before it.
class StateWriter {
 public:
  void u64(std::uint64_t value) { bytes_.append(reinterpret_cast<const char*>(&value), 8); }
  void doubles(const double* data, std::size_t count) {
    u64(count);
    if (count > 0) bytes_.append(reinterpret_cast<const char*>(data), count * sizeof(double));
  }
  void string(const std::string& text) {
    u64(text.size());
    bytes_ += text;
  }
  std::string finish() {
    Fnv1a hash;
    hash.add(bytes_);
    u64(hash.value());
    return std::move(bytes_);
  }

 private:
  std::string bytes_;
};

// Reads what StateWriter wrote; every failure names the file.
class StateReader {
 public:
  StateReader(const std::string& bytes, std::string source) : bytes_(bytes), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw UsageError("checkpoint '" + source_ + "': " + message);
  }

  // Checks the magic, the version and the trailing checksum.
  void verify() {
    if (bytes_.size() < 16 || load_u64(0) != kStateMagic) fail("not an attnlab run state");
    const std::uint64_t version = load_u64(8);
    if (version != kStateVersion) {
      fail(fmt::format("written by another attnlab version (state format {}, this attnlab reads {})", version,
                       kStateVersion));
    }
    if (bytes_.size() < 24) fail("truncated");
    Fnv1a hash;
    hash.add(std::string_view(bytes_).substr(0, bytes_.size() - 8));
    if (hash.value() != load_u64(bytes_.size() - 8)) {
      fail("damaged: its checksum does not match its content (cut short or altered)");
    }
    end_ = bytes_.size() - 8;
    position_ = 16;
  }

  std::uint64_t u64() {
    if (position_ + 8 > end_) fail("truncated");
    const std::uint64_t value = load_u64(position_);
    position_ += 8;
    return value;
  }
  void doubles(double* data, std::size_t expected, const char* what) {
    const std::uint64_t count = u64();
    if (count != expected) {
      fail(fmt::format("it holds {} {}, the run has {}", count, what, expected));
    }
    if (position_ + expected * sizeof(double) > end_) fail("truncated");
    // (memcpy wants valid pointers even for 0 bytes; an empty vector has none.)
    if (expected > 0) std::memcpy(data, bytes_.data() + position_, expected * sizeof(double));
    position_ += expected * sizeof(double);
  }
  std::string string() {
    const std::uint64_t size = u64();
    if (size > end_ - position_) fail("truncated");
    std::string text = bytes_.substr(position_, size);
    position_ += size;
    return text;
  }
  // Skips an array of any length (an unmade model's, written before it was unmade).
  void skip_doubles() {
    const std::uint64_t count = u64();
    if (count > (end_ - position_) / sizeof(double)) fail("truncated");
    position_ += count * sizeof(double);
  }
  void expect_end() const {
    if (position_ != end_) fail("unexpected bytes after the run state");
  }

 private:
  std::uint64_t load_u64(std::size_t at) const {
    std::uint64_t value = 0;
    std::memcpy(&value, bytes_.data() + at, 8);
    return value;
  }

  const std::string& bytes_;
  std::string source_;
  std::size_t position_ = 0;
  std::size_t end_ = 0;
};

}  // namespace

Comparison::Comparison(const CompareConfig& config, PluginRegistry& registry,
                       const std::map<std::string, UnmadeModel>& unmade)
    : config_(config),
      data_plugin_(registry.get(config.data_plugin, PluginKind::DataModel)),
      // One thread per model plus one drawing batches is the most that helps.
      pool_(std::min<std::uint32_t>(config.threads, static_cast<std::uint32_t>(config.activations.size()) + 1)),
      train_rng_(stream_seed(config.seed, StreamPurpose::TrainData)) {
  // A supervisor's board (call_monitor.hpp): one slot per model, then the
  // data stream's.
  if (CallBoard* board = call_board()) {
    // More models than slots: no supervision of calls (the board stays unused).
    const std::size_t slots = config.activations.size() + 1;
    board->slot_count = slots <= CallBoard::kMaxSlots ? static_cast<std::uint32_t>(slots) : 0;
    for (std::uint32_t i = 0; i + 1 < board->slot_count; ++i)
      set_board_text(board->slots[i].model, config.activations[i]);
    set_board_text(board->data_plugin, config.data_plugin);
    set_board_text(board->optimizer_plugin, config.optimizer);
  }
  const CallSlotBinding data_slot(data_slot_index(), 0);
  data_ = std::make_unique<DataModel>(data_plugin_, config.data_params);
  const std::uint32_t dimension = data_->dimension();
  const std::uint32_t length = data_->length();
  // Before any large allocation: an impossible size fails here, by name.
  require_memory(comparison_memory(config, dimension, length));
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

  statuses_.resize(config.activations.size());
  for (std::size_t i = 0; i < config.activations.size(); ++i) {
    // Neither its activation nor its optimizer is created: a plugin whose
    // create crashed is not called again, and the others draw nothing from it.
    if (const auto it = unmade.find(config.activations[i]); it != unmade.end()) {
      stop(statuses_[i], it->second.step, it->second.reason);
      models_.push_back(nullptr);
      continue;
    }
    const CallSlotBinding model_slot(static_cast<std::uint32_t>(i), 0);
    const auto params_it = config.activation_params.find(config.activations[i]);
    Activation activation(activation_plugins_[i], params_it == config.activation_params.end() ? "" : params_it->second);
    auto model =
        std::make_unique<Model>(shape, std::move(activation), max_batch, optimizer_plugin_, config.optimizer_params);
    model->learner.keys_and_values() = initial;
    model->optimizer.initialize(model->learner.parameter_groups());
    models_.push_back(std::move(model));
  }

  test_set_ = make_test_set(*data_, config.seed, config.test_size);

  if (config.bayes_samples > 0 && data_->has_bayes()) {
    Rng bayes_rng(stream_seed(config.seed, StreamPurpose::BayesRisk));
    bayes_risk_ = estimate_bayes_risk(*data_, bayes_rng, config.bayes_samples);
    bayes_risk_->test_set_error = bayes_test_error(*data_, test_set_, kEvaluationChunk);
  }
  for (Batch& batch : batches_) {
    batch.tokens.resize(std::size_t{config.batch} * length * dimension);
    batch.labels.resize(config.batch);
  }
}

Comparison::~Comparison() = default;

const Learner& Comparison::learner(std::size_t model) const {
  if (!models_.at(model)) throw std::logic_error("model " + config_.activations[model] + " was not created");
  return models_[model]->learner;
}

void Comparison::start_model_from(std::size_t model, const std::function<void(Learner&)>& set) {
  if (step_ != 0) throw std::logic_error("a model's starting parameters can be set before the first step only");
  if (models_.at(model)) set(models_[model]->learner);
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
  const CallSlotBinding slot(model_index, step);
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
    log.activation = config_.activations[i];
    log.status = statuses_[i];
    if (!models_[i]) {
      log.train_mse = std::nan("");
      return;
    }
    Model& model = *models_[i];
    const CallSlotBinding slot(i, step_);
    if (!statuses_[i].stopped) {
      try {
        log.evaluation = evaluate(model.learner, test_set_, teacher_, eval_chunk_, config_.max_gram_heads);
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

bool Comparison::run(const std::function<void(const LogPoint&)>& on_log,
                     const std::function<void(std::uint64_t)>& on_step, const std::function<bool()>& stop_requested) {
  StepPipelineWork work;
  work.draw = [this](std::uint64_t step, std::uint32_t slot) {
    const CallSlotBinding data_slot(data_slot_index(), step);
    Batch& batch = batches_[slot];
    data_->sample(train_rng_, config_.batch, batch.tokens, batch.labels);
  };
  work.train = [this](std::uint32_t model, std::uint64_t step, std::uint32_t slot) {
    train_model(model, step, batches_[slot]);
  };
  work.progress = on_step;
  work.stop_requested = stop_requested;
  // One thread gains nothing from batches drawn ahead, and uses each batch
  // while it is still in the cache with a single slot.
  const auto slots = pool_.threads() > 1 ? static_cast<std::uint32_t>(batches_.size()) : 1u;
  const auto& log_steps = schedule_.log_steps;
  while (next_log_ < log_steps.size()) {
    // Batches are drawn only up to the log point (or the step where a stop
    // was asked for), so the data stream's state there is exact for
    // save_state().
    const std::uint64_t target = log_steps[next_log_];
    step_ = std::max(step_,
                     run_step_pipeline(pool_, static_cast<std::uint32_t>(models_.size()), slots, step_, target, work));
    if (step_ < target) return false;
    const LogPoint point = log_point();
    ++next_log_;
    on_log(point);
  }
  return true;
}

std::uint32_t Comparison::data_slot_index() const {
  return static_cast<std::uint32_t>(config_.activations.size());
}

void Comparison::stop_model(std::size_t model, std::uint64_t step, const std::string& reason) {
  stop(statuses_.at(model), step, reason);
}

std::string Comparison::save_state() const {
  StateWriter out;
  out.u64(kStateMagic);
  out.u64(kStateVersion);
  out.string(config_.resolved_toml);
  out.u64(step_);
  out.u64(next_log_);
  for (const std::uint64_t word : train_rng_.state()) out.u64(word);
  out.u64(models_.size());
  for (std::size_t i = 0; i < models_.size(); ++i) {
    const ModelStatus& status = statuses_[i];
    out.u64(status.stopped ? 1 : 0);
    out.u64(status.stopped_step);
    out.string(status.reason);
    out.doubles(&status.wall_seconds, 1);
    if (!models_[i]) {
      // An unmade model: no sums, no parameters, no optimizer state.
      const double none = 0.0;
      out.doubles(&none, 1);
      out.u64(0);
      for (int array = 0; array < 4; ++array) out.doubles(nullptr, 0);
      continue;
    }
    const Model& model = *models_[i];
    out.doubles(&model.squared_error_sum, 1);
    out.u64(model.samples);
    const RowMatrix& kv = model.learner.keys_and_values();
    out.doubles(kv.data(), static_cast<std::size_t>(kv.size()));
    out.doubles(model.learner.biases().data(), static_cast<std::size_t>(model.learner.biases().size()));
    const std::vector<double> activation_params = model.learner.activation_parameters();
    out.doubles(activation_params.data(), activation_params.size());
    const auto state = model.optimizer.state();
    out.doubles(state.data(), state.size());
  }
  return out.finish();
}

void Comparison::load_state(const std::string& bytes, const std::string& source) {
  StateReader in(bytes, source);
  in.verify();
  const std::string saved_config = in.string();
  const auto differences = config_differences(saved_config, config_.resolved_toml);
  if (!differences.empty()) {
    std::string listed;
    for (std::size_t i = 0; i < differences.size() && i < 4; ++i) listed += (i == 0 ? "" : "; ") + differences[i];
    if (differences.size() > 4) listed += fmt::format("; and {} more", differences.size() - 4);
    in.fail("it was written for another config (checkpoint vs now: " + listed + ")");
  }
  step_ = in.u64();
  next_log_ = in.u64();
  if (step_ > schedule_.total_steps || next_log_ > schedule_.log_steps.size() ||
      (next_log_ < schedule_.log_steps.size() && step_ > schedule_.log_steps[next_log_])) {
    in.fail("its step does not fit the config's schedule");
  }
  std::array<std::uint64_t, 4> rng_state{};
  for (auto& word : rng_state) word = in.u64();
  train_rng_.set_state(rng_state);
  if (in.u64() != models_.size()) in.fail("it holds another number of models than the config's activations");
  for (std::size_t i = 0; i < models_.size(); ++i) {
    if (!models_[i]) {
      // An unmade model keeps its own status; what the file holds of it
      // (all of it, when written before its create failed) is skipped.
      in.u64();
      in.u64();
      in.string();
      for (int array = 0; array < 2; ++array) in.skip_doubles();
      in.u64();
      for (int array = 0; array < 4; ++array) in.skip_doubles();
      continue;
    }
    Model& model = *models_[i];
    ModelStatus& status = statuses_[i];
    status.stopped = in.u64() != 0;
    status.stopped_step = in.u64();
    status.reason = in.string();
    in.doubles(&status.wall_seconds, 1, "wall times");
    in.doubles(&model.squared_error_sum, 1, "train-error sums");
    model.samples = in.u64();
    RowMatrix& kv = model.learner.keys_and_values();
    in.doubles(kv.data(), static_cast<std::size_t>(kv.size()), "key and value numbers");
    in.doubles(model.learner.biases().data(), static_cast<std::size_t>(model.learner.biases().size()), "biases");
    std::vector<double> activation_params(model.learner.activation_parameters().size());
    in.doubles(activation_params.data(), activation_params.size(), "activation parameters");
    model.learner.set_activation_parameters(activation_params);
    const auto state = model.optimizer.state();
    in.doubles(state.data(), state.size(), "optimizer state numbers");
  }
  in.expect_end();
}

}  // namespace attnlab
