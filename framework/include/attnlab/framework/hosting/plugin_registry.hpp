// The set of plugins known to this process, indexed by id.
//
// This is the one piece of process-wide mutable state in attnlab: a library
// is loaded once, from one thread, and stays loaded until the registry (and
// every object made from its plugins) is gone.
#pragma once

#include <attnlab/framework/hosting/plugin_library.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

// A file that was found but not accepted, and why (one line naming the file).
struct PluginRejection {
  std::filesystem::path path;
  std::string message;
  bool duplicate_id = false;  // a valid plugin whose id another file already provides
};

class PluginRegistry {
 public:
  // Loads and registers one file. Throws PluginLoadError when the file is not
  // a valid plugin, DuplicatePluginIdError when its id is taken by another
  // file (both files named). Adding the same file twice is a no-op.
  std::shared_ptr<const PluginLibrary> add_file(const std::filesystem::path& path);

  // Adds every "*.so" file of `directory`, in name order. Files that fail are
  // returned, not thrown, so one bad file does not hide the good ones; the
  // first file with an id wins, later ones are duplicate_id rejections.
  std::vector<PluginRejection> add_directory(const std::filesystem::path& directory);

  // The plugin with this id, or nullptr.
  std::shared_ptr<const PluginLibrary> find(std::string_view id) const;

  // The plugin with this id and kind; throws UsageError listing the ids of
  // that kind when there is none.
  std::shared_ptr<const PluginLibrary> get(std::string_view id, PluginKind kind) const;

  // The plugin with this id, whatever its kind; throws UsageError listing
  // every id by kind when there is none.
  std::shared_ptr<const PluginLibrary> get(std::string_view id) const;

  // An id, or a path to a plugin file (anything containing '/' or ending in
  // ".so"), which is then loaded. Throws like get() and add_file().
  std::shared_ptr<const PluginLibrary> resolve(const std::string& id_or_path, PluginKind kind);
  // The same for a plugin of any kind (e.g. for check-plugin).
  std::shared_ptr<const PluginLibrary> resolve(const std::string& id_or_path);

  // Every registered plugin in the order it was added.
  const std::vector<std::shared_ptr<const PluginLibrary>>& plugins() const { return plugins_; }

  std::vector<std::string> ids(PluginKind kind) const;

 private:
  std::vector<std::shared_ptr<const PluginLibrary>> plugins_;
  std::map<std::string, std::shared_ptr<const PluginLibrary>, std::less<>> by_id_;
};

}  // namespace attnlab
