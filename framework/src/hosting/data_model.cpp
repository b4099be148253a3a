#include <attnlab/framework/common/call_monitor.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/data_model.hpp>

#include "hosting/create_failure.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace attnlab {
namespace {

constexpr std::size_t kErrorCapacity = 1024;
constexpr std::size_t kRiskChunk = 4096;

// Text the plugin wrote, up to the first NUL.
std::string plugin_message(const std::string& buffer) {
  const std::string text(buffer.c_str());
  return text.empty() ? "(the plugin gave no message)" : text;
}

// Index of the first non-finite value, or size() when all are finite.
std::size_t first_non_finite(std::span<const double> values) {
  return static_cast<std::size_t>(
      std::find_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }) - values.begin());
}

// %g rather than std::to_string's %f, which shows a small negative variance as -0.000000.
std::string show(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace

DataModel::DataModel(std::shared_ptr<const PluginLibrary> plugin, const std::string& params)
    : plugin_(std::move(plugin)), error_(kErrorCapacity, '\0') {
  if (plugin_->kind() != PluginKind::DataModel) {
    throw UsageError(plugin_->label() + ": expected a data model, but the plugin's kind is " +
                     std::string(to_string(plugin_->kind())));
  }
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::Create, PluginRole::DataModel);
    status = table().create(params.c_str(), &instance_, error_buffer());
  }
  if (status != ATTNLAB_OK) {
    instance_ = nullptr;
    throw PluginError(create_failure(*plugin_, status, plugin_message(error_)));
  }
  if (instance_ == nullptr) throw PluginError(plugin_->label() + ": create returned no instance");
  // From here on the destructor will not run if we throw, so own the instance first.
  try {
    if (table().dims(instance_, &dims_, error_buffer()) != ATTNLAB_OK) fail("dims");
    if (dims_.dimension == 0 || dims_.length == 0 || dims_.features == 0) {
      throw PluginError(plugin_->label() + ": dims returned D = " + std::to_string(dims_.dimension) +
                        ", L = " + std::to_string(dims_.length) + ", F = " + std::to_string(dims_.features) +
                        " (each must be at least 1)");
    }
    teacher_keys_ = RowMatrix::Zero(dims_.features, dims_.dimension);
    teacher_value_ = Eigen::VectorXd::Zero(dims_.dimension);
    if (table().teacher(instance_, teacher_keys_.data(), teacher_value_.data(), error_buffer()) != ATTNLAB_OK) {
      fail("teacher");
    }
    if (!teacher_keys_.allFinite() || !teacher_value_.allFinite()) {
      throw PluginError(plugin_->label() + ": teacher returned non-finite directions");
    }
  } catch (...) {
    table().destroy(instance_);
    instance_ = nullptr;
    throw;
  }
}

DataModel::~DataModel() {
  if (instance_ != nullptr) table().destroy(instance_);
}

DataModel::DataModel(DataModel&& other) noexcept
    : plugin_(std::move(other.plugin_)),
      instance_(other.instance_),
      dims_(other.dims_),
      teacher_keys_(std::move(other.teacher_keys_)),
      teacher_value_(std::move(other.teacher_value_)),
      error_(std::move(other.error_)) {
  other.instance_ = nullptr;
}

DataModel& DataModel::operator=(DataModel&& other) noexcept {
  if (this != &other) {
    if (instance_ != nullptr) table().destroy(instance_);
    plugin_ = std::move(other.plugin_);
    instance_ = other.instance_;
    dims_ = other.dims_;
    teacher_keys_ = std::move(other.teacher_keys_);
    teacher_value_ = std::move(other.teacher_value_);
    error_ = std::move(other.error_);
    other.instance_ = nullptr;
  }
  return *this;
}

const attnlab_data_model_table& DataModel::table() const {
  return plugin_->table<attnlab_data_model_table>();
}

void DataModel::fail(const char* operation) const {
  throw PluginError(plugin_->label() + ": " + operation + " failed: " + plugin_message(error_));
}

