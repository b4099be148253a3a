// An exclusive lock on a results folder, held while a run writes into it, so
// that two runs never interleave their files.
//
// The lock is flock(2) on the folder's `.attnlab.lock` file, which also
// holds the owner's PID for the message a refused run prints. The kernel
// releases it when the process ends, however it ends, so a killed run never
// leaves a stale lock behind.
#pragma once

#include <filesystem>

namespace attnlab {

inline constexpr const char* kLockFileName = ".attnlab.lock";

class FolderLock {
 public:
  FolderLock() = default;
  // Takes the lock of `folder` (which must exist) or throws UsageError
  // naming the folder and the PID that holds it.
  explicit FolderLock(const std::filesystem::path& folder);
  ~FolderLock();
  FolderLock(FolderLock&& other) noexcept;
  FolderLock& operator=(FolderLock&& other) noexcept;
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace attnlab
