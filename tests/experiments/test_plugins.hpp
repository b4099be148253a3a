// Access to the built-in plugins from tests (their folder is set by CMake).
#pragma once

#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <stdexcept>

namespace attnlab::test {

inline PluginRegistry builtin_registry() {
  PluginRegistry registry;
  const auto rejections = registry.add_directory(ATTNLAB_TEST_BUILTIN_PLUGIN_DIR);
  if (!rejections.empty()) throw std::runtime_error(rejections.front().message);
  return registry;
}

}  // namespace attnlab::test
