#include "util/memory.h"

#include <cstdlib>  // defines __GLIBC__ with glibc
#include <mutex>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace hextorch {

void keepFreedMemory() {
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
