#include <attnlab/framework/common/errors.hpp>
#include <attnlab/framework/results/results_folder.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace attnlab {
namespace fs = std::filesystem;
namespace {

bool is_ours(const fs::path& folder) {
  std::error_code error;
  return fs::is_regular_file(folder / kMarkerFileName, error);
}

// Entries other than the marker and the lock (those of a run that stopped
// right after making the folder).
bool holds_results(const fs::path& folder) {
  std::error_code error;
  for (auto it = fs::directory_iterator(folder, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name != kMarkerFileName && name != kLockFileName) return true;
  }
  return false;
}

// Whether `folder` is the current directory or holds it: replacing it would
// pull the ground from under the user's shell.
bool contains_working_directory(const fs::path& folder) {
  std::error_code error;
  const fs::path target = fs::weakly_canonical(folder, error);
  const fs::path here = fs::current_path(error);
  if (error) return false;
  auto t = target.begin();
  auto h = here.begin();
  for (; t != target.end() && h != here.end(); ++t, ++h) {
    if (*t != *h) return false;
  }
  return t == target.end();
}

std::string refusal_hint(bool offers_resume) {
  return offers_resume ? "use --resume to continue it or --force to replace it"
                       : "use --force to replace it or choose another --out";
}

std::string marker_text(const std::string& record) {
  return "# Made by attnlab: `--force` may replace this folder, and only folders with this file.\n" + record;
}

}  // namespace

ResultsFolder::ResultsFolder(fs::path path, ExistingFolderPolicy policy, bool offers_resume)
    : path_(std::move(path)), policy_(policy), offers_resume_(offers_resume) {
  std::error_code error;
  const auto status = fs::status(path_, error);
  const bool exists = fs::exists(status);
  if (exists && !fs::is_directory(status)) {
    throw UsageError("results folder '" + path_.string() + "' exists and is not a folder");
  }
  const bool empty = exists && fs::is_empty(path_, error);
  switch (policy) {
    case ExistingFolderPolicy::Refuse:
      if (exists && !empty) {
        throw UsageError("results folder '" + path_.string() + "' already exists; " + refusal_hint(offers_resume));
      }
      break;
    case ExistingFolderPolicy::Resume:
      if (!exists || !fs::exists(path_ / "config.toml")) {
        throw UsageError("cannot resume: '" + path_.string() + "' holds no earlier run (no config.toml)");
      }
      lock_ = FolderLock(path_);
      resuming_ = true;
      break;
    case ExistingFolderPolicy::Force:
      if (!exists || empty) break;
      if (contains_working_directory(path_)) {
        throw UsageError("refusing to replace '" + path_.string() +
                         "' with --force: it is or contains the current directory");
      }
      if (!is_ours(path_)) {
        throw UsageError("refusing to replace '" + path_.string() + "' with --force: attnlab did not make it (no " +
                         kMarkerFileName + " file; it holds " + describe_contents(path_) +
                         "); remove it yourself or choose another --out");
      }
      replaced_lock_ = FolderLock(path_);
      replacing_ = true;
      break;
  }
}

ResultsFolder ResultsFolder::unique(const std::string& prefix, bool offers_resume) {
  const std::string stem = fmt::format("{}-{:%Y%m%d-%H%M%S}", prefix, fmt::localtime(std::time(nullptr)));
  std::error_code error;
  const fs::path parent = fs::path(stem).parent_path();
  if (!parent.empty()) fs::create_directories(parent, error);
  for (int n = 1;; ++n) {
    const std::string candidate = n == 1 ? stem : fmt::format("{}-{}", stem, n);
    // mkdir fails when the folder exists, so two runs cannot both get it.
    if (::mkdir(candidate.c_str(), 0755) == 0) {
      ResultsFolder folder(candidate, ExistingFolderPolicy::Refuse, offers_resume);
      folder.made_empty_ = true;
      return folder;
    }
    if (errno != EEXIST || n >= 10000) {
      throw UsageError("cannot create results folder '" + candidate + "': " + std::strerror(errno));
    }
  }
}

ResultsFolder::~ResultsFolder() {
  // rmdir removes only an empty folder: nothing can be lost here.
  if (made_empty_) ::rmdir(path_.c_str());
}

void ResultsFolder::create(const std::string& record) {
  made_empty_ = false;
  std::error_code error;
  if (replacing_) {
    // Moved aside, not deleted: if this run fails before its first write,
    // the old results are still there (under the hidden name).
    replaced_ = path_.parent_path() / fmt::format(".{}.replaced-{}", path_.filename().string(), ::getpid());
    fs::rename(path_, replaced_, error);
    if (error) throw UsageError("cannot move '" + path_.string() + "' aside to replace it: " + error.message());
    replacing_ = false;
  }
  fs::create_directories(path_, error);
  if (error) throw UsageError("cannot create results folder '" + path_.string() + "': " + error.message());
  if (!resuming_ && !lock_.held()) {
    write_file_atomically(path_ / kMarkerFileName, marker_text(record));
    lock_ = FolderLock(path_);
    // Another run may have filled the folder between the check in the
    // constructor and the lock taken now.
    if (holds_results(path_)) {
      throw UsageError("results folder '" + path_.string() + "' already exists; " + refusal_hint(offers_resume_));
    }
  } else if (!is_ours(path_)) {
    write_file_atomically(path_ / kMarkerFileName, marker_text(record));
  }
}

bool ResultsFolder::exists(const std::string& name) const {
  std::error_code error;
  return fs::exists(file(name), error);
}

std::string ResultsFolder::read(const std::string& name) const {
  std::ifstream in(file(name), std::ios::binary);
  if (!in) throw UsageError("cannot read '" + file(name).string() + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ResultsFolder::marker_record() const {
  return is_ours(path_) ? read(kMarkerFileName) : std::string();
}

void ResultsFolder::discard_replaced() const {
  if (replaced_.empty()) return;
  std::error_code error;
  fs::remove_all(replaced_, error);  // a folder attnlab made, checked by its marker
  replaced_.clear();
  replaced_lock_ = FolderLock();
}

void ResultsFolder::write_atomically(const std::string& name, const std::string& content) const {
  discard_replaced();
  write_file_atomically(file(name), content);
}

void ResultsFolder::append(const std::string& name, const std::string& content) const {
  discard_replaced();
  append_to_file(file(name), content);
}

void truncate_metrics(const fs::path& file, std::uint64_t last_step) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return;
  std::string kept;
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: the write was cut off
    const auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.contains("step")) break;
    if (record["step"].get<std::uint64_t>() > last_step) break;
    kept += line + "\n";
  }
  in.close();
  write_file_atomically(file, kept);
}

std::string describe_contents(const fs::path& folder) {
  std::vector<std::string> names;
  std::error_code error;
  for (auto it = fs::directory_iterator(folder, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    names.push_back(it->path().filename().string() + (it->is_directory() ? "/" : ""));
  }
  std::sort(names.begin(), names.end());
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < 4; ++i) text += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > 4) text += fmt::format(", ... ({} entries)", names.size());
  return text;
}

}  // namespace attnlab
