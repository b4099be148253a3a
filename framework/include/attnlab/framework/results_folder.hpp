// The folder a comparison writes into, and the rules that protect it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace attnlab {

enum class ExistingFolderPolicy {
  Refuse,  // an existing, non-empty folder is an error
  Resume,  // continue the run recorded in it
  Force,   // delete it and start over
};

class ResultsFolder {
 public:
  // Checks `policy` against what is on disk, changing nothing yet; throws
  // UsageError with the folder's name when the policy does not allow it.
  ResultsFolder(std::filesystem::path path, ExistingFolderPolicy policy);

  // Makes the folder ready to write (with Force: deletes the old one first).
  // Call once the run is set up, so a failed setup leaves nothing behind.
  void create() const;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path file(const std::string& name) const { return path_ / name; }
  bool resuming() const { return resuming_; }
  bool exists(const std::string& name) const { return std::filesystem::exists(file(name)); }
  std::string read(const std::string& name) const;

  // Writes to a temporary file, then renames it over `name`: readers see
  // either the old or the new content, never half of it.
  void write_atomically(const std::string& name, const std::string& content) const;

  // Appends and flushes, so that a killed run keeps everything up to here.
  void append(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
  ExistingFolderPolicy policy_;
  bool resuming_ = false;
};

// Writes to a temporary file next to `path`, then renames it over `path`:
// readers see either the old or the new content, never half of it.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

// Keeps the lines of a metrics.jsonl file whose "step" is at most
// `last_step`, dropping later ones and any incomplete last line.
void truncate_metrics(const std::filesystem::path& file, std::uint64_t last_step);

}  // namespace attnlab