void DataModel::check_batch(std::uint32_t batch, std::size_t tokens, std::size_t per_sample, const char* what) const {
  const std::size_t expected = std::size_t{batch} * dims_.length * dims_.dimension;
  if (tokens != expected || per_sample != batch) {
    throw UsageError(plugin_->label() + ": " + what + " of a batch of " + std::to_string(batch) + " needs " +
                     std::to_string(expected) + " token doubles (batch x L x D = " + std::to_string(batch) + " x " +
                     std::to_string(dims_.length) + " x " + std::to_string(dims_.dimension) + ") and " +
                     std::to_string(batch) + " per-sample doubles, got " + std::to_string(tokens) + " and " +
                     std::to_string(per_sample));
  }
}

void DataModel::sample(Rng& rng, std::uint32_t batch, std::span<double> tokens, std::span<double> labels) {
  check_batch(batch, tokens.size(), labels.size(), "sample");
  attnlab_random_stream stream = abi_stream(rng);
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::Sample, PluginRole::DataModel);
    status = table().sample(instance_, &stream, batch, tokens.data(), labels.data(), error_buffer());
  }
  if (status != ATTNLAB_OK) fail("sample");
  // Garbage from the data model would surface as a "diverged" learner much
  // later; name its source here instead.
  const std::size_t per_sample = std::size_t{dims_.length} * dims_.dimension;
  if (const std::size_t i = first_non_finite(tokens); i < tokens.size()) {
    throw PluginError(plugin_->label() + ": sample returned a non-finite token value (" + std::to_string(tokens[i]) +
                      ") at sample " + std::to_string(i / per_sample) + ", token " +
                      std::to_string(i % per_sample / dims_.dimension) + ", coordinate " +
                      std::to_string(i % dims_.dimension));
  }
  if (const std::size_t i = first_non_finite(labels); i < labels.size()) {
    throw PluginError(plugin_->label() + ": sample returned a non-finite label (" + std::to_string(labels[i]) +
                      ") at sample " + std::to_string(i));
  }
}

bool DataModel::has_bayes() const {
  return (plugin_->capabilities() & ATTNLAB_CAP_BAYES_PREDICTION) != 0 && table().bayes_prediction != nullptr &&
         table().bayes_risk_samples != nullptr;
}

void DataModel::require_bayes(const char* operation) const {
  if (!has_bayes()) {
    throw UsageError(plugin_->label() + " has no Bayes-optimal prediction (capability bayes-prediction), so " +
                     operation + " is not available");
  }
}

void DataModel::bayes_prediction(std::uint32_t batch, std::span<const double> tokens, std::span<double> prediction) {
  require_bayes("bayes_prediction");
  check_batch(batch, tokens.size(), prediction.size(), "bayes_prediction");
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::BayesPrediction, PluginRole::DataModel);
    status = table().bayes_prediction(instance_, batch, tokens.data(), prediction.data(), error_buffer());
  }
  if (status != ATTNLAB_OK) fail("bayes_prediction");
  if (const std::size_t i = first_non_finite(prediction); i < prediction.size()) {
    if (first_non_finite(tokens) == tokens.size()) {
      throw PluginError(plugin_->label() + ": bayes_prediction returned a non-finite value (" +
                        std::to_string(prediction[i]) + ") at sample " + std::to_string(i) + " for finite tokens");
    }
  }
}

void DataModel::bayes_risk_samples(Rng& rng, std::span<double> out) {
  require_bayes("bayes_risk_samples");
  if (out.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw UsageError(plugin_->label() + ": bayes_risk_samples asked for " + std::to_string(out.size()) +
                     " samples in one call (at most " + std::to_string(std::numeric_limits<std::uint32_t>::max()) +
                     ")");
  }
  attnlab_random_stream stream = abi_stream(rng);
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::BayesRiskSamples, PluginRole::DataModel);
    status = table().bayes_risk_samples(instance_, &stream, static_cast<std::uint32_t>(out.size()), out.data(),
                                        error_buffer());
  }
  if (status != ATTNLAB_OK) fail("bayes_risk_samples");
  if (const std::size_t i = first_non_finite(out); i < out.size()) {
    throw PluginError(plugin_->label() + ": bayes_risk_samples returned a non-finite value (" + std::to_string(out[i]) +
                      ") at index " + std::to_string(i));
  }
}

bool provides_limit(const PluginLibrary& plugin) {
  if (plugin.kind() != PluginKind::DataModel) return false;
  const auto& table = plugin.table<attnlab_data_model_table>();
  // A 1.0 plugin's table ends before the entry: check the size before reading it.
  constexpr std::size_t needed =
      offsetof(attnlab_data_model_table, limit_sample) + sizeof(attnlab_data_model_table::limit_sample);
  return table.struct_size >= needed && (plugin.capabilities() & ATTNLAB_CAP_HIGH_DIMENSIONAL_LIMIT) != 0 &&
         table.limit_sample != nullptr;
}

