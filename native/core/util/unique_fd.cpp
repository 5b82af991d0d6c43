#include "util/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include "util/error.h"

namespace hextorch {

UniqueFd UniqueFd::open(const std::string& path, int flags, const char* what, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throwIoError(what, path);
  return UniqueFd(fd);
}

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

void UniqueFd::close(const std::string& path) {
  int fd = release();
  if (fd >= 0 && ::close(fd) != 0) throwIoError("cannot close", path);
}

}  // namespace hextorch
