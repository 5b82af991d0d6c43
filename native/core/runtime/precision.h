// The precision a trainer computes in: fp32, or bf16 autocast (weights, optimiser state
// and the loss stay fp32). `auto` picks by a rule from measured figures
// (docs/design.md, "Precision"); the choice comes with its reason, for people.
#pragma once
#include <string>
#include <vector>

namespace hextorch::runtime {

struct PrecisionChoice {
  bool bf16 = false;
  std::string precision;  // "fp32" | "bf16"
  std::string reason;     // the option, or for auto: what was found and the rule applied
};

// The CPU's bf16 instruction sets, as /proc/cpuinfo names them: of avx512_bf16 and
// amx_bf16, the ones present (empty where none is, or the flags cannot be read).
std::vector<std::string> cpuBf16Flags();

// option: auto | fp32 | bf16 (anything else: InvalidArgument naming it). cuda and
// cudaDevice: the device the trainer runs on.
PrecisionChoice choosePrecision(const std::string& option, bool cuda, int cudaDevice = 0);

}  // namespace hextorch::runtime
