// attnlab plugin SDK — include this one header to write a plugin in C++.
//
//   #include <attnlab/sdk.hpp>
//   class MyActivation { ... };                       // see sdk/activation.hpp
//   ATTNLAB_ACTIVATION_PLUGIN(MyActivation, {.id = "my-activation", .name = "My activation",
//                             .version = "1.0.0", .description = "...",
//                             .normalization = attnlab::Normalization::PerHeadSumOne})
//
// One plugin per shared library: each macro defines the library's single C
// entry point (ATTNLAB_ENTRY_SYMBOL), which returns the plugin's descriptor.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/sdk/activation.hpp>
#include <attnlab/sdk/data_model.hpp>
#include <attnlab/sdk/errors.hpp>
#include <attnlab/sdk/lr_schedule.hpp>
#include <attnlab/sdk/optimizer.hpp>
#include <attnlab/sdk/params.hpp>
#include <attnlab/sdk/types.hpp>

#define ATTNLAB_DEFINE_ENTRY_(BUILDER, CLASS, ...)                                        \
  extern "C" ATTNLAB_EXPORT const attnlab_plugin_descriptor* attnlab_plugin_entry(void) { \
    static const ::attnlab::PluginInfo attnlab_plugin_info = __VA_ARGS__;                 \
    return ::attnlab::detail::BUILDER<CLASS>(attnlab_plugin_info);                        \
  }

#define ATTNLAB_ACTIVATION_PLUGIN(CLASS, ...) ATTNLAB_DEFINE_ENTRY_(activation_descriptor, CLASS, __VA_ARGS__)
#define ATTNLAB_DATA_MODEL_PLUGIN(CLASS, ...) ATTNLAB_DEFINE_ENTRY_(data_model_descriptor, CLASS, __VA_ARGS__)
#define ATTNLAB_OPTIMIZER_PLUGIN(CLASS, ...) ATTNLAB_DEFINE_ENTRY_(optimizer_descriptor, CLASS, __VA_ARGS__)
