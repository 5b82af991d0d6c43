#include "model/norm.h"

#include "model/batch_norm_relu.h"

namespace hextorch::model {
namespace {
thread_local const BatchNormFunction* current = nullptr;
}

torch::Tensor norm(torch::nn::BatchNorm2d& bn, const torch::Tensor& x) {
  if (current) return (*current)(*bn, x);
  return bn(x);
}

bool normReluFused(const torch::nn::BatchNorm2d& bn, const torch::Tensor& x, const torch::Tensor& residual) {
  return !current && batchNormReluApplies(*bn, x, residual);
}

torch::Tensor normRelu(torch::nn::BatchNorm2d& bn, const torch::Tensor& x, const torch::Tensor& residual) {
  if (normReluFused(bn, x, residual)) return batchNormRelu(*bn, x, residual);
  auto y = norm(bn, x);
  if (residual.defined()) y.add_(residual);
  return y.relu_();
}

BatchNormOverride::BatchNormOverride(BatchNormFunction function) : previous_(current), function_(std::move(function)) {
  current = &function_;
}

BatchNormOverride::~BatchNormOverride() { current = previous_; }

}  // namespace hextorch::model
