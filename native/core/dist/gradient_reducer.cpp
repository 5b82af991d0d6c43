#include "dist/gradient_reducer.h"

#include <chrono>

#include "dist/communicator_impl.h"

namespace hextorch::dist {

GradientReducer::GradientReducer(Communicator& communicator, std::vector<torch::Tensor> parameters, size_t bucketBytes)
    : communicator_(communicator), parameters_(std::move(parameters)) {
  slot_.resize(parameters_.size());
  arrived_.assign(parameters_.size(), false);
  size_t bytes = bucketBytes;  // forces a new bucket for the first parameter
  for (size_t k = parameters_.size(); k-- > 0;) {
    const auto& p = parameters_[k];
    size_t size = static_cast<size_t>(p.numel()) * p.element_size();
    if (bytes + size > bucketBytes && !(buckets_.size() > 0 && buckets_.back().parameters.empty())) {
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    slot_[k] = {buckets_.size() - 1, b.parameters.size()};
    b.offsets.push_back(b.parameters.empty() ? 0 : b.offsets.back() + parameters_[b.parameters.back()].numel());
    b.parameters.push_back(k);
    bytes += size;
  }
  for (auto& b : buckets_) {
    int64_t numel = b.offsets.back() + parameters_[b.parameters.back()].numel();
    b.buffer = torch::zeros({numel}, parameters_[b.parameters.front()].options().requires_grad(false));
    bytes_ += numel * b.buffer.element_size();
  }
  for (size_t k = 0; k < parameters_.size(); ++k) {
    parameters_[k].register_hook([this, k](torch::Tensor grad) { arrived(k, grad); });
  }
  prepare();
}

void GradientReducer::prepare() {
  std::fill(arrived_.begin(), arrived_.end(), false);
  for (auto& b : buckets_) {
    b.pending = b.parameters.size();
    b.launched = false;
    b.work.reset();
  }
  nextLaunch_ = 0;
}

void GradientReducer::arrived(size_t parameter, const torch::Tensor& grad) {
  if (arrived_[parameter]) return;  // a parameter used twice: its hook sees partial sums; the .grad is read in finish()
  auto [bucket, index] = slot_[parameter];
  Bucket& b = buckets_[bucket];
  const auto& p = parameters_[parameter];
  b.buffer.narrow(0, b.offsets[index], p.numel()).view(p.sizes()).copy_(grad);
  arrived_[parameter] = true;
  if (--b.pending == 0) launchReady();
}

void GradientReducer::launchReady() {
  while (nextLaunch_ < buckets_.size() && buckets_[nextLaunch_].pending == 0) {
    Bucket& b = buckets_[nextLaunch_++];
    std::vector<torch::Tensor> tensors{b.buffer};
    try {
      b.work = communicator_.impl().allReduceAsync(tensors);
    } catch (...) {
      b.work.reset();
      throw;
    }
    b.launched = true;
  }
}

void GradientReducer::finish() {
  // Parameters that got no gradient this step contribute zeros, so every rank still
  // launches every bucket.
  for (size_t k = 0; k < parameters_.size(); ++k) {
    if (arrived_[k]) continue;
    auto [bucket, index] = slot_[k];
    Bucket& b = buckets_[bucket];
    b.buffer.narrow(0, b.offsets[index], parameters_[k].numel()).zero_();
    arrived_[k] = true;
    --b.pending;
  }
  launchReady();
  auto started = std::chrono::steady_clock::now();
  const double scale = 1.0 / static_cast<double>(communicator_.worldSize());
  for (auto& b : buckets_) {
    communicator_.impl().wait(b.work, "gradient all-reduce");
    if (communicator_.worldSize() > 1) b.buffer.mul_(scale);
    for (size_t i = 0; i < b.parameters.size(); ++i) {
      auto& p = parameters_[b.parameters[i]];
      auto averaged = b.buffer.narrow(0, b.offsets[i], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(averaged);
      else
        p.mutable_grad() = averaged.clone(p.suggest_memory_format());
    }
  }
  waitSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace hextorch::dist
