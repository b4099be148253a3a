#include <attnlab/framework/common/call_monitor.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/activation.hpp>

#include "hosting/create_failure.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace attnlab {
namespace {

constexpr std::size_t kErrorCapacity = 1024;

// Text the plugin wrote, up to the first NUL.
std::string plugin_message(const std::string& buffer) {
  const std::string text(buffer.c_str());
  return text.empty() ? "(the plugin gave no message)" : text;
}

}  // namespace

const char* normalization_name(std::uint32_t normalization) {
  switch (normalization) {
    case ATTNLAB_NORM_PER_HEAD_SUM_ONE:
      return "per-head sum 1";
    case ATTNLAB_NORM_PER_HEAD_SUM_AT_MOST_ONE:
      return "per-head sum <= 1";
    case ATTNLAB_NORM_JOINT_SUM_ONE:
      return "joint sum 1 over heads and tokens";
    default:
      return "none";
  }
}

Activation::Activation(std::shared_ptr<const PluginLibrary> plugin, const std::string& params)
    : plugin_(std::move(plugin)), error_(kErrorCapacity, '\0') {
  if (plugin_->kind() != PluginKind::Activation) {
    throw UsageError(plugin_->label() + " is " + with_article(plugin_->kind()) + ", not an activation");
  }
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::Create, PluginRole::Activation);
    status = table().create(params.c_str(), &instance_, {error_.data(), error_.size()});
  }
  if (status != ATTNLAB_OK) {
    instance_ = nullptr;
    throw PluginError(create_failure(*plugin_, status, plugin_message(error_)));
  }
  if (instance_ == nullptr) throw PluginError(plugin_->label() + ": create returned no instance");
}

Activation::~Activation() {
  if (instance_ != nullptr) table().destroy(instance_);
}

Activation::Activation(Activation&& other) noexcept
    : plugin_(std::move(other.plugin_)), instance_(other.instance_), error_(std::move(other.error_)) {
  other.instance_ = nullptr;
}

Activation& Activation::operator=(Activation&& other) noexcept {
  if (this != &other) {
    if (instance_ != nullptr) table().destroy(instance_);
    plugin_ = std::move(other.plugin_);
    instance_ = other.instance_;
    error_ = std::move(other.error_);
    other.instance_ = nullptr;
  }
  return *this;
}

const attnlab_activation_table& Activation::table() const {
  return plugin_->table<attnlab_activation_table>();
}

attnlab_normalization Activation::normalization() const {
  return static_cast<attnlab_normalization>(table().normalization);
}

std::size_t Activation::parameter_count() const {
  return table().parameter_count(instance_);
}

std::vector<double> Activation::parameters() const {
  std::vector<double> values(parameter_count());
  if (table().get_parameters(instance_, values.data(), {error_.data(), error_.size()}) != ATTNLAB_OK) {
    fail("get_parameters");
  }
  return values;
}

void Activation::set_parameters(std::span<const double> values) {
  if (values.size() != parameter_count()) {
    throw UsageError(plugin_->label() + ": set_parameters got " + std::to_string(values.size()) + " values, expected " +
                     std::to_string(parameter_count()));
  }
  if (table().set_parameters(instance_, values.data(), {error_.data(), error_.size()}) != ATTNLAB_OK) {
    fail("set_parameters");
  }
}

void Activation::check_sizes(ScoreShape shape, std::span<const unsigned char> head_mask,
                             std::initializer_list<std::size_t> buffer_sizes) const {
  for (const std::size_t size : buffer_sizes) {
    if (size != shape.size()) {
      throw UsageError(plugin_->label() + ": buffer of " + std::to_string(size) + (size == 1 ? " double" : " doubles") +
                       " for a " + std::to_string(shape.batch) + "x" + std::to_string(shape.heads) + "x" +
                       std::to_string(shape.length) + " score batch");
    }
  }
  if (!head_mask.empty() && head_mask.size() != shape.heads) {
    throw UsageError(plugin_->label() + ": head mask of " + std::to_string(head_mask.size()) + " entries for " +
                     std::to_string(shape.heads) + " heads");
  }
}

void Activation::fail(const char* operation) const {
  throw PluginError(plugin_->label() + ": " + operation + " failed: " + plugin_message(error_));
}

void Activation::forward(ScoreShape shape, std::span<const double> scores, std::span<const unsigned char> head_mask,
                         std::span<double> weights, OutputCheck check) {
  check_sizes(shape, head_mask, {scores.size(), weights.size()});
  const unsigned char* mask = head_mask.empty() ? nullptr : head_mask.data();
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::Forward, PluginRole::Activation);
    status =
        table().forward(instance_, shape.to_abi(), scores.data(), mask, weights.data(), {error_.data(), error_.size()});
  }
  if (status != ATTNLAB_OK) fail("forward");
  if (check == OutputCheck::None) return;
  // Non-finite weights from finite scores are the plugin's fault; report the
  // first one with its position instead of letting NaN spread into training.
  // A sample with a non-finite score is excused as a whole.
  const std::size_t per_sample = std::size_t{shape.heads} * shape.length;
  for (std::size_t start = 0; start < weights.size(); start += per_sample) {
    const auto sample_weights = weights.subspan(start, per_sample);
    const auto bad =
        std::find_if(sample_weights.begin(), sample_weights.end(), [](double w) { return !std::isfinite(w); });
    if (bad == sample_weights.end()) continue;
    const auto sample_scores = scores.subspan(start, per_sample);
    if (!std::all_of(sample_scores.begin(), sample_scores.end(), [](double s) { return std::isfinite(s); })) continue;
    const auto offset = static_cast<std::size_t>(bad - sample_weights.begin());
    throw PluginError(plugin_->label() + ": forward returned a non-finite weight (" + std::to_string(*bad) +
                      ") at sample " + std::to_string(start / per_sample) + ", head " +
                      std::to_string(offset / shape.length) + ", token " + std::to_string(offset % shape.length) +
                      " for finite scores");
  }
}

void Activation::backward(ScoreShape shape, std::span<const double> scores, std::span<const double> weights,
                          std::span<const unsigned char> head_mask, std::span<const double> grad_weights,
                          std::span<double> grad_scores, std::span<double> grad_parameters) {
  check_sizes(shape, head_mask, {scores.size(), weights.size(), grad_weights.size(), grad_scores.size()});
  if (grad_parameters.size() != parameter_count()) {
    throw UsageError(plugin_->label() + ": parameter gradient buffer of " + std::to_string(grad_parameters.size()) +
                     " doubles, expected " + std::to_string(parameter_count()));
  }
  const unsigned char* mask = head_mask.empty() ? nullptr : head_mask.data();
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::Backward, PluginRole::Activation);
    status = table().backward(instance_, shape.to_abi(), scores.data(), weights.data(), mask, grad_weights.data(),
                              grad_scores.data(), grad_parameters.empty() ? nullptr : grad_parameters.data(),
                              {error_.data(), error_.size()});
  }
  if (status != ATTNLAB_OK) fail("backward");
}

}  // namespace attnlab
