// What the host says when a plugin's create() fails: the status tells a bad
// parameter from any other failure. Internal to the framework library.
#pragma once

#include <attnlab/plugin_abi.h>
#include <attnlab/framework/hosting/plugin_library.hpp>

#include <string>

namespace attnlab {

// "<label>: invalid parameters: <message>" for ATTNLAB_ERROR, and
// "<label>: constructor threw: <message>" for any other failed status (the
// SDK returns ATTNLAB_START_FAILED when the plugin's constructor throws
// anything but a ParamError).
inline std::string create_failure(const PluginLibrary& plugin, attnlab_status status, const std::string& message) {
  if (status == ATTNLAB_ERROR) return plugin.label() + ": invalid parameters: " + message;
  return plugin.label() + ": constructor threw: " + message;
}

}  // namespace attnlab
