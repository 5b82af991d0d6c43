// The one place for differences between LibTorch versions (Debian's 1.13 and
// PyTorch 2.x): autocast's API changed in 2.4 to take a device type.
#pragma once
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <sstream>
#include <string>
#include <type_traits>

namespace hextorch::compat {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
inline void setAutocast(bool cuda, bool enabled, at::ScalarType dtype) {
  at::DeviceType device = cuda ? at::kCUDA : at::kCPU;
  at::autocast::set_autocast_enabled(device, enabled);
  if (enabled) at::autocast::set_autocast_dtype(device, dtype);
}
#else
inline void setAutocast(bool cuda, bool enabled, at::ScalarType dtype) {
  if (cuda) {
    at::autocast::set_enabled(enabled);
    if (enabled) at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    if (enabled) at::autocast::set_autocast_cpu_dtype(dtype);
  }
}
#endif

// Autocast state is thread-local: enable it for the scope of one step on the thread that
// runs it (the trainer's own thread in the addon, util/serial_executor.h), and leave the
// thread as it was afterwards.
class AutocastScope {
 public:
  AutocastScope(bool cuda, bool enabled) : cuda_(cuda), enabled_(enabled) {
    if (enabled_) setAutocast(cuda_, true, at::kBFloat16);
  }
  ~AutocastScope() {
    if (enabled_) {
      setAutocast(cuda_, false, at::kBFloat16);
      at::autocast::clear_cache();
    }
  }

 private:
  bool cuda_, enabled_;
};

// torch::optim keys its per-parameter state by the parameter's TensorImpl: printed as a
// string up to 1.13, the pointer itself from 2.0.
template <typename StateMap>
typename StateMap::key_type optimizerStateKey(const StateMap&, const at::Tensor& p) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return text.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

}  // namespace hextorch::compat
