#include "model/norm.h"

namespace hextorch::model {
namespace {
thread_local const BatchNormFunction* current = nullptr;
}

torch::Tensor norm(torch::nn::BatchNorm2d& bn, const torch::Tensor& x) {
  if (current) return (*current)(*bn, x);
  return bn(x);
}

BatchNormOverride::BatchNormOverride(BatchNormFunction function) : previous_(current), function_(std::move(function)) {
  current = &function_;
}

BatchNormOverride::~BatchNormOverride() { current = previous_; }

}  // namespace hextorch::model
