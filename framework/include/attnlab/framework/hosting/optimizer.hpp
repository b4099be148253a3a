// Host-side handle on one instance of an optimizer plugin.
//
// initialize() fixes the layout of the parameter groups and allocates the
// optimizer's state (zeroed, as the ABI promises); step() then checks that it
// is given groups of the same layout, calls the plugin and turns an error
// status into PluginError naming the plugin. step() does not allocate.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

class Optimizer {
 public:
  // Creates an instance with the given parameter text ("key = value" lines).
  Optimizer(std::shared_ptr<const PluginLibrary> plugin, const std::string& params = "");
  ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&& other) noexcept;
  Optimizer& operator=(Optimizer&& other) noexcept;

  const PluginLibrary& plugin() const { return *plugin_; }
  // What the plugin promises to keep invariant in every step.
  attnlab_optimizer_constraint constraint() const;

  // Asks the plugin how much state these groups need and allocates it zeroed.
  void initialize(std::span<const attnlab_parameter_group> groups);
  bool initialized() const { return initialized_; }

  // One update of every group's values from its gradients. The groups must
  // have the roles and shapes given to initialize() (pointers may differ).
  void step(const attnlab_step_info& info, std::span<attnlab_parameter_group> groups);

  // The optimizer's state, e.g. to save and restore a run.
  std::span<double> state() { return state_; }
  std::span<const double> state() const { return state_; }

 private:
  struct GroupLayout {
    std::uint32_t role;
    std::uint32_t vectors;
    std::uint32_t length;
  };

  const attnlab_optimizer_table& table() const;
  attnlab_error_buffer error_buffer() const { return {error_.data(), error_.size()}; }
  void check_layout(std::span<const attnlab_parameter_group> groups) const;

  std::shared_ptr<const PluginLibrary> plugin_;
  void* instance_ = nullptr;
  bool initialized_ = false;
  std::vector<GroupLayout> layout_;
  std::vector<double> state_;
  mutable std::string error_;  // error buffer handed to the plugin
};

// "none" or "sphere" (an attnlab_optimizer_constraint), for listings and messages.
std::string_view constraint_name(std::uint32_t constraint);

}  // namespace attnlab
