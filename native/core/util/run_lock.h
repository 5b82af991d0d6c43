// One process per directory: an exclusive OS lock (flock) on a lock file. The kernel
// drops it when the process ends in any way, so a lock of a dead process never blocks.
#pragma once
#include <string>

namespace hextorch {

struct LockResult {
  int fd = -1;         // >= 0: the lock is held through this descriptor (close it to release)
  std::string holder;  // when not acquired: the lock file's content, written by its holder
};

// Opens (creating) `path` and tries to lock it without waiting. When acquired, `content`
// replaces the file's content (flushed) and the descriptor stays open (close-on-exec).
LockResult tryLockFile(const std::string& path, const std::string& content);
void unlockFile(int fd);

}  // namespace hextorch
