// Checkpoint files on disk: a LibTorch archive written through our own writer (hashed
// while it is written, flushed, every I/O failure an Error naming the path and the
// operation) and read back once (hashed while it is read, checked, then parsed).
// No LibTorch include here: callers that only pass archives need no torch/torch.h.
#pragma once
#include <cstdint>
#include <string>

namespace torch::serialize {
class OutputArchive;
class InputArchive;
}  // namespace torch::serialize
namespace c10 {
struct Device;
}

namespace hextorch::train {

struct FileDigest {
  uint64_t bytes = 0;
  std::string sha256;  // lower-case hex
};

// Writes `archive` to `path` (created or replaced), fsyncs it, and returns its size and
// SHA-256. On any failure the file is removed and an Error is thrown: Io (full disk,
// read-only directory, ...) naming the path and the operation, or Internal.
FileDigest writeArchiveFile(torch::serialize::OutputArchive& archive, const std::string& path);

// Reads `path` once; when `expected` is given, its size and SHA-256 must match
// (CorruptData otherwise), before anything is parsed. Io when it cannot be read.
void readArchiveFile(torch::serialize::InputArchive& archive, const std::string& path, const c10::Device& device,
                     const FileDigest* expected);

}  // namespace hextorch::train
