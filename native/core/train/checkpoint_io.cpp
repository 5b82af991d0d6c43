#include "train/checkpoint_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <vector>

#include "util/error.h"
#include "util/sha256.h"

namespace hextorch::train {
namespace {

std::string reason(int err) { return err == ENOSPC ? "the disk is full (ENOSPC)" : std::strerror(err); }

[[noreturn]] void throwIo(const std::string& operation, const std::string& path, int err) {
  throw Error(ErrorCode::Io, "cannot " + operation + " checkpoint file " + path + ": " + reason(err));
}

// The archive writer's sink. It never throws and always reports the whole chunk as
// written: LibTorch's zip writer throws from its callbacks (and then again from its
// destructor, which aborts the process) on a short write, so the first failure is
// recorded here and everything after it is dropped; the caller raises it afterwards.
class HashingSink {
 public:
  explicit HashingSink(int fd) : fd_(fd) {}

  size_t operator()(const void* data, size_t size) noexcept {
    if (error_ != 0 || size == 0) return size;
    // Large chunks (tensor data, passed without a copy) are hashed on a second thread
    // while this one writes them; small ones inline.
    std::future<void> hashing;
    if (size >= (1u << 20)) {
      try {
        hashing = std::async(std::launch::async, [this, data, size] { hash_.update(data, size); });
      } catch (...) {
        hash_.update(data, size);
      }
    } else {
      hash_.update(data, size);
    }
    const auto* p = static_cast<const char*>(data);
    size_t left = size;
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error_ = n < 0 ? errno : EIO;
        break;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    if (hashing.valid()) hashing.wait();
    bytes_ += size;
    return size;
  }

  int error() const { return error_; }
  uint64_t bytes() const { return bytes_; }
  std::string digest() { return hash_.hexDigest(); }

 private:
  int fd_;
  int error_ = 0;
  uint64_t bytes_ = 0;
  Sha256 hash_;
};

}  // namespace

FileDigest writeArchiveFile(torch::serialize::OutputArchive& archive, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throwIo("create", path, errno);
  auto fail = [&](const std::string& operation, int err) {
    ::close(fd);
    ::unlink(path.c_str());
    throwIo(operation, path, err);
  };
  HashingSink sink(fd);
  try {
    archive.save_to([&sink](const void* data, size_t size) { return sink(data, size); });
  } catch (const c10::Error& e) {
    ::close(fd);
    ::unlink(path.c_str());
    throw Error(ErrorCode::Internal, "cannot serialise checkpoint file " + path + ": " + e.what_without_backtrace());
  } catch (...) {
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  if (sink.error() != 0) fail("write", sink.error());
  if (::fsync(fd) != 0) fail("flush (fsync)", errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    throwIo("close", path, err);
  }
  return {sink.bytes(), sink.digest()};
}

void readArchiveFile(torch::serialize::InputArchive& archive, const std::string& path, const c10::Device& device,
                     const FileDigest* expected) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throwIo("open", path, errno);
  std::vector<char> data;
  Sha256 hash;
  try {
    struct stat st;
    if (::fstat(fd, &st) != 0) throwIo("stat", path, errno);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (expected && size != expected->bytes) {
      throw Error(ErrorCode::CorruptData, "checkpoint file " + path + " holds " + std::to_string(size) +
                                              " bytes, its manifest says " + std::to_string(expected->bytes) +
                                              " (corrupt or modified)");
    }
    data.resize(size);
    uint64_t done = 0;
    while (done < size) {
      size_t chunk = static_cast<size_t>(std::min<uint64_t>(size - done, 8u << 20));
      ssize_t n = ::pread(fd, data.data() + done, chunk, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throwIo("read", path, errno);
      if (n == 0) throw Error(ErrorCode::CorruptData, "checkpoint file " + path + " ended early: truncated");
      hash.update(data.data() + done, static_cast<size_t>(n));
      done += static_cast<uint64_t>(n);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (expected && hash.hexDigest() != expected->sha256) {
    throw Error(ErrorCode::CorruptData,
                "checkpoint file " + path + " does not match its manifest's SHA-256 (corrupt or modified)");
  }
  try {
    archive.load_from(data.data(), data.size(), device);
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::CorruptData, "checkpoint file " + path + " cannot be read: " + e.what_without_backtrace());
  }
}

}  // namespace hextorch::train
