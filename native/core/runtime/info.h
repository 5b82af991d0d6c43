// What this build of hextorch runs on: LibTorch version, CUDA devices, threads.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "util/memory.h"

namespace hextorch::runtime {

struct Info {
  std::string torchVersion;
  bool cudaAvailable = false;
  int cudaDeviceCount = 0;
  std::vector<std::string> cudaDevices;
  long cudnnVersion = 0;  // 0: none
  int threads = 0;
  std::string buildType;
  // OMP_WAIT_POLICY and GOMP_SPINCOUNT as they were when this library was loaded, just
  // after libgomp (loaded before it, as LibTorch's dependency) read them: what LibTorch's
  // OpenMP threads wait by. Unset: nullopt.
  std::optional<std::string> ompWaitPolicy, gompSpinCount;
  // glibc's malloc arena limit and who chose it (util/memory.h).
  MallocArenas mallocArenas;
};

Info collectInfo();
// Whether the CPU computes in bf16 natively (AVX512-BF16 or AMX-BF16, from
// /proc/cpuinfo's flags; false where that cannot be read).
bool cpuHasNativeBf16();
void setThreads(int threads);
}  // namespace hextorch::runtime
