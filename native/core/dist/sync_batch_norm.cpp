#include "dist/sync_batch_norm.h"

#include "dist/communicator_impl.h"

namespace hextorch::dist {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

torch::Tensor channels(const torch::Tensor& t) { return t.view({1, -1, 1, 1}); }

struct SyncBatchNormFunction : torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& bias, torch::Tensor runningMean, torch::Tensor runningVar,
                               torch::Tensor batchesTracked, double momentum, double eps, int64_t communicatorAddress) {
    auto& communicator = *reinterpret_cast<Communicator*>(communicatorAddress);
    const int64_t c = x.size(1);
    auto xd = x.to(torch::kFloat64);
    auto stats = torch::cat({xd.sum({0, 2, 3}), (xd * xd).sum({0, 2, 3}),
                             torch::full({1}, static_cast<double>(x.numel() / std::max<int64_t>(1, c)), xd.options())});
    std::vector<torch::Tensor> tensors{stats};
    communicator.impl().allReduce(tensors, "batch-norm statistics");
    stats = tensors[0];
    const double n = stats[2 * c].item<double>();
    if (n < 2) throw std::runtime_error("synchronised batch norm needs more than one value per channel over all ranks");
    auto mean = stats.narrow(0, 0, c) / n;
    auto var = (stats.narrow(0, c, c) / n - mean * mean).clamp_min(0);
    auto invstd = (var + eps).rsqrt();
    auto meanF = mean.to(x.scalar_type()), invstdF = invstd.to(x.scalar_type());
    {
      torch::NoGradGuard noGrad;
      runningMean.mul_(1 - momentum).add_(meanF, momentum);
      runningVar.mul_(1 - momentum).add_((var * (n / (n - 1))).to(runningVar.scalar_type()), momentum);
      batchesTracked.add_(1);
    }
    ctx->save_for_backward({x, weight, meanF, invstdF});
    ctx->saved_data["n"] = n;
    ctx->saved_data["communicator"] = communicatorAddress;
    return (x - channels(meanF)) * channels(invstdF * weight) + channels(bias);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& mean = saved[2];
    const auto& invstd = saved[3];
    const double n = ctx->saved_data["n"].toDouble();
    auto& communicator = *reinterpret_cast<Communicator*>(ctx->saved_data["communicator"].toInt());
    const int64_t c = x.size(1);
    auto dy = grads[0];
    auto xhat = (x - channels(mean)) * channels(invstd);
    auto sumDy = dy.sum({0, 2, 3}, false, torch::kFloat64);
    auto sumDyXhat = (dy * xhat).sum({0, 2, 3}, false, torch::kFloat64);
    auto gradWeight = sumDyXhat.to(weight.scalar_type());
    auto gradBias = sumDy.to(weight.scalar_type());
    std::vector<torch::Tensor> tensors{torch::cat({sumDy, sumDyXhat})};
    communicator.impl().allReduce(tensors, "batch-norm gradients");
    auto meanDy = (tensors[0].narrow(0, 0, c) / n).to(x.scalar_type());
    auto meanDyXhat = (tensors[0].narrow(0, c, c) / n).to(x.scalar_type());
    auto gradX = (dy - channels(meanDy) - xhat * channels(meanDyXhat)) * channels(weight * invstd);
    return {gradX,           gradWeight,      gradBias,        torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor syncBatchNorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, Communicator& communicator) {
  if (!bn.is_training()) return bn.forward(x);
  const auto& o = bn.options;
  double momentum = o.momentum().has_value() ? *o.momentum() : 0.1;
  return SyncBatchNormFunction::apply(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.num_batches_tracked,
                                      momentum, o.eps(), reinterpret_cast<int64_t>(&communicator));
}

}  // namespace hextorch::dist
