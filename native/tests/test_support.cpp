#include "test_support.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "util/file.h"

namespace hextorch::testsupport {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/hextorch-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; a leftover in $TMPDIR is harmless
  std::filesystem::remove_all(path_, ignored);
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

int openFileDescriptors() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++count;
  }
  return count;
}

std::string sharedDataDir() {
  if (const char* env = std::getenv("HEXTORCH_SHARED_DATA")) return env;
  std::string dir = HEXTORCH_DATA_DIR;
  return pathExists(dir + "/neurohex/raw_games.dat") ? dir : "";
}

}  // namespace hextorch::testsupport