bool DataModel::has_limit() const {
  return provides_limit(*plugin_);
}

void DataModel::require_limit() const {
  if (!has_limit()) {
    throw UsageError("data model '" + plugin_->id() +
                     "' has no high-dimensional limit: it does not provide limit_sample (see docs/WRITING_PLUGINS.md)");
  }
}

void DataModel::limit_sample(Rng& rng, std::uint32_t count, std::span<double> teacher_fields,
                             std::span<double> label_means, std::span<double> label_noise_variances) {
  require_limit();
  const std::size_t tokens = std::size_t{count} * dims_.length;
  const std::size_t fields = tokens * (std::size_t{dims_.features} + 1);
  if (teacher_fields.size() != fields || label_means.size() != count || label_noise_variances.size() != count) {
    throw UsageError(plugin_->label() + ": limit_sample of " + std::to_string(count) + " samples needs " +
                     std::to_string(fields) + " teacher-field doubles (count x L x (F + 1) = " + std::to_string(count) +
                     " x " + std::to_string(dims_.length) + " x " + std::to_string(dims_.features + std::uint64_t{1}) +
                     ") and " + std::to_string(count) + " label means and noise variances, got " +
                     std::to_string(teacher_fields.size()) + ", " + std::to_string(label_means.size()) + " and " +
                     std::to_string(label_noise_variances.size()));
  }
  attnlab_random_stream stream = abi_stream(rng);
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::LimitSample, PluginRole::DataModel);
    status = table().limit_sample(instance_, &stream, count, teacher_fields.data(), label_means.data(),
                                  label_noise_variances.data(), error_buffer());
  }
  if (status != ATTNLAB_OK) fail("limit_sample");
  const std::size_t per_sample = std::size_t{dims_.length} * (dims_.features + std::size_t{1});
  if (const std::size_t i = first_non_finite(teacher_fields); i < teacher_fields.size()) {
    throw PluginError(plugin_->label() + ": limit_sample returned a non-finite teacher field (" +
                      std::to_string(teacher_fields[i]) + ") at sample " + std::to_string(i / per_sample) + ", token " +
                      std::to_string(i % per_sample / (dims_.features + std::size_t{1})) + ", direction " +
                      std::to_string(i % (dims_.features + std::size_t{1})));
  }
  if (const std::size_t i = first_non_finite(label_means); i < label_means.size()) {
    throw PluginError(plugin_->label() + ": limit_sample returned a non-finite label mean (" +
                      std::to_string(label_means[i]) + ") at sample " + std::to_string(i));
  }
  const auto bad_variance = std::find_if(label_noise_variances.begin(), label_noise_variances.end(),
                                         [](double v) { return !std::isfinite(v) || v < 0; });
  if (bad_variance != label_noise_variances.end()) {
    throw PluginError(plugin_->label() + ": limit_sample returned a label noise variance of " + show(*bad_variance) +
                      " at sample " + std::to_string(bad_variance - label_noise_variances.begin()) +
                      " (must be finite and at least 0)");
  }
}

BayesRiskEstimate estimate_bayes_risk(DataModel& model, Rng& rng, std::size_t samples) {
  if (samples < 2) {
    throw UsageError("the Bayes risk estimate needs at least 2 samples for a standard error, got " +
                     std::to_string(samples));
  }
  // Welford's running mean and sum of squared deviations: no cancellation
  // when the variance is tiny compared with the mean (strong signals).
  std::vector<double> chunk(std::min(samples, kRiskChunk));
  double mean = 0.0;
  double squares = 0.0;
  std::size_t seen = 0;
  while (seen < samples) {
    const std::span<double> part(chunk.data(), std::min(chunk.size(), samples - seen));
    model.bayes_risk_samples(rng, part);
    for (const double x : part) {
      ++seen;
      const double deviation = x - mean;
      mean += deviation / static_cast<double>(seen);
      squares += deviation * (x - mean);
    }
  }
  const double n = static_cast<double>(samples);
  const double variance = squares / (n - 1.0);
  return {mean, std::sqrt(variance / n), samples};
}

}  // namespace attnlab
