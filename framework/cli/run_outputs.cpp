#include "run_outputs.hpp"

#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/common/file_hash.hpp>
#include <attnlab/framework/reports/figure.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace attnlab::cli {
namespace {

// A folder removed with all it holds when the object goes.
class ScratchFolder {
 public:
  explicit ScratchFolder(std::filesystem::path path) : path_(std::move(path)) {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
    if (!error) std::filesystem::create_directory(path_, error);
    if (error) throw UsageError("cannot create '" + path_.string() + "': " + error.message());
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

std::string provenance_comments(const std::vector<std::shared_ptr<const PluginLibrary>>& plugins) {
  std::string text =
      fmt::format("# attnlab {}, plugin ABI {}.{}\n", ATTNLAB_VERSION, ATTNLAB_ABI_MAJOR, ATTNLAB_ABI_MINOR);
  for (const auto& plugin : plugins) {
    text += fmt::format("# plugin {} {} {} {} {}\n", to_string(plugin->kind()), plugin->id(), plugin->version(),
                        file_fingerprint(plugin->path()), plugin->path().string());
  }
  return text;
}

LogFileAttachment::LogFileAttachment(const ResultsFolder& folder)
    : sink_(std::make_shared<spdlog::sinks::basic_file_sink_mt>(folder.file("attnlab.log").string())) {
  sink_->set_pattern("[%Y-%m-%d %H:%M:%S.%e] %l: %v");
  spdlog::default_logger()->sinks().push_back(sink_);
}

LogFileAttachment::~LogFileAttachment() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

std::string inline_params(const std::string& text) {
  std::string result;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) result += (result.empty() ? "" : ", ") + line;
  }
  return result.empty() ? "the plugin's default parameters" : result;
}

void stage_figures(const ResultsFolder& folder, StagedFiles& outputs,
                   const std::function<void(const std::filesystem::path&)>& render) {
  if (!gnuplot_available()) {
    spdlog::warn(
        "gnuplot not found on PATH, so no figures were drawn (run scripts/setup.sh); the results are "
        "complete otherwise");
    return;
  }
  const ScratchFolder drafts(folder.file(".figures.tmp"));
  render(drafts.path());
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(drafts.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) outputs.stage_file(folder.file(file.filename().string()), file);
}

}  // namespace attnlab::cli
