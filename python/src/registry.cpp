#include "registry.hpp"

#include "errors.hpp"

#include <attnlab/framework/hosting/plugin_discovery.hpp>

#include <pybind11/stl.h>

namespace py = pybind11;

namespace attnlab::python {

Registry::Registry(const std::optional<std::string>& builtin_directory, const std::string& search_path,
                   const std::vector<std::string>& files) {
  DiscoveryOptions options;
  // Not builtin_plugin_directory(): that is relative to the running
  // executable, here python3.
  if (builtin_directory) options.builtin_directory = *builtin_directory;
  options.search_path = split_search_path(search_path);
  options.explicit_files.assign(files.begin(), files.end());
  rejections_ = discover_plugins(registry_, options);
  for (const auto& rejection : rejections_) {
    if (rejection.duplicate_id) throw DuplicatePluginIdError(rejection.message);
  }
}

std::shared_ptr<const PluginLibrary> Registry::resolve(const std::string& id_or_path, std::optional<PluginKind> kind) {
  return translate_errors(ErrorKind::Plugin,
                          [&] { return kind ? registry_.resolve(id_or_path, *kind) : registry_.resolve(id_or_path); });
}

py::list Registry::records() const {
  py::list records;
  for (const auto& plugin : registry_.plugins()) {
    py::dict record;
    record["id"] = plugin->id();
    record["kind"] = std::string(to_string(plugin->kind()));
    record["name"] = plugin->name();
    record["version"] = plugin->version();
    record["description"] = plugin->description();
    record["capabilities"] = describe_capabilities(plugin->capabilities());
    record["file"] = plugin->path().string();
    records.append(record);
  }
  return records;
}

std::vector<std::string> Registry::rejections() const {
  std::vector<std::string> messages;
  for (const auto& rejection : rejections_) messages.push_back(rejection.message);
  return messages;
}

void bind_registry(py::module_& module) {
  py::class_<Registry>(module, "Registry")
      .def(py::init([](const std::optional<std::string>& builtin_directory, const std::string& search_path,
                       const std::vector<std::string>& files) {
             return translate_errors(ErrorKind::Plugin,
                                     [&] { return std::make_unique<Registry>(builtin_directory, search_path, files); });
           }),
           py::arg("builtin_directory"), py::arg("search_path") = "", py::arg("files") = std::vector<std::string>{})
      .def("records", &Registry::records)
      .def("rejections", &Registry::rejections)
      .def(
          "add",
          [](Registry& registry, const std::string& id_or_path) { return registry.resolve(id_or_path, {})->id(); },
          py::arg("id_or_path"), "Loads a plugin file (or finds an id); returns its id.");
}

}  // namespace attnlab::python
