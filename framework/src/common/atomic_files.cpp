#include <attnlab/framework/common/atomic_files.hpp>
#include <attnlab/framework/common/errors.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace attnlab {
namespace {

// The system's words for errno `code`, e.g. "No space left on device".
std::string reason(int code) {
  return std::strerror(code);
}

std::filesystem::path temporary_for(const std::filesystem::path& target) {
  auto temporary = target;
  // Appended piecewise: GCC 12 warns (-Wrestrict, falsely) on "." + s + ".tmp".
  std::string hidden_name = ".";
  hidden_name += target.filename().string();
  hidden_name += ".tmp";
  temporary.replace_filename(hidden_name);
  return temporary;
}

// Writes all of `content` to the open file `fd`; returns 0 or the errno.
int write_all(int fd, const std::string& content) {
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  return 0;
}

// Writes `content` to a new file `path` (replacing any), or throws naming
// `shown` (the file the user knows) and the reason. Leaves no file behind on
// failure.
void write_new_file(const std::filesystem::path& path, const std::string& content, const std::filesystem::path& shown) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw UsageError("cannot write '" + shown.string() + "': " + reason(errno));
  int error = write_all(fd, content);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    ::unlink(path.c_str());
    throw UsageError("cannot write '" + shown.string() + "': " + reason(error));
  }
}

void rename_into_place(const std::filesystem::path& temporary, const std::filesystem::path& target) {
  if (::rename(temporary.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw UsageError("cannot replace '" + target.string() + "': " + reason(error));
  }
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto temporary = temporary_for(path);
  write_new_file(temporary, content, path);
  rename_into_place(temporary, path);
}

void append_to_file(const std::filesystem::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw UsageError("cannot append to '" + path.string() + "': " + reason(errno));
  int error = write_all(fd, content);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) throw UsageError("cannot append to '" + path.string() + "': " + reason(error));
}

StagedFiles::~StagedFiles() {
  for (const auto& [temporary, target] : staged_) ::unlink(temporary.c_str());
}

void StagedFiles::stage(const std::filesystem::path& path, const std::string& content) {
  const auto temporary = temporary_for(path);
  // On failure the destructor removes what was staged before.
  write_new_file(temporary, content, path);
  staged_.emplace_back(temporary, path);
}

void StagedFiles::stage_file(const std::filesystem::path& path, const std::filesystem::path& existing) {
  const auto temporary = temporary_for(path);
  if (::rename(existing.c_str(), temporary.c_str()) != 0)
    throw UsageError("cannot move '" + existing.string() + "' to '" + path.string() + "': " + reason(errno));
  staged_.emplace_back(temporary, path);
}

void StagedFiles::commit() {
  for (std::size_t i = 0; i < staged_.size(); ++i) {
    if (::rename(staged_[i].first.c_str(), staged_[i].second.c_str()) != 0) {
      const int error = errno;
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(i));
      throw UsageError("cannot replace '" + staged_.front().second.string() + "': " + reason(error));
    }
  }
  staged_.clear();
}

}  // namespace attnlab
