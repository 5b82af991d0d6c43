// Heap memory that the C allocator holds free, given back to the operating system.
#pragma once

namespace hextorch {

/// Returns to the operating system the memory that glibc's malloc holds free in every
/// thread's arena (malloc_trim). Freed blocks are otherwise kept, and fragmentation
/// leaves whole pages of them resident: over a long run a process's resident memory then
/// drifts up without anything being live. Takes about a millisecond; the pages are
/// faulted in again when next used. True when memory was released; a no-op (false)
/// outside glibc.
bool releaseFreeMemory();

}  // namespace hextorch
