#include "model/pool.h"

#include <torch/csrc/autograd/custom_function.h>

namespace hextorch::model {
namespace {

struct GlobalAveragePool : torch::autograd::Function<GlobalAveragePool> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
    ctx->saved_data["sizes"] = x.sizes().vec();
    ctx->saved_data["channelsLast"] = x.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
    return x.mean({2, 3});
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto sizes = ctx->saved_data["sizes"].toIntVector();
    bool channelsLast = ctx->saved_data["channelsLast"].toBool();
    // The division as mean's backward does it (same values), on [B,C] before the expand.
    auto g = grads[0].div(static_cast<double>(sizes[2] * sizes[3])).unsqueeze(-1).unsqueeze(-1).expand(sizes);
    return {g.contiguous(channelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous)};
  }
};

}  // namespace

at::Tensor globalAveragePool(const at::Tensor& x) {
  if (!x.requires_grad() || !at::GradMode::is_enabled()) return x.mean({2, 3});
  return GlobalAveragePool::apply(x);
}

}  // namespace hextorch::model
