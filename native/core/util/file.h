// Small POSIX file helpers with errors that name the file and the reason.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace hextorch {

void writeFully(int fd, const void* data, size_t size, const std::string& path);
void readFully(int fd, void* data, size_t size, uint64_t offset, const std::string& path);
// Writes `content` to `path` atomically: temporary file, fsync, rename, directory fsync.
void writeFileAtomic(const std::string& path, const std::string& content);
void fsyncDirectory(const std::string& dir);
std::string readTextFile(const std::string& path);
bool pathExists(const std::string& path);
std::string joinPath(const std::string& dir, const std::string& name);

}  // namespace hextorch
