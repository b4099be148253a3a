#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/plugin_discovery.hpp>

#include "hosting/broken_link.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

#include <cstdlib>

#ifndef ATTNLAB_BUILTIN_PLUGIN_RELDIR
#error "ATTNLAB_BUILTIN_PLUGIN_RELDIR must be set by the build (plugin folder relative to the binary's folder)"
#endif

namespace attnlab {

std::filesystem::path builtin_plugin_directory() {
  const std::filesystem::path executable = boost::dll::program_location();
  return (executable.parent_path() / ATTNLAB_BUILTIN_PLUGIN_RELDIR).lexically_normal();
}

std::vector<std::filesystem::path> split_search_path(const std::string& text) {
  std::vector<std::filesystem::path> entries;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(':', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) entries.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return entries;
}

DiscoveryOptions default_discovery_options() {
  DiscoveryOptions options;
  options.builtin_directory = builtin_plugin_directory();
  if (const char* env = std::getenv("ATTNLAB_PLUGIN_PATH"); env != nullptr) {
    options.search_path = split_search_path(env);
  }
  return options;
}

std::vector<PluginRejection> discover_plugins(PluginRegistry& registry, const DiscoveryOptions& options) {
  std::vector<PluginRejection> rejections;
  const auto append = [&](std::vector<PluginRejection> more) {
    rejections.insert(rejections.end(), more.begin(), more.end());
  };
  if (options.builtin_directory) {
    if (std::filesystem::is_directory(*options.builtin_directory)) {
      append(registry.add_directory(*options.builtin_directory));
    } else {
      rejections.push_back({*options.builtin_directory,
                            "built-in plugin folder '" + options.builtin_directory->string() + "' is missing"});
    }
  }
  for (const auto& entry : options.search_path) {
    std::error_code error;
    if (std::filesystem::is_directory(entry, error)) {
      append(registry.add_directory(entry));
    } else if (std::filesystem::exists(entry, error)) {
      try {
        registry.add_file(entry);
      } catch (const DuplicatePluginIdError& e) {
        rejections.push_back({entry, e.what(), true});
      } catch (const PluginLoadError& e) {
        rejections.push_back({entry, e.what()});
      }
    } else if (const std::string link = broken_link_reason(entry); !link.empty()) {
      rejections.push_back({entry, "ATTNLAB_PLUGIN_PATH entry '" + entry.string() + "': " + link});
    } else {
      rejections.push_back({entry, "ATTNLAB_PLUGIN_PATH entry '" + entry.string() + "' does not exist"});
    }
  }
  for (const auto& file : options.explicit_files) registry.add_file(file);
  return rejections;
}

}  // namespace attnlab
