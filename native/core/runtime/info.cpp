#include "runtime/info.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <mutex>
#include <string>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include "runtime/precision.h"

#ifdef HEXTORCH_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

#ifndef HEXTORCH_BUILD_TYPE
#define HEXTORCH_BUILD_TYPE "unknown"
#endif

namespace hextorch::runtime {

Info collectInfo() {
  Info info;
  info.torchVersion = TORCH_VERSION;
  info.cudaAvailable = torch::cuda::is_available();
  info.cudaDeviceCount = info.cudaAvailable ? static_cast<int>(torch::cuda::device_count()) : 0;
#ifdef HEXTORCH_WITH_CUDA
  for (int i = 0; i < info.cudaDeviceCount; ++i) info.cudaDevices.push_back(at::cuda::getDeviceProperties(i)->name);
#endif
  if (info.cudaAvailable && at::detail::getCUDAHooks().hasCuDNN())
    info.cudnnVersion = at::detail::getCUDAHooks().versionCuDNN();
  info.threads = at::get_num_threads();
  info.buildType = HEXTORCH_BUILD_TYPE;
  return info;
}

void setThreads(int threads) {
  if (threads <= 0) return;
  at::set_num_threads(threads);
  // LibTorch parallelises over the batch itself; a multi-threaded OpenBLAS inside each
  // of its threads oversubscribes the cores (measured: tiny model 1.5x slower on 2 cores).
  using SetBlasThreads = void (*)(int);
  if (auto* setBlasThreads = reinterpret_cast<SetBlasThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    setBlasThreads(1);
  }
}

bool cpuHasNativeBf16() { return !cpuBf16Flags().empty(); }

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

}  // namespace hextorch::runtime
