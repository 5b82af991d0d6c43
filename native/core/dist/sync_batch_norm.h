// Synchronised batch norm, as PyTorch's SyncBatchNorm (LibTorch C++ has none): in
// training, forward all-reduces the per-channel sums and sums of squares of the batch
// (in float64) so every rank normalises with the statistics of the global batch, and
// backward all-reduces the per-channel sums of dy and dy·x̂ so the input gradient is the
// one of the global batch. The weight and bias gradients stay local, to be averaged with
// the other gradients. Running statistics are updated from the global statistics, so
// they are identical on every rank. In eval mode it is the module's own forward.
#pragma once
#include <torch/torch.h>

#include "dist/communicator.h"

namespace hextorch::dist {

torch::Tensor syncBatchNorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, Communicator& communicator);

}  // namespace hextorch::dist
