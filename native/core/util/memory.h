// How the C allocator's free memory is handled: kept between training steps, given back
// to the operating system between mini-epochs.
#pragma once

namespace hextorch {

/// Caps glibc's malloc arenas at two for the threads started from now on (see
/// memory.cpp). Process-wide, idempotent; called when the addon loads.
void shareMallocArenas();

/// Keeps freed blocks in the process instead of returning them to the system after every
/// training step (glibc's mallopt; see memory.cpp). Process-wide, idempotent.
void keepFreedMemory();

/// Returns to the operating system the memory that glibc's malloc holds free in every
/// thread's arena (malloc_trim). Freed blocks are otherwise kept, and fragmentation
/// leaves whole pages of them resident: over a long run a process's resident memory then
/// drifts up without anything being live. Takes about a millisecond; the pages are
/// faulted in again when next used. True when memory was released; a no-op (false)
/// outside glibc.
bool releaseFreeMemory();

}  // namespace hextorch
