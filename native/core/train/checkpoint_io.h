// Checkpoint files on disk: a LibTorch archive written through our own writer (hashed
// while it is written, flushed, every I/O failure an Error naming the path and the
// operation) and read back once (hashed while it is read, checked, then parsed).
// No LibTorch include here: callers that only pass archives need no torch/torch.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace torch::serialize {
class OutputArchive;
class InputArchive;
}  // namespace torch::serialize
namespace c10 {
struct Device;
}

namespace hextorch::train {

// Where the time of one writeArchiveFile went (seconds, wall clock). The SHA-256 runs on
// a thread of its own beside the rest, so the parts add up to more than the total.
struct WriteProfile {
  double totalSeconds = 0;      // open to close
  double serialiseSeconds = 0;  // LibTorch's zip writer: pickling, CRC-32 of every record
  double writeSeconds = 0;      // write(2) into the page cache, starting write-back
  double hashSeconds = 0;       // SHA-256 (its own thread)
  double hashWaitSeconds = 0;   // waiting for the SHA-256 once the fsync returned (hidden by neither)
  double syncSeconds = 0;       // the final fsync
  // CPU time of the two threads: the writer (serialise, write) and the SHA-256. On an
  // idle machine the write takes about the larger of the two plus the fsync's tail;
  // these stay comparable on a machine shared with other work, wall clock does not.
  double writerCpuSeconds = 0;
  double hashCpuSeconds = 0;
};

struct FileDigest {
  uint64_t bytes = 0;
  std::string sha256;    // lower-case hex
  WriteProfile profile;  // set by writeArchiveFile
};

// Memory that stays valid and unchanged while an archive is written (the storages of the
// CPU tensors in it): its bytes are hashed later on the hashing thread, without a copy.
struct StableRange {
  const void* data;
  size_t bytes;
};

// Writes `archive` to `path` (created or replaced), fsyncs it, and returns its size and
// SHA-256. On any failure the file is removed and an Error is thrown: Io (full disk,
// read-only directory, ...) naming the path and the operation, or Internal. Bytes inside
// `stable` are hashed while the archive goes on being written; all others are copied
// (small records) or hashed before the writer moves on.
FileDigest writeArchiveFile(torch::serialize::OutputArchive& archive, const std::string& path,
                            const std::vector<StableRange>& stable = {});

// Reads `path` once; when `expected` is given, its size and SHA-256 must match
// (CorruptData otherwise), before anything is parsed. Io when it cannot be read.
void readArchiveFile(torch::serialize::InputArchive& archive, const std::string& path, const c10::Device& device,
                     const FileDigest* expected);

}  // namespace hextorch::train
