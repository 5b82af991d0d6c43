#include "model/layout.h"

#include <torch/csrc/autograd/custom_function.h>

namespace hextorch::model {
namespace {

struct ToMemoryFormat : torch::autograd::Function<ToMemoryFormat> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, int64_t format) {
    ctx->saved_data["channelsLast"] = x.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
    return x.contiguous(static_cast<at::MemoryFormat>(format));
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    bool channelsLast = ctx->saved_data["channelsLast"].toBool();
    return {grads[0].contiguous(channelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous),
            at::Tensor()};
  }
};

}  // namespace

at::Tensor toMemoryFormat(const at::Tensor& x, at::MemoryFormat format) {
  if (x.is_contiguous(format)) return x;
  if (!x.requires_grad() || !at::GradMode::is_enabled()) return x.contiguous(format);
  return ToMemoryFormat::apply(x, static_cast<int64_t>(format));
}

}  // namespace hextorch::model
