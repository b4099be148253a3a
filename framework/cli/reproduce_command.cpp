#include "commands.hpp"

#include <attnlab/framework/results_folder.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

namespace attnlab::cli {

int run_reproduce(PluginEnvironment& environment, const ReproduceOptions& options) {
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  const std::string path = options.out.empty()
                               ? fmt::format("results/reproduce-{}{}-{:%Y%m%d-%H%M%S}", options.experiment,
                                             options.settings.quick ? "-quick" : "", fmt::localtime(std::time(nullptr)))
                               : options.out;
  const ResultsFolder folder(path, options.force ? ExistingFolderPolicy::Force : ExistingFolderPolicy::Refuse);
  folder.create();
  spdlog::info("reproduce {}{}: results in {}", options.experiment, options.settings.quick ? " (quick)" : "", path);
  const auto start = std::chrono::steady_clock::now();
  attnlab::run_reproduce(options.experiment, options.settings, environment.registry, folder.path(),
                         [](const std::string& line) { spdlog::info("{}", line); });
  const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
  fmt::print("\nreport: {}/report.md and {}/report.html ({:.1f} min)\n", path, path, minutes);
  return 0;
}

}  // namespace attnlab::cli
