#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "util/memory.h"

namespace {

// Anonymous resident memory of this process in KiB (RssAnon in /proc/self/status).
long residentAnonKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stol(line.substr(8));
  }
  return -1;
}

}  // namespace

#if defined(__GLIBC__)
TEST(Memory, ReleaseFreeMemoryGivesFreedHeapPagesBack) {
  // 48 MiB in 1 KiB blocks, all touched; freeing all but the newest leaves them free
  // inside the heap below a live block, where free() itself never returns them.
  constexpr size_t kBlocks = 48 * 1024;
  std::vector<char*> blocks(kBlocks);
  for (auto& block : blocks) {
    block = static_cast<char*>(std::malloc(1024));
    ASSERT_NE(block, nullptr);
    std::memset(block, 0x5A, 1024);
  }
  const long allocated = residentAnonKiB();
  for (size_t i = 0; i + 1 < kBlocks; ++i) std::free(blocks[i]);
  const long freed = residentAnonKiB();
  EXPECT_GT(freed, allocated - 8 * 1024) << "free() alone returned most of it; the test no longer shows anything";
  EXPECT_TRUE(hextorch::releaseFreeMemory());
  const long released = residentAnonKiB();
  EXPECT_LT(released, freed - 32 * 1024) << "resident " << freed << " KiB before, " << released << " KiB after";
  std::free(blocks.back());
}
#endif
