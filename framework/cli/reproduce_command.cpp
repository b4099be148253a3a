#include "commands.hpp"

#include <attnlab/framework/results/results_folder.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace attnlab::cli {

int run_reproduce(PluginEnvironment& environment, const ReproduceOptions& options) {
  for (const auto& rejection : environment.rejections) spdlog::warn("{}", rejection.message);
  check_reproduce_options(options.experiment, options.settings);
  ResultsFolder folder =
      options.out.empty()
          ? ResultsFolder::unique(
                fmt::format("results/reproduce-{}{}", options.experiment, options.settings.quick ? "-quick" : ""),
                /*offers_resume=*/false)
          : ResultsFolder(options.out, options.force ? ExistingFolderPolicy::Force : ExistingFolderPolicy::Refuse,
                          /*offers_resume=*/false);
  folder.create();
  const std::string path = folder.path().string();
  spdlog::info("reproduce {}{}: results in {}", options.experiment, options.settings.quick ? " (quick)" : "", path);
  const auto start = std::chrono::steady_clock::now();
  attnlab::run_reproduce(options.experiment, options.settings, environment.registry, folder.path(),
                         [](const std::string& line) { spdlog::info("{}", line); });
  folder.discard_replaced();
  const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
  fmt::print("\nreport: {}/report.md and {}/report.html ({:.1f} min)\n", path, path, minutes);
  return 0;
}

}  // namespace attnlab::cli
