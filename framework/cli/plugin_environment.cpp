#include "commands.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/plugin_discovery.hpp>

#include <spdlog/spdlog.h>

namespace attnlab::cli {

PluginEnvironment load_plugin_environment(const std::vector<std::string>& explicit_files) {
  PluginEnvironment environment;
  DiscoveryOptions options = default_discovery_options();
  options.explicit_files.assign(explicit_files.begin(), explicit_files.end());
  environment.rejections = discover_plugins(environment.registry, options);
  // Unlike a broken file, a duplicate id is an error for every command: which
  // plugin an id means would otherwise depend on the search order.
  for (const auto& rejection : environment.rejections) {
    if (rejection.duplicate_id) throw DuplicatePluginIdError(rejection.message);
  }
  for (const auto& plugin : environment.registry.plugins()) {
    spdlog::debug("loaded {} {} from {}", to_string(plugin->kind()), plugin->id(), plugin->path().string());
  }
  return environment;
}

}  // namespace attnlab::cli
