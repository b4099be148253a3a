// The record of the plugins that crashed or hung in a comparison's results
// folder (plugin_failures.txt, its lines described in supervisor.hpp), as
// compare reads it when it resumes: which models not to create or train
// again, and whether a stopped comparison may call its plugin again.
#pragma once

#include "commands.hpp"

#include <attnlab/framework/results/results_folder.hpp>
#include <attnlab/framework/training/comparison.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnlab::cli {

// One line of plugin_failures.txt.
struct PluginFailureRecord {
  std::string kind;     // activation, unmade, stop or retry
  std::string subject;  // the model's activation id, or the stopping plugin's id
  std::uint64_t step = 0;
  std::string reason;
};

// The folder's records, in order (none when it has no file).
std::vector<PluginFailureRecord> read_plugin_failures(const ResultsFolder& folder);

// The line of `record` in the file, with its newline.
std::string failure_line(const PluginFailureRecord& record);

// The models not to create in `folder`: those recorded there, and those
// the supervisor found failing in create before the folder was set up.
std::map<std::string, UnmadeModel> unmade_models(const std::vector<PluginFailureRecord>& records,
                                                 const ResultsFolder& folder, const CompareOptions& options);

// Throws UsageError, naming the plugin and --retry-failed-plugin, when a
// data model or optimizer stopped this run and no retry was asked for since;
// with --retry-failed-plugin, records the retry.
void require_retry_after_stop(const std::vector<PluginFailureRecord>& records, const ResultsFolder& folder,
                              const CompareOptions& options);

}  // namespace attnlab::cli
