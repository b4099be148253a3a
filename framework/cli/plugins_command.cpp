#include "commands.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace attnlab::cli {

int run_plugins(const PluginEnvironment& environment) {
  const auto& plugins = environment.registry.plugins();
  std::size_t id_width = 2;
  std::size_t capability_width = 12;
  for (const auto& plugin : plugins) {
    id_width = std::max(id_width, plugin->id().size());
    capability_width = std::max(capability_width, describe_capabilities(plugin->capabilities()).size());
  }
  fmt::print("{:<11} {:<{}} {:<8} {:<{}} {}\n", "KIND", "ID", id_width, "VERSION", "CAPABILITIES", capability_width,
             "FILE");
  for (const auto& plugin : plugins) {
    fmt::print("{:<11} {:<{}} {:<8} {:<{}} {}\n", to_string(plugin->kind()), plugin->id(), id_width, plugin->version(),
               describe_capabilities(plugin->capabilities()), capability_width, plugin->path().string());
  }
  for (const auto& rejection : environment.rejections) spdlog::error("{}", rejection.message);
  if (!environment.rejections.empty()) {
    spdlog::error("{} plugin file(s) rejected", environment.rejections.size());
    return 1;
  }
  return 0;
}

}  // namespace attnlab::cli
