#include "commands.hpp"

#include <attnlab/framework/hosting/optimizer.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace attnlab::cli {
namespace {

// The capability flags, plus an optimizer's declared constraint (not a flag
// in the ABI, but what a user choosing an optimizer wants to see).
std::string capabilities_text(const PluginLibrary& plugin) {
  std::string text = describe_capabilities(plugin.capabilities());
  if (plugin.kind() == PluginKind::Optimizer) {
    const std::uint32_t constraint = plugin.table<attnlab_optimizer_table>().constraint;
    if (constraint != ATTNLAB_CONSTRAINT_NONE) {
      const std::string name = std::string(constraint_name(constraint)) + "-constraint";
      text = text == "-" ? name : text + "," + name;
    }
  }
  return text;
}

}  // namespace

int run_plugins(const PluginEnvironment& environment) {
  const auto& plugins = environment.registry.plugins();
  std::size_t id_width = 2;
  std::size_t capability_width = 12;
  for (const auto& plugin : plugins) {
    id_width = std::max(id_width, plugin->id().size());
    capability_width = std::max(capability_width, capabilities_text(*plugin).size());
  }
  fmt::print("{:<11} {:<{}} {:<8} {:<{}} {}\n", "KIND", "ID", id_width, "VERSION", "CAPABILITIES", capability_width,
             "FILE");
  for (const auto& plugin : plugins) {
    fmt::print("{:<11} {:<{}} {:<8} {:<{}} {}\n", to_string(plugin->kind()), plugin->id(), id_width, plugin->version(),
               capabilities_text(*plugin), capability_width, plugin->path().string());
  }
  for (const auto& rejection : environment.rejections) spdlog::error("{}", rejection.message);
  if (!environment.rejections.empty()) {
    spdlog::error("{} plugin file(s) rejected", environment.rejections.size());
    return 1;
  }
  return 0;
}

}  // namespace attnlab::cli
