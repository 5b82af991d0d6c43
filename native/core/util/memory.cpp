#include "util/memory.h"

#include <cstdlib>  // defines __GLIBC__ with glibc
#include <mutex>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hextorch {
namespace {

#if defined(__GLIBC__)
// The user's arena limit: MALLOC_ARENA_MAX (not empty), or glibc.malloc.arena_max among
// GLIBC_TUNABLES' colon-separated settings, if any. Read from the environment as it
// is now: glibc read the same variables when the process started (a variable set later,
// e.g. in process.env, counts too: the user asked for it, and hextorch then sets nothing).
std::optional<std::string> userArenaSetting() {
  const char* max = std::getenv("MALLOC_ARENA_MAX");
  if (max != nullptr && *max != '\0') return std::string("MALLOC_ARENA_MAX=") + max;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables == nullptr) return std::nullopt;
  const std::string list = std::string(":") + tunables;
  const size_t at = list.find(":glibc.malloc.arena_max=");
  if (at == std::string::npos) return std::nullopt;
  const size_t end = list.find(':', at + 1);
  return "GLIBC_TUNABLES=" + list.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
}
#endif

}  // namespace

MallocArenas shareMallocArenas() {
  // At most two arenas are created from here on (threads that already have one keep it;
  // threads started later share the existing ones). glibc gives each thread that meets a
  // locked arena one of its own, up to 8 per core: the soak (docs/benchmarks.md) ran with
  // 15, and the memory outside V8's heap crept up over the whole run (+8 to +11 MiB over
  // 1,800 mini-epochs) with free pieces spread over the arenas; with two it stayed flat
  // (70.1 -> 70.4 MiB) and the process CPU per mini-epoch was unchanged. A limit the user
  // set (glibc applied it at start) is kept: an explicit setting wins, as with
  // OpenMP's waiting (src/openmp-wait.ts).
  static std::once_flag once;
  static MallocArenas decision;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    decision.glibc = true;
    decision.userSetting = userArenaSetting();
    if (!decision.userSetting) {
      mallopt(M_ARENA_MAX, kMallocArenaCap);
      decision.cap = kMallocArenaCap;
    }
#endif
  });
  return decision;
}

void keepFreedMemory() {
  shareMallocArenas();
#if defined(__GLIBC__)
  // LibTorch's CPU tensors come from malloc, and a training step frees and allocates
  // the same few hundred megabytes again. By default glibc hands freed memory back to
  // the kernel: blocks over its mmap threshold are unmapped, and the trainer's own
  // thread allocates from a secondary arena whose 64 MiB heaps are deleted as soon as
  // they are empty. Every step then faults the same pages in again: measured 9,600 page
  // faults per step of the tiny model and 15-18 % of its CPU time. Fixed thresholds keep
  // blocks up to 32 MiB (glibc's largest mmap threshold) in the heaps, a 64 MiB top pad
  // keeps empty heaps, and trimming starts above 1 GiB of free memory at a heap's top:
  // memory is reused the way a caching allocator would. Process-wide, set once.
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
  });
#endif
}

bool releaseFreeMemory() {
#if defined(__GLIBC__)
  return malloc_trim(0) != 0;
#else
  return false;
#endif
}

}  // namespace hextorch
