// `attnlab new-plugin`: writes a skeleton plugin project to start from.
#include "commands.hpp"
#include "plugin_templates.hpp"

#include <attnlab/framework/common/errors.hpp>

#include <fmt/format.h>
#include <boost/dll/runtime_symbol_info.hpp>

#include <filesystem>
#include <fstream>
#include <optional>

namespace attnlab::cli {
namespace {

namespace fs = std::filesystem;

// The folder holding attnlab_sdkConfig.cmake for this attnlab, if any:
// next to an installed binary, or in the build tree it was built in.
std::optional<fs::path> sdk_package_directory() {
  const fs::path bin = fs::path(boost::dll::program_location()).parent_path();
  for (const char* relative : {ATTNLAB_SDK_INSTALL_RELDIR, ATTNLAB_SDK_BUILD_RELDIR}) {
    const fs::path candidate = (bin / relative).lexically_normal();
    if (fs::exists(candidate / "attnlab_sdkConfig.cmake")) return candidate;
  }
  return std::nullopt;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw UsageError("new-plugin: cannot write '" + path.string() + "'");
}

}  // namespace

int run_new_plugin(const NewPluginOptions& options) {
  const PluginNames names = plugin_names(options.name);
  const std::vector<TemplateFile> files = plugin_project(options.kind, names);
  const fs::path folder = fs::absolute(options.directory);
  if (fs::exists(folder) && !(fs::is_directory(folder) && fs::is_empty(folder))) {
    throw UsageError("new-plugin: '" + folder.string() +
                     "' already exists and is not an empty folder; name a new folder (nothing was written)");
  }
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw UsageError("new-plugin: cannot create '" + folder.string() + "': " + error.message());
  for (const TemplateFile& file : files) write_file(folder / file.path, file.text);

  fmt::print("wrote {} {} plugin project '{}' to {}\n", options.kind == "activation" ? "an" : "a", options.kind,
             names.id, folder.string());
  for (const TemplateFile& file : files) fmt::print("  {}\n", file.path);
  const auto sdk = sdk_package_directory();
  const std::string sdk_option = sdk ? "-Dattnlab_sdk_DIR=" + sdk->string() : "-DCMAKE_PREFIX_PATH=<attnlab prefix>";
  const std::string attnlab = fs::path(boost::dll::program_location()).string();
  fmt::print("next:\n");
  fmt::print("  cmake -S {0} -B {0}/build {1}\n", folder.string(), sdk_option);
  fmt::print("  cmake --build {}/build\n", folder.string());
  fmt::print("  ATTNLAB_PLUGIN_PATH={}/build {} check-plugin {}\n", folder.string(), attnlab, names.id);
  return 0;
}

}  // namespace attnlab::cli
