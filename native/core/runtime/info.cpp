#include "runtime/info.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/cuda.h>
#include <torch/version.h>

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
  if (info.cudaAvailable && at::detail::getCUDAHooks().hasCuDNN()) info.cudnnVersion = at::detail::getCUDAHooks().versionCuDNN();
  info.threads = at::get_num_threads();
  info.buildType = HEXTORCH_BUILD_TYPE;
  return info;
}

void setThreads(int threads) {
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace hextorch::runtime
