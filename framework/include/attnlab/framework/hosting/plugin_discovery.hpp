// Where plugins are looked for: the built-in folder, ATTNLAB_PLUGIN_PATH,
// and files named on the command line, in that order.
#pragma once

#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace attnlab {

// The built-in plugin folder, found relative to the running executable (not
// the working directory), so build trees and installs both work.
std::filesystem::path builtin_plugin_directory();

// Splits a colon-separated search path; empty entries are dropped.
std::vector<std::filesystem::path> split_search_path(const std::string& text);

struct DiscoveryOptions {
  std::optional<std::filesystem::path> builtin_directory;  // none: skip built-ins
  std::vector<std::filesystem::path> search_path;          // folders or files
  std::vector<std::filesystem::path> explicit_files;       // must all load
};

// The options attnlab uses by default: built-ins and $ATTNLAB_PLUGIN_PATH.
DiscoveryOptions default_discovery_options();

// Fills `registry`. Files found by searching that fail are returned (a
// duplicate id among them marked duplicate_id); an explicit file that fails
// throws PluginLoadError.
std::vector<PluginRejection> discover_plugins(PluginRegistry& registry, const DiscoveryOptions& options);

}  // namespace attnlab
