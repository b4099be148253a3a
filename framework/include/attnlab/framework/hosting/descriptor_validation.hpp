// Checks that a descriptor returned by a plugin's entry point is usable.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/hosting/plugin_library.hpp>

namespace attnlab {

// Returns the descriptor's kind or throws PluginLoadError whose message
// (without the file name, which the caller adds) says what is wrong.
PluginKind validate_descriptor(const attnlab_plugin_descriptor* descriptor);

}  // namespace attnlab
