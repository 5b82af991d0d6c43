// What a trainer needs to train data-parallel, in one object: weights broadcast from
// rank 0 at the start, synchronised batch norm (or rank 0's batch-norm buffers), one
// small all-reduce per step that agrees on the global counts (the loss is normalised
// by the global batch, as one process would), a stop request and a non-finite loss,
// and the gradient reducer around backward. The trainer's step stays
// forward → agree → backward → [gradients averaged] → clip → optimiser step.
#pragma once
#include <torch/torch.h>

#include <memory>

#include "dist/communicator.h"
#include "dist/gradient_reducer.h"
#include "model/norm.h"

namespace hextorch::dist {

class DataParallel {
 public:
  DataParallel(std::shared_ptr<Communicator> communicator, torch::nn::Module& net,
               std::vector<torch::Tensor> parameters, bool syncBatchNorm);

  int rank() const { return communicator_->rank(); }
  int worldSize() const { return communicator_->worldSize(); }

  // For the forward pass of a training step: synchronised batch norm when asked for
  // (and more than one rank), else nothing.
  std::unique_ptr<model::BatchNormOverride> forwardScope();

  struct Agreement {
    torch::Tensor policyCount;  // over all ranks (int64, as the local one)
    double samples = 0;         // global batch size
    bool nonFinite = false;     // on any rank
    bool stop = false;          // any rank asked to stop after this step
  };
  Agreement agree(const torch::Tensor& policyCount, int64_t samples, bool nonFinite, bool stopRequested);

  void beforeBackward() { reducer_->prepare(); }
  void afterBackward() { reducer_->finish(); }

  // Batch-norm buffers (running statistics) from rank 0, when batch norm is per rank:
  // what DDP's broadcast_buffers does, done before they are read (validation, saving).
  void syncBuffers();
  void sumOverRanks(double* values, size_t count, const std::string& what) {
    communicator_->allReduceSum(values, count, what);
  }

  int64_t bytesPerStep() const { return reducer_->bytesPerStep(); }
  double waitSeconds() const { return reducer_->waitSeconds(); }

 private:
  void broadcast(std::vector<torch::Tensor> tensors, const std::string& what);

  std::shared_ptr<Communicator> communicator_;
  torch::nn::Module& net_;
  bool syncBatchNorm_;
  std::unique_ptr<GradientReducer> reducer_;
};

}  // namespace hextorch::dist
