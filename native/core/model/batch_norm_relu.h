// Batch norm in training mode fused with the ReLU after it (and the residual add before
// that ReLU), for channels-last bf16 CPU tensors (bf16 autocast).
//
// LibTorch 1.13 runs batch norm, the residual add and the ReLU as separate passes, each
// converting bf16 to float and back element by element: on tiny's 256x32x13x13 bf16
// activations, batch norm forward took 0.69 ms, its backward 1.0, the ReLU 0.24 and its
// backward 0.25 (1 thread), against 0.065 ms for one copy of the tensor. Here the forward
// is three vectorised passes (mean, variance, normalise + add + ReLU) and the backward two
// (sums, then the input's gradient), with the ReLU's mask read from the saved output.
//
// Deterministic and independent of the thread count: per-channel sums are taken over fixed
// chunks of rows (whatever the threads) and the chunks' sums are added in order, in double.
#pragma once
#include <torch/torch.h>

namespace hextorch::model {

// Whether batchNormRelu can run `bn` on `x` (and `residual`, when defined): CPU, training mode
// with running statistics and affine parameters, channels-last contiguous bf16 input (and
// residual), float parameters, more than one value per channel. fp32 keeps LibTorch's
// batch norm: its float kernels are vectorised already, and the fused one measured 3-5 %
// slower there (tiny fp32, 1 thread).
bool batchNormReluApplies(const torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, const torch::Tensor& residual);

// relu(bn(x) + residual) (residual left out when undefined), updating bn's running
// statistics and batch count as its own forward does. Requires batchNormReluApplies.
torch::Tensor batchNormRelu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, const torch::Tensor& residual);

}  // namespace hextorch::model
