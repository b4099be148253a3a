#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <algorithm>

namespace attnlab {
namespace {

// What resolve() loads as a file rather than looks up as an id.
bool is_path(const std::string& id_or_path) {
  return id_or_path.find('/') != std::string::npos || std::filesystem::path(id_or_path).extension() == ".so";
}

}  // namespace

std::shared_ptr<const PluginLibrary> PluginRegistry::add_file(const std::filesystem::path& path) {
  std::error_code error;
  const auto canonical = std::filesystem::canonical(path, error);
  if (!error) {
    for (const auto& plugin : plugins_) {
      if (plugin->path() == canonical) return plugin;
    }
  }
  auto plugin = PluginLibrary::load(path);
  if (const auto existing = by_id_.find(plugin->id()); existing != by_id_.end()) {
    throw DuplicatePluginIdError("cannot load plugin '" + plugin->path().string() + "': duplicate id '" + plugin->id() +
                                 "', already provided by '" + existing->second->path().string() + "'");
  }
  by_id_.emplace(plugin->id(), plugin);
  plugins_.push_back(plugin);
  return plugin;
}

std::vector<PluginRejection> PluginRegistry::add_directory(const std::filesystem::path& directory) {
  std::vector<PluginRejection> rejections;
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    if (entry.path().extension() == ".so") files.push_back(entry.path());
  }
  if (error) {
    rejections.push_back({directory, "cannot read plugin directory '" + directory.string() + "': " + error.message()});
    return rejections;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    try {
      add_file(file);
    } catch (const DuplicatePluginIdError& e) {
      rejections.push_back({file, e.what(), true});
    } catch (const PluginLoadError& e) {
      rejections.push_back({file, e.what()});
    }
  }
  return rejections;
}

std::shared_ptr<const PluginLibrary> PluginRegistry::find(std::string_view id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<std::string> PluginRegistry::ids(PluginKind kind) const {
  std::vector<std::string> result;
  for (const auto& plugin : plugins_) {
    if (plugin->kind() == kind) result.push_back(plugin->id());
  }
  return result;
}

std::shared_ptr<const PluginLibrary> PluginRegistry::get(std::string_view id, PluginKind kind) const {
  const auto plugin = find(id);
  if (plugin != nullptr && plugin->kind() == kind) return plugin;
  std::string message = "unknown " + std::string(to_string(kind)) + " plugin '" + std::string(id) + "'";
  if (plugin != nullptr) message += " ('" + std::string(id) + "' is " + with_article(plugin->kind()) + ")";
  std::string available;
  for (const auto& other : ids(kind)) available += (available.empty() ? "" : ", ") + other;
  throw UsageError(message + "; available: " + (available.empty() ? "none" : available));
}

std::shared_ptr<const PluginLibrary> PluginRegistry::get(std::string_view id) const {
  if (auto plugin = find(id)) return plugin;
  std::string available;
  for (const PluginKind kind : {PluginKind::Activation, PluginKind::DataModel, PluginKind::Optimizer}) {
    std::vector<std::string> kind_ids = ids(kind);
    std::sort(kind_ids.begin(), kind_ids.end());
    std::string of_kind;
    for (const auto& other : kind_ids) of_kind += (of_kind.empty() ? "" : ", ") + other;
    if (of_kind.empty()) continue;
    available += (available.empty() ? "" : "; ") + std::string(to_string(kind)) + ": " + of_kind;
  }
  throw UsageError("unknown plugin '" + std::string(id) + "'; available: " + (available.empty() ? "none" : available));
}

std::shared_ptr<const PluginLibrary> PluginRegistry::resolve(const std::string& id_or_path) {
  return is_path(id_or_path) ? add_file(id_or_path) : get(id_or_path);
}

std::shared_ptr<const PluginLibrary> PluginRegistry::resolve(const std::string& id_or_path, PluginKind kind) {
  if (!is_path(id_or_path)) return get(id_or_path, kind);
  auto plugin = add_file(id_or_path);
  if (plugin->kind() != kind) {
    throw UsageError("plugin '" + plugin->id() + "' (" + plugin->path().string() + ") is " +
                     with_article(plugin->kind()) + ", not " + with_article(kind));
  }
  return plugin;
}

}  // namespace attnlab
