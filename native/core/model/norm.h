// Batch norm as the networks call it: the module's own forward, unless a scope on the
// calling thread swaps in another implementation (data-parallel training swaps in
// synchronised batch norm, dist/sync_batch_norm.h). The module keeps its parameters and
// running statistics either way, so checkpoints do not depend on the choice.
#pragma once
#include <torch/torch.h>

#include <functional>

namespace hextorch::model {

using BatchNormFunction = std::function<torch::Tensor(torch::nn::BatchNorm2dImpl&, const torch::Tensor&)>;

torch::Tensor norm(torch::nn::BatchNorm2d& bn, const torch::Tensor& x);

// relu(norm(bn, x) + residual), the residual left out when undefined. On CPU in training
// mode with channels-last bf16 activations and no override in scope, one fused
// kernel (model/batch_norm_relu.h); otherwise norm(), add_ and relu_ as before.
torch::Tensor normRelu(torch::nn::BatchNorm2d& bn, const torch::Tensor& x, const torch::Tensor& residual = {});

// Whether normRelu(bn, x, residual) runs the fused kernel.
bool normReluFused(const torch::nn::BatchNorm2d& bn, const torch::Tensor& x, const torch::Tensor& residual = {});

// While alive, norm() on this thread calls `function` (training steps run on one thread).
class BatchNormOverride {
 public:
  explicit BatchNormOverride(BatchNormFunction function);
  ~BatchNormOverride();
  BatchNormOverride(const BatchNormOverride&) = delete;
  BatchNormOverride& operator=(const BatchNormOverride&) = delete;

 private:
  const BatchNormFunction* previous_;
  BatchNormFunction function_;
};

}  // namespace hextorch::model
