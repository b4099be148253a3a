// What the host says when a plugin's create() fails: the status tells a bad
// parameter from any other failure. Internal to the framework library.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <string>

namespace attnlab {

// "<label>: invalid parameters: <message>" for ATTNLAB_ERROR, and
// "<label> failed to start: <message>" for any other failed status.
inline std::string create_failure(const PluginLibrary& plugin, attnlab_status status, const std::string& message) {
  if (status == ATTNLAB_ERROR) return plugin.label() + ": invalid parameters: " + message;
  return plugin.label() + " failed to start: " + message;
}

}  // namespace attnlab
