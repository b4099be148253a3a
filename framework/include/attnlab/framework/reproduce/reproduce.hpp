// `attnlab reproduce`: the experiments behind the paper's claims, each
// writing its data (CSV), figures (PNG and SVG) and markdown tables into a
// folder, and a report (report.md, self-contained report.html) over all that
// ran.
#pragma once

#include <attnlab/framework/hosting/plugin_registry.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace attnlab {

struct ReproduceOptions {
  bool quick = false;            // the small settings CI runs in minutes
  std::uint32_t seeds = 0;       // 0: the experiment's own number of seeds
  std::uint64_t first_seed = 1;  // seeds first_seed, first_seed + 1, ...
  std::uint32_t threads = 2;     // per comparison
};

// "specialization", "activations", "heads", "pruning", "basins" (in the order
// `all` runs them).
const std::vector<std::string>& reproduce_experiment_names();

// Throws UsageError when `name` is not an experiment or the seeds would run
// past the largest seed; run_reproduce() checks this too, before any work.
void check_reproduce_options(const std::string& name, const ReproduceOptions& options);

// Runs `name` (one of the above, or "all") into `folder` (which must exist)
// and writes report.md and report.html there. `progress` gets one line per
// finished training run.
void run_reproduce(const std::string& name, const ReproduceOptions& options, PluginRegistry& registry,
                   const std::filesystem::path& folder, const std::function<void(const std::string&)>& progress);

}  // namespace attnlab
