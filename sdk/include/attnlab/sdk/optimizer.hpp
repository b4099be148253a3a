// C++ author layer for optimizer plugins.
//
// An author writes a class with:
//
//   explicit MyOptimizer(const attnlab::Params& params);   // or default ctor
//   std::size_t state_size(std::span<const attnlab_parameter_group> groups) const;
//   void step(const attnlab_step_info& info, std::span<attnlab_parameter_group> groups,
//             std::span<double> state);
//
// and registers it with ATTNLAB_OPTIMIZER_PLUGIN (see sdk.hpp). Groups arrive
// in a fixed order (keys, values, biases, activation parameters; empty groups
// omitted) and the state buffer is zeroed by the host before the first step.
// An optimizer that keeps every key and value vector at its norm declares it
// with `.constraint = attnlab::Constraint::Sphere` in its PluginInfo, so that
// `attnlab check-plugin` verifies it.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/sdk/activation.hpp>
#include <attnlab/sdk/errors.hpp>
#include <attnlab/sdk/types.hpp>

#include <cstdint>
#include <span>

namespace attnlab::detail {

template <class Optimizer>
struct OptimizerAdapter {
  static attnlab_status create(const char* params, void** instance, attnlab_error_buffer error) noexcept {
    return guarded_create(error, [&] { *instance = construct_from_params<Optimizer>(params).release(); });
  }

  static void destroy(void* instance) noexcept { delete static_cast<Optimizer*>(instance); }

  static attnlab_status state_size(const void* instance, const attnlab_parameter_group* groups, std::uint32_t count,
                                   std::size_t* size, attnlab_error_buffer error) noexcept {
    return guarded_call(error,
                        [&] { *size = static_cast<const Optimizer*>(instance)->state_size(std::span(groups, count)); });
  }

  static attnlab_status step(void* instance, attnlab_step_info info, attnlab_parameter_group* groups,
                             std::uint32_t count, double* state, attnlab_error_buffer error) noexcept {
    return guarded_call(error, [&] {
      auto& optimizer = *static_cast<Optimizer*>(instance);
      const std::size_t size = optimizer.state_size(std::span<const attnlab_parameter_group>(groups, count));
      optimizer.step(info, std::span(groups, count), std::span(state, size));
    });
  }
};

template <class Optimizer>
const attnlab_plugin_descriptor* optimizer_descriptor(const PluginInfo& info) {
  using Adapter = OptimizerAdapter<Optimizer>;
  static const attnlab_optimizer_table table{
      sizeof(attnlab_optimizer_table),
      static_cast<std::uint32_t>(info.constraint),
      &Adapter::create,
      &Adapter::destroy,
      &Adapter::state_size,
      &Adapter::step,
  };
  static const attnlab_plugin_descriptor descriptor{
      ATTNLAB_ABI_MAJOR,
      ATTNLAB_ABI_MINOR,
      sizeof(attnlab_plugin_descriptor),
      ATTNLAB_KIND_OPTIMIZER,
      info.id,
      info.name,
      info.version,
      info.description,
      0,
      &table,
  };
  return &descriptor;
}

}  // namespace attnlab::detail
