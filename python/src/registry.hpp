// The plugins known to the Python process: built-ins, $ATTNLAB_PLUGIN_PATH
// and files named explicitly, found as the CLI finds them. The one
// process-wide registry is held by attnlab/_plugins.py.
#pragma once

#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <pybind11/pybind11.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnlab::python {

class Registry {
 public:
  // Throws PluginLoadError when an explicit file cannot be loaded, and
  // DuplicatePluginIdError when two files provide one id (as the CLI does).
  Registry(const std::optional<std::string>& builtin_directory, const std::string& search_path,
           const std::vector<std::string>& files);

  // An id or a path to a plugin file (loaded then); PluginError otherwise.
  std::shared_ptr<const PluginLibrary> resolve(const std::string& id_or_path, std::optional<PluginKind> kind);

  // One dict per plugin: id, kind, name, version, description, capabilities, file.
  pybind11::list records() const;
  // The files found but rejected, one message each.
  std::vector<std::string> rejections() const;

 private:
  PluginRegistry registry_;
  std::vector<PluginRejection> rejections_;
};

void bind_registry(pybind11::module_& module);

}  // namespace attnlab::python
