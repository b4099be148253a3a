// What every command that fills a results folder writes the same way:
// provenance comments, the log file, and figures staged with the outputs.
#pragma once

#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/hosting/plugin_library.hpp>
#include <attnlab/framework/results/results_folder.hpp>

#include <spdlog/sinks/sink.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace attnlab::cli {

// Provenance as TOML comments (attnlab version, ABI, each plugin's id,
// version, fingerprint and path), so that config.toml stays loadable.
std::string provenance_comments(const std::vector<std::shared_ptr<const PluginLibrary>>& plugins);

// While it lives, the log also goes to <folder>/attnlab.log, each line
// flushed as it is written (main.cpp sets flush_on), so a killed run's log
// keeps everything up to its end.
class LogFileAttachment {
 public:
  explicit LogFileAttachment(const ResultsFolder& folder);
  ~LogFileAttachment();
  LogFileAttachment(const LogFileAttachment&) = delete;
  LogFileAttachment& operator=(const LogFileAttachment&) = delete;

 private:
  std::shared_ptr<spdlog::sinks::sink> sink_;
};

// "eta = 0.1, lr_scale = "none"" from parameter text, for start lines.
std::string inline_params(const std::string& text);

// Calls `render` on a hidden folder (emptied first: a killed run may have
// left one) and stages what it drew, so that the figures appear with the
// other outputs. Without gnuplot the run still finishes, without figures.
void stage_figures(const ResultsFolder& folder, StagedFiles& outputs,
                   const std::function<void(const std::filesystem::path&)>& render);

}  // namespace attnlab::cli
