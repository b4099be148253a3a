// The skeleton projects `attnlab new-plugin` writes: one per plugin kind,
// each a complete out-of-tree CMake project that builds against the SDK and
// passes `attnlab check-plugin` unchanged.
#pragma once

#include <string>
#include <vector>

namespace attnlab::cli {

// How the names of a new plugin appear in its files.
struct PluginNames {
  std::string id;      // plugin id and library name, e.g. "my-act"
  std::string class_;  // C++ class, e.g. "MyAct"
  std::string target;  // CMake target and source file stem, e.g. "my_act"
};

struct TemplateFile {
  std::string path;  // relative to the project folder
  std::string text;
};

// Throws UsageError when `name` is not a valid plugin id ([a-z0-9._-]+,
// starting with a letter).
PluginNames plugin_names(const std::string& name);

// kind: "activation", "data-model" or "optimizer" (else UsageError).
std::vector<TemplateFile> plugin_project(const std::string& kind, const PluginNames& names);

}  // namespace attnlab::cli
