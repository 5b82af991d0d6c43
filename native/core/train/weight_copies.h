// Kept bf16 copies of the convolution and linear weights, for bf16 autocast training on CPU.
//
// Under autocast every forward casts each fp32 convolution and linear weight (and bias) to
// bf16, and the backward casts each bf16 weight gradient back to fp32 (about 130 MB of
// memory traffic per snowflake step). With the copies, the modules' weight members point
// at a bf16 leaf for the forward pass, so autocast has nothing to cast and the weight
// gradient stays bf16; the fused optimiser step reads that bf16 gradient and, as it updates
// the fp32 master, writes the master's bf16 copy (rounded as at::_to_copy rounds). The
// results are bit-identical to autocast's own casts: the bf16 gradient widens exactly to
// the fp32 one autocast would have handed over. parameters(), checkpoints and the
// optimiser state hold the fp32 masters only; a copy is refreshed from its master whenever
// the master changed other than through the fused step (a load, a restore).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace torch::nn {
class Module;
}

namespace hextorch::train {

class WeightCopies {
 public:
  // The defined weights and biases of every Conv2d and Linear module in `net`: the
  // parameters autocast casts to bf16.
  explicit WeightCopies(torch::nn::Module& net);

  // For one forward pass: the modules' members are the bf16 copies (refreshed first where
  // their master changed); restored to the fp32 masters when the scope ends.
  class Forward {
   public:
    explicit Forward(WeightCopies* copies);
    ~Forward();
    Forward(const Forward&) = delete;
    Forward& operator=(const Forward&) = delete;

   private:
    WeightCopies* copies_;
  };

  // The bf16 copy of the parameter `master` (its gradient is the parameter's gradient
  // this step), or null when the parameter has none.
  const at::Tensor* copyOf(const at::Tensor& master) const;
  // The fused step wrote `master` and its copy together: the copy is current.
  void written(const at::Tensor& master);
  void clearGradients();

 private:
  struct Entry {
    at::Tensor* member;  // the module's weight or bias member
    at::Tensor master, copy;
    const void* data = nullptr;  // the master's storage and version when the copy was made
    int64_t version = -1;
  };
  void refresh(Entry& e);
  std::vector<Entry> entries_;
  std::unordered_map<const void*, size_t> byMaster_;  // TensorImpl of the master -> entry
};

}  // namespace hextorch::train
