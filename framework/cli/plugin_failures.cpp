#include "plugin_failures.hpp"

#include "supervisor.hpp"

#include <attnlab/framework/common/errors.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace attnlab::cli {

std::vector<PluginFailureRecord> read_plugin_failures(const ResultsFolder& folder) {
  std::vector<PluginFailureRecord> records;
  if (!folder.exists(kPluginFailuresFile)) return records;
  std::istringstream lines(folder.read(kPluginFailuresFile));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (int k = 0; k < 3; ++k) {
      const std::size_t tab = line.find('\t', start);
      if (tab == std::string::npos) break;
      fields.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    if (fields.size() != 3 || fields[2].empty() || fields[2].find_first_not_of("0123456789") != std::string::npos)
      continue;
    records.push_back({fields[0], fields[1], std::stoull(fields[2]), line.substr(start)});
  }
  return records;
}

std::string failure_line(const PluginFailureRecord& record) {
  return fmt::format("{}\t{}\t{}\t{}\n", record.kind, record.subject, record.step, record.reason);
}

std::map<std::string, UnmadeModel> unmade_models(const std::vector<PluginFailureRecord>& records,
                                                 const ResultsFolder& folder, const CompareOptions& options) {
  std::map<std::string, UnmadeModel> unmade;
  for (const auto& record : records) {
    if (record.kind == "unmade") unmade[record.subject] = {record.step, record.reason};
  }
  for (const auto& record : options.unmade) {
    if (record.folder == folder.path().string()) unmade[record.activation] = {record.step, record.reason};
  }
  return unmade;
}

// A data model or optimizer that stopped this run (exit 4) is not run again
// by a plain --resume: it would most likely crash or hang again, and the
// user may not have noticed the stop. --retry-failed-plugin says it is fixed.
void require_retry_after_stop(const std::vector<PluginFailureRecord>& records, const ResultsFolder& folder,
                              const CompareOptions& options) {
  const auto last = std::find_if(records.rbegin(), records.rend(),
                                 [](const PluginFailureRecord& r) { return r.kind == "stop" || r.kind == "retry"; });
  if (last == records.rend() || last->kind != "stop") return;
  if (!options.retry_failed_plugin) {
    throw UsageError(fmt::format(
        "'{}' stopped because plugin '{}' {}; a resume would run it again: fix the plugin, then continue with: "
        "attnlab compare --out {} --resume --retry-failed-plugin{}",
        folder.path().string(), last->subject, last->reason, options.out.empty() ? folder.path().string() : options.out,
        options.theory ? " --theory" : ""));
  }
  spdlog::warn("running plugin '{}' again (--retry-failed-plugin) after: {}", last->subject, last->reason);
  folder.append(kPluginFailuresFile, failure_line({"retry", last->subject, last->step, "--retry-failed-plugin"}));
}

}  // namespace attnlab::cli
