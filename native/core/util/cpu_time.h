#pragma once
// CPU time as the kernel counts it, in seconds: what a thread or the whole process has
// used, which stays comparable when other work shares the machine (wall time does not).

#include <time.h>

namespace hextorch {

inline double cpuSeconds(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// CPU time of the calling thread.
inline double threadCpuSeconds() { return cpuSeconds(CLOCK_THREAD_CPUTIME_ID); }

// CPU time of the whole process, all threads.
inline double processCpuSeconds() { return cpuSeconds(CLOCK_PROCESS_CPUTIME_ID); }

}  // namespace hextorch
