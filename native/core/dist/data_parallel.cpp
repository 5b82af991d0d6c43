#include "dist/data_parallel.h"

#include "dist/communicator_impl.h"
#include "dist/sync_batch_norm.h"

namespace hextorch::dist {

DataParallel::DataParallel(std::shared_ptr<Communicator> communicator, torch::nn::Module& net,
                           std::vector<torch::Tensor> parameters, bool syncBatchNorm)
    : communicator_(std::move(communicator)), net_(net), syncBatchNorm_(syncBatchNorm) {
  // Every rank starts from rank 0's weights and buffers.
  std::vector<torch::Tensor> state = net_.parameters();
  for (auto& b : net_.buffers()) state.push_back(b);
  broadcast(state, "broadcast of the initial weights");
  reducer_ = std::make_unique<GradientReducer>(*communicator_, std::move(parameters));
}

void DataParallel::broadcast(std::vector<torch::Tensor> tensors, const std::string& what) {
  if (communicator_->worldSize() == 1 || tensors.empty()) return;
  // One flat buffer per dtype class: Gloo wants dense contiguous tensors of one type.
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> floats, others;
  for (auto& t : tensors) (t.is_floating_point() ? floats : others).push_back(t);
  for (auto* group : {&floats, &others}) {
    if (group->empty()) continue;
    std::vector<torch::Tensor> flat;
    for (auto& t : *group) flat.push_back(t.detach().to(torch::kFloat64).reshape({-1}));
    std::vector<torch::Tensor> buffer{torch::cat(flat)};
    communicator_->impl().broadcast(buffer, 0, what);
    int64_t offset = 0;
    for (auto& t : *group) {
      t.detach().copy_(buffer[0].narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

std::unique_ptr<model::BatchNormOverride> DataParallel::forwardScope() {
  if (!syncBatchNorm_ || communicator_->worldSize() == 1) return nullptr;
  Communicator* c = communicator_.get();
  return std::make_unique<model::BatchNormOverride>(
      [c](torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) { return syncBatchNorm(bn, x, *c); });
}

DataParallel::Agreement DataParallel::agree(const torch::Tensor& policyCount, int64_t samples, bool nonFinite,
                                            bool stopRequested) {
  double values[4] = {static_cast<double>(policyCount.item<int64_t>()), static_cast<double>(samples),
                      nonFinite ? 1.0 : 0.0, stopRequested ? 1.0 : 0.0};
  communicator_->allReduceSum(values, 4, "step agreement");
  Agreement a;
  a.policyCount = torch::full({}, static_cast<int64_t>(values[0]), policyCount.options());
  a.samples = values[1];
  a.nonFinite = values[2] > 0;
  a.stop = values[3] > 0;
  return a;
}

void DataParallel::syncBuffers() {
  if (syncBatchNorm_) return;  // running statistics come from global statistics: already equal
  broadcast(net_.buffers(), "broadcast of batch-norm statistics");
}

}  // namespace hextorch::dist
