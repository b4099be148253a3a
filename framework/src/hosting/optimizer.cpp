#include <attnlab/framework/common/call_monitor.hpp>
#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/optimizer.hpp>

#include "hosting/create_failure.hpp"

#include <limits>
#include <string>

namespace attnlab {
namespace {

constexpr std::size_t kErrorCapacity = 1024;

// Text the plugin wrote, up to the first NUL.
std::string plugin_message(const std::string& buffer) {
  const std::string text(buffer.c_str());
  return text.empty() ? "(the plugin gave no message)" : text;
}

std::string describe(std::uint32_t role, std::uint32_t vectors, std::uint32_t length) {
  return "role " + std::to_string(role) + " " + std::to_string(vectors) + "x" + std::to_string(length);
}

}  // namespace

Optimizer::Optimizer(std::shared_ptr<const PluginLibrary> plugin, const std::string& params)
    : plugin_(std::move(plugin)), error_(kErrorCapacity, '\0') {
  if (plugin_->kind() != PluginKind::Optimizer) {
    throw UsageError(plugin_->label() + ": expected an optimizer, but the plugin's kind is " +
                     std::string(to_string(plugin_->kind())));
  }
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::Create, PluginRole::Optimizer);
    status = table().create(params.c_str(), &instance_, error_buffer());
  }
  if (status != ATTNLAB_OK) {
    instance_ = nullptr;
    throw PluginError(create_failure(*plugin_, status, plugin_message(error_)));
  }
  if (instance_ == nullptr) throw PluginError(plugin_->label() + ": create returned no instance");
}

Optimizer::~Optimizer() {
  if (instance_ != nullptr) table().destroy(instance_);
}

Optimizer::Optimizer(Optimizer&& other) noexcept
    : plugin_(std::move(other.plugin_)),
      instance_(other.instance_),
      initialized_(other.initialized_),
      layout_(std::move(other.layout_)),
      state_(std::move(other.state_)),
      error_(std::move(other.error_)) {
  other.instance_ = nullptr;
  other.initialized_ = false;
}

Optimizer& Optimizer::operator=(Optimizer&& other) noexcept {
  if (this != &other) {
    if (instance_ != nullptr) table().destroy(instance_);
    plugin_ = std::move(other.plugin_);
    instance_ = other.instance_;
    initialized_ = other.initialized_;
    layout_ = std::move(other.layout_);
    state_ = std::move(other.state_);
    error_ = std::move(other.error_);
    other.instance_ = nullptr;
    other.initialized_ = false;
  }
  return *this;
}

const attnlab_optimizer_table& Optimizer::table() const {
  return plugin_->table<attnlab_optimizer_table>();
}

attnlab_optimizer_constraint Optimizer::constraint() const {
  // The loader refuses values other than these.
  return static_cast<attnlab_optimizer_constraint>(table().constraint);
}

std::string_view constraint_name(std::uint32_t constraint) {
  switch (constraint) {
    case ATTNLAB_CONSTRAINT_NONE:
      return "none";
    case ATTNLAB_CONSTRAINT_SPHERE:
      return "sphere";
    default:
      return "unknown";
  }
}

void Optimizer::initialize(std::span<const attnlab_parameter_group> groups) {
  if (groups.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw UsageError(plugin_->label() + ": too many parameter groups (" + std::to_string(groups.size()) + ")");
  }
  std::size_t size = 0;
  if (table().state_size(instance_, groups.data(), static_cast<std::uint32_t>(groups.size()), &size, error_buffer()) !=
      ATTNLAB_OK) {
    throw PluginError(plugin_->label() + ": state_size failed: " + plugin_message(error_));
  }
  layout_.clear();
  for (const attnlab_parameter_group& group : groups) layout_.push_back({group.role, group.vectors, group.length});
  state_.assign(size, 0.0);
  initialized_ = true;
}

void Optimizer::check_layout(std::span<const attnlab_parameter_group> groups) const {
  if (!initialized_) throw UsageError(plugin_->label() + ": step called before initialize");
  bool same = groups.size() == layout_.size();
  for (std::size_t i = 0; same && i < groups.size(); ++i) {
    same = groups[i].role == layout_[i].role && groups[i].vectors == layout_[i].vectors &&
           groups[i].length == layout_[i].length;
  }
  if (same) return;
  std::string given;
  std::string expected;
  for (const attnlab_parameter_group& g : groups) {
    given += (given.empty() ? "" : ", ") + describe(g.role, g.vectors, g.length);
  }
  for (const GroupLayout& g : layout_) {
    expected += (expected.empty() ? "" : ", ") + describe(g.role, g.vectors, g.length);
  }
  throw UsageError(plugin_->label() + ": step got parameter groups [" + given + "] but was initialized with [" +
                   expected + "]");
}

void Optimizer::step(const attnlab_step_info& info, std::span<attnlab_parameter_group> groups) {
  check_layout(groups);
  attnlab_status status = ATTNLAB_OK;
  {
    const PluginCallMark mark(PluginCall::Step, PluginRole::Optimizer);
    status = table().step(instance_, info, groups.data(), static_cast<std::uint32_t>(groups.size()),
                          state_.empty() ? nullptr : state_.data(), error_buffer());
  }
  if (status != ATTNLAB_OK) {
    throw PluginError(plugin_->label() + ": step " + std::to_string(info.step) + " failed: " + plugin_message(error_));
  }
}

}  // namespace attnlab
