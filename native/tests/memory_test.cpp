#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "util/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

#if defined(__GLIBC__)
// glibc's arenas, counted from malloc_info's report (one <heap> element per arena).
int arenas() {
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  malloc_info(0, out);
  std::fclose(out);
  int count = 0;
  for (const char* p = text; (p = std::strstr(p, "<heap nr=")) != nullptr; ++p) ++count;
  std::free(text);
  return count;
}
#endif

}  // namespace

#if defined(__GLIBC__)
// Starts 8 threads, each allocating while all are alive: each new thread's first malloc
// gets an arena of its own while glibc's limit allows (8 per core by default).
void startThreadsThatAllocate() {
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([] {
      void* volatile block = std::malloc(4096);  // volatile: the pair must not be optimised away
      std::memset(block, 1, 4096);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // all alive at once
      std::free(block);
    });
  }
  for (auto& thread : threads) thread.join();
}

TEST(Memory, ThreadsStartedAfterShareMallocArenasGetNoNewArenas) {
  const hextorch::MallocArenas decision = hextorch::shareMallocArenas();
  if (decision.userSetting) GTEST_SKIP() << *decision.userSetting << " is set: hextorch keeps it";
  EXPECT_EQ(decision.cap, hextorch::kMallocArenaCap);
  const int before = arenas();
  startThreadsThatAllocate();
  EXPECT_LE(arenas(), std::max(before, 2)) << before << " arenas before the threads";
}

// ctest runs this one a second time with MALLOC_ARENA_MAX=6 in the environment
// (CMakeLists.txt): hextorch then applies no cap, and glibc's (the user's) limit holds.
TEST(Memory, TheUsersMallocArenaMaxIsKept) {
  const char* max = std::getenv("MALLOC_ARENA_MAX");
  if (max == nullptr || std::string(max) != "6")
    GTEST_SKIP() << "runs with MALLOC_ARENA_MAX=6 (ctest Memory.UsersMallocArenaMax)";
  const hextorch::MallocArenas decision = hextorch::shareMallocArenas();
  EXPECT_EQ(decision.userSetting, std::optional<std::string>("MALLOC_ARENA_MAX=6"));
  EXPECT_EQ(decision.cap, 0);
  startThreadsThatAllocate();
  const int count = arenas();
  EXPECT_GT(count, 2) << "the threads shared two arenas: a cap was applied after all";
  EXPECT_LE(count, 6) << "glibc's limit from MALLOC_ARENA_MAX";
}

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
