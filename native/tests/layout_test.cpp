// model::toMemoryFormat: a layout change whose gradient goes back in the input's layout.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model/layout.h"

using namespace hextorch;

namespace {
bool channelsLastOnly(const torch::Tensor& t) {
  return t.is_contiguous(at::MemoryFormat::ChannelsLast) && !t.is_contiguous();
}
}  // namespace

TEST(Layout, GradientGoesBackInTheInputsLayout) {
  torch::manual_seed(6);
  auto weight = torch::randn({4, 8, 3, 3});
  for (bool fromChannelsLast : {true, false}) {
    auto x = torch::randn({4, 8, 3, 3});
    if (fromChannelsLast) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    x.requires_grad_(true);
    auto to = fromChannelsLast ? at::MemoryFormat::Contiguous : at::MemoryFormat::ChannelsLast;
    auto y = model::toMemoryFormat(x, to);
    EXPECT_TRUE(y.is_contiguous(to));
    EXPECT_TRUE(torch::equal(y, x));
    // A gradient that arrives in the other layout (as the convolutions' backward hands it on).
    y.backward(weight.contiguous(fromChannelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
    EXPECT_EQ(channelsLastOnly(x.grad()), fromChannelsLast) << "from channels-last " << fromChannelsLast;
    EXPECT_TRUE(
        x.grad().is_contiguous(fromChannelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
    EXPECT_TRUE(torch::equal(x.grad(), weight));
  }
  auto same = torch::randn({2, 3, 4, 4}).requires_grad_(true);
  EXPECT_TRUE(model::toMemoryFormat(same, at::MemoryFormat::Contiguous).is_same(same));  // nothing to change
}
