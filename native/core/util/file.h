// Small POSIX file helpers with errors that name the file, the operation and the reason
// (HEXTORCH_IO; a short read is HEXTORCH_CORRUPT_DATA: the file was truncated).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hextorch {

void writeFully(int fd, const void* data, size_t size, const std::string& path);
void readFully(int fd, void* data, size_t size, uint64_t offset, const std::string& path);
// Writes `content` to `path` atomically: temporary file, fsync, rename, directory fsync.
// On failure the temporary file is removed and `path` is as it was.
void writeFileAtomic(const std::string& path, const std::string& content);
void fsyncDirectory(const std::string& dir);
std::string readTextFile(const std::string& path);
std::vector<uint8_t> readBinaryFile(const std::string& path);
bool pathExists(const std::string& path);
std::string joinPath(const std::string& dir, const std::string& name);
std::string parentDirectory(const std::string& path);
// The last component of `path` ("a/b/c.txt" -> "c.txt").
std::string baseName(const std::string& path);

}  // namespace hextorch
