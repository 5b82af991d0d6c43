#include "runtime/precision.h"

#include <fstream>
#include <sstream>

#include "util/error.h"

#ifdef HEXTORCH_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace hextorch::runtime {

std::vector<std::string> cpuBf16Flags() {
  std::ifstream in("/proc/cpuinfo");
  std::vector<std::string> found;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    for (std::string w; words >> w;)
      if (w == "avx512_bf16" || w == "amx_bf16") found.push_back(w);
    break;  // every core lists the same flags
  }
  return found;
}

namespace {

PrecisionChoice chosen(bool bf16, std::string reason) { return {bf16, bf16 ? "bf16" : "fp32", std::move(reason)}; }

// CPU: bf16 autocast where the CPU multiplies bf16 natively. Measured on AVX512-BF16
// (AMD EPYC, no AMX; docs/benchmarks.md): bf16 trains tiny, resnet 6x96 and snowflake
// 1.3-1.8x faster than fp32, and the validation loss after a fixed number of samples
// stays within the spread between seeds (the bench's learning section). Without those
// instructions bf16 is emulated in fp32 and only adds conversions, so fp32.
PrecisionChoice autoOnCpu() {
  std::vector<std::string> flags = cpuBf16Flags();
  if (flags.empty()) {
    return chosen(false,
                  "the CPU has neither avx512_bf16 nor amx_bf16; the rule: fp32 there, as bf16 would be emulated "
                  "(slower than fp32)");
  }
  std::string list;
  for (const auto& f : flags) list += (list.empty() ? "" : " and ") + f;
  return chosen(true, "the CPU has " + list +
                          " (native bf16); the rule: bf16 autocast where the CPU has avx512_bf16 or amx_bf16, "
                          "measured faster than fp32 with validation loss within seed noise (docs/benchmarks.md)");
}

// CUDA: bf16 autocast on compute capability 8.0 and later (Ampere on: bf16 tensor
// cores); before that bf16 has no fast path and hextorch keeps no fp16 loss scaler, so fp32.
PrecisionChoice autoOnCuda(int device) {
  const std::string rule = "; the rule: bf16 autocast from compute capability 8.0 (bf16 tensor cores), fp32 below";
#ifdef HEXTORCH_WITH_CUDA
  const auto* p = at::cuda::getDeviceProperties(device);
  return chosen(p->major >= 8, "CUDA device " + std::to_string(device) + " (" + p->name + ") has compute capability " +
                                   std::to_string(p->major) + "." + std::to_string(p->minor) + rule);
#else
  return chosen(true, "CUDA device " + std::to_string(device) +
                          ": this build cannot read its compute capability, bf16 assumed" + rule);
#endif
}

}  // namespace

PrecisionChoice choosePrecision(const std::string& option, bool cuda, int cudaDevice) {
  if (option == "fp32") return chosen(false, "asked for");
  if (option == "bf16") return chosen(true, "asked for");
  if (option != "auto")
    throw Error(ErrorCode::InvalidArgument, "precision '" + option + "' is not one of auto, fp32, bf16");
  return cuda ? autoOnCuda(cudaDevice) : autoOnCpu();
}

}  // namespace hextorch::runtime
