#include "train/weight_copies.h"

#include <torch/torch.h>

namespace hextorch::train {

WeightCopies::WeightCopies(torch::nn::Module& net) {
  std::vector<at::Tensor> parameters = net.parameters();
  auto add = [&](at::Tensor& member) {
    if (!member.defined()) return;
    bool registered = false;
    for (const auto& p : parameters) registered = registered || p.is_same(member);
    if (!registered) return;
    byMaster_[member.unsafeGetTensorImpl()] = entries_.size();
    entries_.push_back({&member, member, at::Tensor()});
  };
  for (auto& m : net.modules(/*include_self=*/true)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      add(c->weight);
      add(c->bias);
    } else if (auto* l = m->as<torch::nn::Linear>()) {
      add(l->weight);
      add(l->bias);
    }
  }
}

void WeightCopies::refresh(Entry& e) {
  const at::Tensor& p = e.master;
  if (e.copy.defined() && e.data == p.data_ptr() && e.version == static_cast<int64_t>(p._version()) &&
      e.copy.strides() == p.strides())
    return;
  torch::NoGradGuard noGrad;
  if (!e.copy.defined() || e.copy.sizes() != p.sizes() || e.copy.strides() != p.strides())
    e.copy = at::empty_strided(p.sizes(), p.strides(), p.options().dtype(at::kBFloat16)).requires_grad_(true);
  e.copy.copy_(p);  // what autocast's cast computes (at::_to_copy is an empty tensor and copy_)
  e.data = p.data_ptr();
  e.version = static_cast<int64_t>(p._version());
}

WeightCopies::Forward::Forward(WeightCopies* copies) : copies_(copies) {
  if (!copies_) return;
  try {
    for (auto& e : copies_->entries_) {
      copies_->refresh(e);
      *e.member = e.copy;
    }
  } catch (...) {
    for (auto& e : copies_->entries_) *e.member = e.master;
    throw;
  }
}

WeightCopies::Forward::~Forward() {
  if (!copies_) return;
  for (auto& e : copies_->entries_) *e.member = e.master;
}

const at::Tensor* WeightCopies::copyOf(const at::Tensor& master) const {
  auto found = byMaster_.find(master.unsafeGetTensorImpl());
  if (found == byMaster_.end()) return nullptr;
  const Entry& e = entries_[found->second];
  return e.copy.defined() ? &e.copy : nullptr;
}

void WeightCopies::written(const at::Tensor& master) {
  auto found = byMaster_.find(master.unsafeGetTensorImpl());
  if (found == byMaster_.end()) return;
  Entry& e = entries_[found->second];
  e.data = master.data_ptr();
  e.version = static_cast<int64_t>(master._version());
}

void WeightCopies::clearGradients() {
  for (auto& e : entries_)
    if (e.copy.defined()) e.copy.mutable_grad().reset();
}

}  // namespace hextorch::train
