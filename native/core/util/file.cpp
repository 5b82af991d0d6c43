#include "util/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"
#include "util/unique_fd.h"

namespace hextorch {

void writeFully(int fd, const void* data, size_t size, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIoError("cannot write", path);
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void readFully(int fd, void* data, size_t size, uint64_t offset, const std::string& path) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIoError("cannot read", path);
    }
    if (n == 0) throw Error(ErrorCode::CorruptData, "unexpected end of file in " + path + ": truncated");
    p += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

void fsyncDirectory(const std::string& dir) {
  UniqueFd fd = UniqueFd::open(dir, O_RDONLY | O_DIRECTORY, "cannot open directory");
  if (::fsync(fd.get()) != 0 && errno != EINVAL) throwIoError("cannot flush directory", dir);
}

std::string parentDirectory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string baseName(const std::string& path) {
  size_t end = path.find_last_not_of('/');
  if (end == std::string::npos) return path.empty() ? path : "/";
  size_t slash = path.find_last_of('/', end);
  return path.substr(slash == std::string::npos ? 0 : slash + 1,
                     end - (slash == std::string::npos ? 0 : slash + 1) + 1);
}

void writeFileAtomic(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp";
  try {
    UniqueFd fd = UniqueFd::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, "cannot create");
    writeFully(fd.get(), content.data(), content.size(), tmp);
    if (::fsync(fd.get()) != 0) throwIoError("cannot flush", tmp);
    fd.close(tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    throwIoError("cannot rename into place", path);
  }
  fsyncDirectory(parentDirectory(path));
}

namespace {

template <typename Buffer>
Buffer readWhole(const std::string& path) {
  UniqueFd fd = UniqueFd::open(path, O_RDONLY, "cannot open");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throwIoError("cannot stat", path);
  Buffer out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwIoError("cannot read", path);
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  return out;
}

}  // namespace

std::string readTextFile(const std::string& path) { return readWhole<std::string>(path); }

std::vector<uint8_t> readBinaryFile(const std::string& path) { return readWhole<std::vector<uint8_t>>(path); }

bool pathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string joinPath(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

}  // namespace hextorch
