// The folder a command writes its results into, and the rules that protect
// it and everything around it:
//
// - attnlab writes a marker file (`.attnlab-results`) into every folder it
//   makes, before anything else; `--force` replaces only folders that carry
//   it, never a folder the user made (or the current directory);
// - a replaced folder is moved aside and deleted only once the new run has
//   written its first file, so a run that fails to start loses nothing;
// - a run holds an exclusive lock on its folder (folder_lock.hpp) from
//   create() to its end, so two runs never write into one folder.
#pragma once

#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/results/folder_lock.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace attnlab {

inline constexpr const char* kMarkerFileName = ".attnlab-results";

enum class ExistingFolderPolicy {
  Refuse,  // an existing, non-empty folder is an error
  Resume,  // continue the run recorded in it
  Force,   // replace it, if attnlab made it
};

class ResultsFolder {
 public:
  // Checks `policy` against what is on disk; throws UsageError naming the
  // folder when it does not allow it. `offers_resume`: whether the command
  // has --resume (a refusal suggests only flags that exist). With Resume and
  // Force, the folder's lock is taken here, so a folder in use is refused
  // before any work.
  ResultsFolder(std::filesystem::path path, ExistingFolderPolicy policy, bool offers_resume = true);

  // A fresh folder `<prefix>-<date-time>`, or `<prefix>-<date-time>-<n>` when
  // that exists: made here (atomically), so that two runs started in the
  // same second never share one. If the run fails before create(), the
  // (still empty) folder is removed again.
  static ResultsFolder unique(const std::string& prefix, bool offers_resume = true);

  ~ResultsFolder();
  ResultsFolder(ResultsFolder&&) = default;
  ResultsFolder& operator=(ResultsFolder&&) = delete;
  ResultsFolder(const ResultsFolder&) = delete;
  ResultsFolder& operator=(const ResultsFolder&) = delete;

  // Makes the folder ready to write, once the run is set up (so that a
  // failed setup leaves nothing behind): moves a folder being replaced
  // aside, creates the folder with its marker, and locks it. `record`
  // (TOML lines) is kept in the marker, for marker_record().
  void create(const std::string& record = "");

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }
  bool resuming() const { return resuming_; }
  bool exists(const std::string& name) const;
  std::string read(const std::string& name) const;
  // The marker's text ("" when the folder has none, e.g. made by an older attnlab).
  std::string marker_record() const;

  // Writes to a temporary file, then renames it over `name`: readers see
  // either the old or the new content, never half of it.
  void write_atomically(const std::string& name, const std::string& content) const;

  // Appends; a killed run keeps everything up to here.
  void append(const std::string& name, const std::string& content) const;

  // Deletes the folder this one replaces (with Force), if not done yet. The
  // first write through this object calls it; a command that writes its
  // files by other means calls it once they are written.
  void discard_replaced() const;

 private:
  std::filesystem::path path_;
  ExistingFolderPolicy policy_;
  bool offers_resume_ = true;
  bool resuming_ = false;
  bool replacing_ = false;                  // Force on an existing folder that attnlab made
  bool made_empty_ = false;                 // by unique(), and not yet taken by create()
  FolderLock lock_;                         // of path_, once taken
  mutable FolderLock replaced_lock_;        // of the folder being replaced, until it is deleted
  mutable std::filesystem::path replaced_;  // where it was moved aside
};

// Keeps the lines of a metrics.jsonl file whose "step" is at most
// `last_step`, dropping later ones and any incomplete last line.
void truncate_metrics(const std::filesystem::path& file, std::uint64_t last_step);

// Up to four entries of `folder`, for messages ("a.txt, data/, ... (7 entries)").
std::string describe_contents(const std::filesystem::path& folder);

}  // namespace attnlab
