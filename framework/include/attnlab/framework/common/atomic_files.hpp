// Writing result files so that nothing half-written is ever mistaken for a
// result: whole-file replacement by rename, appends that report the system's
// reason when they fail (a full disk says "No space left on device"), and
// groups of files that appear all together or not at all.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace attnlab {

// Writes to a hidden temporary file next to `path`, then renames it over
// `path`: readers see either the old or the new content, never half of it.
// Throws UsageError naming `path` and the system's reason.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

// Appends `content` to `path` (created if missing). Throws UsageError naming
// `path` and the system's reason; a failed append may leave a partial last
// line, which readers of line files drop.
void append_to_file(const std::filesystem::path& path, const std::string& content);

// Files that must appear together: stage() writes each to its temporary
// file (stage_file() moves an existing one there), commit() renames them all
// into place in the order staged. A failure while staging throws and removes
// what was staged, so none appears; the renames of commit() need no space on
// the disk.
class StagedFiles {
 public:
  StagedFiles() = default;
  ~StagedFiles();
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;

  void stage(const std::filesystem::path& path, const std::string& content);
  // Moves `existing` (on the same file system) aside to become `path`; a
  // failed group removes it with the rest.
  void stage_file(const std::filesystem::path& path, const std::filesystem::path& existing);
  void commit();

 private:
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> staged_;  // temporary, final
};

}  // namespace attnlab
