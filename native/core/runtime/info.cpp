#include "runtime/info.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

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

}  // namespace hextorch::runtime
