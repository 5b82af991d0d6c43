// How the C allocator's free memory is handled: kept between training steps, given back
// to the operating system between mini-epochs.
#pragma once

#include <optional>
#include <string>

namespace hextorch {

/// The arena cap hextorch sets when the user set none (see memory.cpp).
constexpr int kMallocArenaCap = 2;

/// How many malloc arenas glibc may create, and who chose it.
struct MallocArenas {
  bool glibc = false;
  /// The user's own setting, which glibc applied when the process started
  /// ("MALLOC_ARENA_MAX=8", or "GLIBC_TUNABLES=glibc.malloc.arena_max=8"), if any.
  std::optional<std::string> userSetting;
  /// The cap hextorch applied (kMallocArenaCap), or 0: none (the user's setting is kept, or not glibc).
  int cap = 0;
};

/// Caps glibc's malloc arenas at kMallocArenaCap for the threads started from now on
/// (see memory.cpp), unless the user chose a limit: MALLOC_ARENA_MAX or GLIBC_TUNABLES'
/// glibc.malloc.arena_max in the environment, which glibc applied already at start and
/// which is then kept. Process-wide, idempotent (the first call
/// decides); called when the addon loads. Returns the decision.
MallocArenas shareMallocArenas();

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
