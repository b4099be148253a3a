#include "cell_executor.hpp"

#include <filesystem>

namespace attnlab::cli {

ExecutorSettings cell_executor_settings(const std::vector<std::string>& plugin_files) {
  namespace fs = std::filesystem;
  ExecutorSettings settings;
  settings.executable = fs::read_symlink("/proc/self/exe");
  for (const auto& file : plugin_files)
    settings.global_arguments.insert(settings.global_arguments.end(), {"--plugin", fs::absolute(file).string()});
  return settings;
}

}  // namespace attnlab::cli
