#include "experiment_support.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/reports/report.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace attnlab {

const std::vector<std::string>& reproduce_experiment_names() {
  static const std::vector<std::string> names = {"specialization", "activations", "heads", "pruning", "basins"};
  return names;
}

namespace {

reproduce::ExperimentSection run_one(const std::string& name, const reproduce::ExperimentContext& context) {
  if (name == "specialization") return reproduce::run_specialization(context);
  if (name == "activations") return reproduce::run_activations(context);
  if (name == "heads") return reproduce::run_heads(context);
  if (name == "theory") return reproduce::run_theory(context);
  if (name == "basins") return reproduce::run_basins(context);
  return reproduce::run_pruning(context);
}

}  // namespace

void check_reproduce_options(const std::string& name, const ReproduceOptions& options) {
  const auto& names = reproduce_experiment_names();
  if (name != "all" && name != "theory" && std::find(names.begin(), names.end(), name) == names.end()) {
    throw UsageError("unknown experiment '" + name +
                     "' (known: specialization, activations, heads, pruning, basins, all, and theory)");
  }
  // No experiment uses more seeds than this.
  const std::uint64_t seed_count = options.seeds > 0 ? options.seeds : reproduce::kMostDefaultSeeds;
  if (!seed_range_fits(options.first_seed, seed_count)) {
    throw UsageError(fmt::format("--first-seed {} with {} seeds goes past the largest seed, {}", options.first_seed,
                                 seed_count, kLargestSeed));
  }
}

void run_reproduce(const std::string& name, const ReproduceOptions& options, PluginRegistry& registry,
                   const std::filesystem::path& folder, const std::function<void(const std::string&)>& progress) {
  check_reproduce_options(name, options);
  const auto& names = reproduce_experiment_names();
  const std::vector<std::string> selected = name == "all" ? names : std::vector<std::string>{name};
  std::string markdown =
      fmt::format("# attnlab reproduction report\n\nattnlab {}, `attnlab reproduce {}{}`{}, first seed {}.\n\n",
                  ATTNLAB_VERSION, name, options.quick ? " --quick" : "",
                  options.seeds > 0 ? fmt::format(" --seeds {}", options.seeds) : std::string(), options.first_seed);
  for (const std::string& experiment : selected) {
    const auto start = std::chrono::steady_clock::now();
    std::filesystem::create_directories(folder / experiment);
    const reproduce::ExperimentContext context{options, registry, folder / experiment, progress};
    const reproduce::ExperimentSection section = run_one(experiment, context);
    const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
    markdown += fmt::format(
        "## {}\n\n{}\n\nData: `{}/` (CSV, config.toml, figures as PNG and SVG with their gnuplot "
        "scripts); {:.1f} min.\n\n",
        section.title, section.markdown, experiment, minutes);
  }
  write_report(folder, "attnlab reproduction report", markdown);
}

}  // namespace attnlab
