// The one owner of a POSIX file descriptor in the core: closes it when it goes away,
// move-only, so no error path can leak it.
#pragma once
#include <string>

namespace hextorch {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  // open(2); throws HEXTORCH_IO naming `what` and the path when it fails.
  static UniqueFd open(const std::string& path, int flags, const char* what, int mode = 0644);

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the descriptor (ignoring errors: for paths that already failed) and takes `fd`.
  void reset(int fd = -1) noexcept;
  // Closes now and reports a failure (a deferred write error shows up here) as
  // HEXTORCH_IO naming the path.
  void close(const std::string& path);

 private:
  int fd_ = -1;
};

}  // namespace hextorch
