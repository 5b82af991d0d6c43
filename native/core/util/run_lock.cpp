#include "util/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.h"

namespace hextorch {

LockResult tryLockFile(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throwIoError("cannot open lock file", path);
  int rc;
  do rc = ::flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    LockResult busy;
    if (err == EWOULDBLOCK) {
      char buf[512];
      ssize_t n = ::pread(fd, buf, sizeof buf, 0);
      if (n > 0) busy.holder.assign(buf, static_cast<size_t>(n));
      ::close(fd);
      return busy;
    }
    ::close(fd);
    errno = err;
    throwIoError("cannot lock", path);
  }
  try {
    if (::ftruncate(fd, 0) != 0) throwIoError("cannot write lock file", path);
    size_t done = 0;
    while (done < content.size()) {
      ssize_t n = ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throwIoError("cannot write lock file", path);
      done += static_cast<size_t>(n);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  LockResult held;
  held.fd = fd;
  return held;
}

void unlockFile(int fd) {
  if (fd >= 0) ::close(fd);
}

}  // namespace hextorch
