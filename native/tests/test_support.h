// Helpers shared by the C++ tests: temporary directories and the shared game data.
#pragma once
#include <cstdlib>
#include <string>

namespace hextorch::testsupport {

// A fresh directory under $TMPDIR, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void writeText(const std::string& path, const std::string& text);
// Descriptors this process has open (entries of /proc/self/fd).
int openFileDescriptors();
// ../shared/data, or $HEXTORCH_SHARED_DATA; empty when neither exists.
std::string sharedDataDir();

}  // namespace hextorch::testsupport
