// model::normRelu: batch norm, the residual add and the ReLU fused for CPU training.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <functional>
#include <set>
#include <string>

#include "model/networks.h"
#include "model/norm.h"
#include "train/torch_compat.h"

using namespace hextorch;

namespace {

struct Result {
  torch::Tensor out, dx, dresidual, dweight, dbias, runningMean, runningVar;
};

// relu(bn(x) + residual) and its gradients, through normRelu (fused) or the modules' own ops,
// on tensors of `dtype` holding values representable in `values`.
Result run(bool fused, torch::ScalarType dtype, bool withResidual, int channels = 32,
           torch::ScalarType values = torch::kFloat) {
  torch::manual_seed(11);
  torch::nn::BatchNorm2d bn(channels);
  {
    torch::NoGradGuard noGrad;
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.5, 0.5);
  }
  bn->train();
  auto cl = at::MemoryFormat::ChannelsLast;
  auto make = [&](torch::Tensor t) { return t.to(values).to(dtype).contiguous(cl); };
  auto x = make(torch::randn({16, channels, 5, 5}) * 3 + 1).requires_grad_(true);
  auto residual = make(torch::randn({16, channels, 5, 5})).requires_grad_(true);
  auto grad = make(torch::randn({16, channels, 5, 5}));
  torch::Tensor out;
  if (fused) {
    EXPECT_TRUE(model::normReluFused(bn, x, withResidual ? residual : torch::Tensor()));
    out = model::normRelu(bn, x, withResidual ? residual : torch::Tensor());
  } else {
    out = bn(x);
    if (withResidual) out = out + residual;
    out = torch::relu(out);
  }
  out.backward(grad);
  return {out.detach(),           x.grad(),        withResidual ? residual.grad() : torch::Tensor(),
          bn->weight.grad(),      bn->bias.grad(), bn->running_mean.clone(),
          bn->running_var.clone()};
}

void expectClose(const torch::Tensor& a, const torch::Tensor& b, double tolerance, const std::string& what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  double scale = std::max(1.0, b.abs().max().item<double>());
  double error = (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
  EXPECT_LE(error, tolerance * scale) << what << ": max error " << error << " (scale " << scale << ")";
}

void expectSame(const Result& a, const Result& b, double tolerance, const std::string& what) {
  expectClose(a.out, b.out, tolerance, what + " output");
  expectClose(a.dx, b.dx, tolerance, what + " input gradient");
  if (b.dresidual.defined()) expectClose(a.dresidual, b.dresidual, tolerance, what + " residual gradient");
  expectClose(a.dweight, b.dweight, tolerance, what + " weight gradient");
  expectClose(a.dbias, b.dbias, tolerance, what + " bias gradient");
  expectClose(a.runningMean, b.runningMean, 1e-6, what + " running mean");
  expectClose(a.runningVar, b.runningVar, 1e-5, what + " running variance");
}

}  // namespace

TEST(BatchNormRelu, Bf16MatchesTheFloatComputationToBf16Rounding) {
  // Against LibTorch's ops in float on the same bf16 values: the fused kernel computes in
  // float and rounds each result once to bf16 (so its ReLU mask is the float one).
  for (bool withResidual : {false, true}) {
    Result fused = run(true, torch::kBFloat16, withResidual);
    Result reference = run(false, torch::kFloat, withResidual, 32, torch::kBFloat16);
    EXPECT_EQ(fused.out.scalar_type(), torch::kBFloat16);
    EXPECT_TRUE(fused.out.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(fused.dx.is_contiguous(at::MemoryFormat::ChannelsLast));
    expectSame(fused, reference, 2e-2, withResidual ? "bf16 with residual" : "bf16");
  }
}

TEST(BatchNormRelu, SameBitsWhateverTheThreadCount) {
  int threads = at::get_num_threads();
  at::set_num_threads(1);
  Result one = run(true, torch::kBFloat16, true, 96);
  at::set_num_threads(2);
  Result two = run(true, torch::kBFloat16, true, 96);
  for (auto [a, b] : {std::pair{one.out, two.out},
                      {one.dx, two.dx},
                      {one.dresidual, two.dresidual},
                      {one.dweight, two.dweight},
                      {one.dbias, two.dbias},
                      {one.runningVar, two.runningVar}})
    EXPECT_TRUE(torch::equal(a, b));
  at::set_num_threads(threads);
}

TEST(BatchNormRelu, RunsOnlyWhereItApplies) {
  torch::nn::BatchNorm2d bn(8);
  auto cl = torch::randn({4, 8, 3, 3}).to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast);
  bn->train();
  EXPECT_TRUE(model::normReluFused(bn, cl));
  EXPECT_FALSE(model::normReluFused(bn, cl.contiguous()));      // NCHW
  EXPECT_FALSE(model::normReluFused(bn, cl, cl.contiguous()));  // residual in another layout
  EXPECT_FALSE(model::normReluFused(bn, cl.to(torch::kFloat).contiguous(at::MemoryFormat::ChannelsLast)));  // fp32
  {
    model::BatchNormOverride sync([](torch::nn::BatchNorm2dImpl& b, const torch::Tensor& x) { return b.forward(x); });
    EXPECT_FALSE(model::normReluFused(bn, cl));  // synchronised batch norm keeps its own path
  }
  bn->eval();
  EXPECT_FALSE(model::normReluFused(bn, cl));  // running statistics: LibTorch's inference path
  // The fallback gives the same result as the modules' own ops.
  auto expected = torch::relu(bn(cl.contiguous()));
  EXPECT_TRUE(torch::equal(model::normRelu(bn, cl.contiguous()), expected));
}

TEST(BatchNormRelu, TheResidualTowersTrainThroughTheFusedKernel) {
  // Every batch norm of tiny (stem, blocks, both heads) in a channels-last bf16 training
  // step runs fused: the autograd graph holds BatchNormRelu nodes and no LibTorch batch norm.
  model::ModelConfig config;
  config.preset = "tiny";
  config.boardSize = 5;
  auto net = model::makeNetwork(config);
  model::placeParameters(*net, true, false);
  net->train();
  auto x = torch::rand({8, 3, 5, 5}).contiguous(at::MemoryFormat::ChannelsLast);
  torch::Tensor policy, value;
  {
    compat::AutocastScope autocast(false, true);
    std::tie(policy, value) = net->forward(x);
  }
  int fused = 0, plain = 0;
  std::set<torch::autograd::Node*> seen;
  std::function<void(const std::shared_ptr<torch::autograd::Node>&)> walk = [&](const auto& node) {
    if (!node || !seen.insert(node.get()).second) return;
    std::string name = node->name();
    fused += name.find("BatchNormRelu") != std::string::npos;
    plain += name.find("NativeBatchNormBackward") != std::string::npos;
    for (const auto& edge : node->next_edges()) walk(edge.function);
  };
  walk(policy.grad_fn());
  walk(value.grad_fn());
  EXPECT_EQ(fused, 7);
  EXPECT_EQ(plain, 0);
}
