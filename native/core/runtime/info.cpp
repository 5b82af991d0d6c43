#include "runtime/info.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <optional>
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
namespace {

std::optional<std::string> environmentAtLoad(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::optional<std::string>(value) : std::nullopt;
}

// Read while this library's static objects are made: libgomp, a dependency, read the same
// variables moments before, and the environment may change afterwards (src/openmp-wait.ts
// removes hextorch's setting once the addon is loaded).
const std::optional<std::string> ompWaitPolicyAtLoad = environmentAtLoad("OMP_WAIT_POLICY");
const std::optional<std::string> gompSpinCountAtLoad = environmentAtLoad("GOMP_SPINCOUNT");

}  // namespace

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
  info.ompWaitPolicy = ompWaitPolicyAtLoad;
  info.gompSpinCount = gompSpinCountAtLoad;
  info.mallocArenas = shareMallocArenas();  // the decision made when the addon loaded
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
