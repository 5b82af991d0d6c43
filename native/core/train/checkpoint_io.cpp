#include "train/checkpoint_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "util/cpu_time.h"
#include "util/error.h"
#include "util/hash_pipeline.h"
#include "util/sha256.h"

namespace hextorch::train {
namespace {

std::string reason(int err) { return err == ENOSPC ? "the disk is full (ENOSPC)" : std::strerror(err); }

[[noreturn]] void throwIo(const std::string& operation, const std::string& path, int err) {
  throw Error(ErrorCode::Io, "cannot " + operation + " checkpoint file " + path + ": " + reason(err));
}

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The archive writer's sink. It never throws and always reports the whole chunk as
// written: LibTorch's zip writer throws from its callbacks (and then again from its
// destructor, which aborts the process) on a short write, so the first failure is
// recorded here and everything after it is dropped; the caller raises it afterwards.
//
// Small chunks (record headers, names, small records) are gathered in a buffer that is
// written with one write(2) and then handed to the hashing thread. A large chunk is
// written with one write(2) from where it lies; when it lies in a tensor's storage
// (`stable`) the hashing thread hashes it later and the writer moves on at once to the
// next record, otherwise it is hashed while being written and waited for. Write-back to
// the disk is started every few MiB, so the final fsync finds little left to do.
class HashingSink {
 public:
  HashingSink(int fd, HashPipeline& hash, std::vector<StableRange> stable)
      : fd_(fd), hash_(hash), stable_(std::move(stable)) {
    std::sort(stable_.begin(), stable_.end(),
              [](const StableRange& a, const StableRange& b) { return a.data < b.data; });
    pending_.reserve(kGather);
  }

  size_t operator()(const void* data, size_t size) noexcept {
    auto start = Clock::now();
    bytes_ += size;
    if (error_ != 0 || size == 0) return size;
    try {
      if (size < kLarge) {
        const auto* p = static_cast<const char*>(data);
        pending_.insert(pending_.end(), p, p + size);
        if (pending_.size() >= kGather) flushPending();
      } else {
        flushPending();
        if (isStable(data, size)) {
          hash_.addStable(data, size);
          writeAll(data, size);
        } else {
          hash_.addAndWait(data, size, [&] { writeAll(data, size); });
        }
      }
    } catch (...) {
      if (error_ == 0) error_ = ENOMEM;
    }
    inSink_ += since(start);
    return size;
  }

  // What is still gathered; call once the archive is complete.
  void finish() noexcept {
    auto start = Clock::now();
    try {
      flushPending();
    } catch (...) {
      if (error_ == 0) error_ = ENOMEM;
    }
    inSink_ += since(start);
  }

  int error() const { return error_; }
  uint64_t bytes() const { return bytes_; }
  double writeSeconds() const { return writing_; }
  double sinkSeconds() const { return inSink_; }

 private:
  static constexpr size_t kLarge = 64u << 10;
  static constexpr size_t kGather = 1u << 20;
  static constexpr uint64_t kWriteBackEvery = 8u << 20;

  bool isStable(const void* data, size_t size) const {
    auto p = static_cast<const char*>(data);
    auto it = std::upper_bound(stable_.begin(), stable_.end(), data,
                               [](const void* d, const StableRange& r) { return d < r.data; });
    if (it == stable_.begin()) return false;
    --it;
    auto begin = static_cast<const char*>(it->data);
    return p >= begin && p + size <= begin + it->bytes;
  }

  void flushPending() {
    if (pending_.empty()) return;
    writeAll(pending_.data(), pending_.size());
    hash_.addOwned(std::move(pending_));
    pending_ = {};
    pending_.reserve(kGather);
  }

  void writeAll(const void* data, size_t size) noexcept {
    if (error_ != 0) return;
    auto start = Clock::now();
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
      written_ += static_cast<uint64_t>(n);
    }
#ifdef __linux__
    // Start write-back of what is complete (a hint: errors show up in the final fsync).
    if (error_ == 0 && written_ - writeBackFrom_ >= kWriteBackEvery) {
      ::sync_file_range(fd_, static_cast<off_t>(writeBackFrom_), static_cast<off_t>(written_ - writeBackFrom_),
                        SYNC_FILE_RANGE_WRITE);
      writeBackFrom_ = written_;
    }
#endif
    writing_ += since(start);
  }

  int fd_;
  HashPipeline& hash_;
  std::vector<StableRange> stable_;
  std::vector<char> pending_;
  int error_ = 0;
  uint64_t bytes_ = 0, written_ = 0, writeBackFrom_ = 0;
  double writing_ = 0, inSink_ = 0;
};

}  // namespace

FileDigest writeArchiveFile(torch::serialize::OutputArchive& archive, const std::string& path,
                            const std::vector<StableRange>& stable) {
  auto started = Clock::now();
  double cpuStarted = threadCpuSeconds();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throwIo("create", path, errno);
  auto fail = [&](const std::string& operation, int err) {
    ::close(fd);
    ::unlink(path.c_str());
    throwIo(operation, path, err);
  };
  FileDigest digest;
  WriteProfile& profile = digest.profile;
  HashPipeline hash;
  HashingSink sink(fd, hash, stable);
  try {
    auto serialising = Clock::now();
    archive.save_to([&sink](const void* data, size_t size) { return sink(data, size); });
    sink.finish();
    profile.serialiseSeconds = since(serialising) - sink.sinkSeconds();
  } catch (const c10::Error& e) {
    ::close(fd);
    ::unlink(path.c_str());
    throw Error(ErrorCode::Internal, "cannot serialise checkpoint file " + path + ": " + e.what_without_backtrace());
  } catch (...) {
    ::close(fd);
    ::unlink(path.c_str());
    throw;
  }
  profile.writeSeconds = sink.writeSeconds();
  if (sink.error() != 0) fail("write", sink.error());
  // The fsync waits for the disk while the hashing thread finishes.
  auto syncing = Clock::now();
  if (::fsync(fd) != 0) fail("flush (fsync)", errno);
  profile.syncSeconds = since(syncing);
  auto waiting = Clock::now();
  digest.sha256 = hash.finish();
  profile.hashWaitSeconds = since(waiting);
  profile.hashSeconds = hash.busySeconds();
  profile.hashCpuSeconds = hash.busyCpuSeconds();
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    throwIo("close", path, err);
  }
  digest.bytes = sink.bytes();
  profile.totalSeconds = since(started);
  profile.writerCpuSeconds = threadCpuSeconds() - cpuStarted;
  return digest;
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
