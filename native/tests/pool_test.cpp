// The networks' global average pooling against LibTorch's mean: same values and
// gradients, bit for bit, and a gradient in the input's memory format.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/pool.h"

using hextorch::model::globalAveragePool;

namespace {

void compareWithMean(torch::ScalarType dtype, at::MemoryFormat format) {
  torch::manual_seed(5);
  auto base = torch::randn({6, 5, 7, 7}).to(dtype).contiguous(format);
  auto weights = torch::randn({6, 5}).to(dtype);
  auto a = base.clone().requires_grad_(true), b = base.clone().requires_grad_(true);
  auto pooled = globalAveragePool(a);
  auto reference = b.mean({2, 3});
  EXPECT_TRUE(torch::equal(pooled, reference));
  (pooled * weights).sum().backward();
  (reference * weights).sum().backward();
  EXPECT_TRUE(torch::equal(a.grad(), b.grad()));
  EXPECT_TRUE(a.grad().is_contiguous(format)) << "gradient strides " << a.grad().strides();
  EXPECT_FALSE(torch::equal(a.grad(), torch::zeros_like(a.grad())));
}

}  // namespace

TEST(GlobalAveragePool, MatchesMeanInFloat32ChannelsLast) {
  compareWithMean(torch::kFloat32, at::MemoryFormat::ChannelsLast);
}
TEST(GlobalAveragePool, MatchesMeanInBfloat16ChannelsLast) {
  compareWithMean(torch::kBFloat16, at::MemoryFormat::ChannelsLast);
}
TEST(GlobalAveragePool, MatchesMeanInFloat32Contiguous) {
  compareWithMean(torch::kFloat32, at::MemoryFormat::Contiguous);
}

TEST(GlobalAveragePool, WithoutGradientsIsPlainMean) {
  torch::NoGradGuard noGrad;
  auto x = torch::randn({2, 3, 4, 4}).requires_grad_(true);
  auto y = globalAveragePool(x);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(torch::equal(y, x.mean({2, 3})));
}
