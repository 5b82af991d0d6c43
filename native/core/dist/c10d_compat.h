// Differences between LibTorch versions in c10d. In 1.13 (Debian) ProcessGroupGloo
// derives from c10d::ProcessGroup; in 2.x it derives from c10d::Backend (ProcessGroup
// became a dispatcher over backends). Code in dist/ uses only the names below. NCCL
// (CUDA builds of 2.x) would be added here.
#pragma once
#include <torch/version.h>

#ifdef HEXTORCH_WITH_GLOO
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace hextorch::dist::compat {

#ifdef HEXTORCH_WITH_GLOO
#if TORCH_VERSION_MAJOR >= 2
using ProcessGroup = c10d::Backend;
#else
using ProcessGroup = c10d::ProcessGroup;
#endif
using WorkPtr = c10::intrusive_ptr<c10d::Work>;
#else
struct ProcessGroup {};
struct WorkPtr {
  void reset() {}
};
#endif

}  // namespace hextorch::dist::compat
