// The fused CPU optimiser steps against torch::optim's own, step by step.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "train/fused_optim.h"

using namespace hextorch::train;

namespace {

// Five steps of torch::optim and of the fused kernel from the same parameter and
// gradients (one of them with a clipping factor); the parameters must agree to float
// rounding.
template <typename MakeOptimizer, typename FusedStep>
void compare(MakeOptimizer makeOptimizer, FusedStep fusedStep) {
  torch::manual_seed(3);
  const int64_t n = 70001;  // several parallel chunks and a ragged tail
  auto reference = torch::randn({n}).requires_grad_(true);
  auto fusedParam = reference.detach().clone();
  auto optimizer = makeOptimizer(reference);
  std::vector<float> state1(n, 0.0f), state2(n, 0.0f);
  for (int step = 1; step <= 5; ++step) {
    auto grad = torch::randn({n}) * (step == 3 ? 10.0 : 1.0);
    float scale = step == 3 ? 0.25f : 1.0f;
    reference.mutable_grad() = grad * scale;
    optimizer->step();
    fusedStep(fusedParam.data_ptr<float>(), grad.data_ptr<float>(), state1.data(), state2.data(), n, step, scale);
    EXPECT_TRUE(torch::allclose(reference.detach(), fusedParam, 1e-5, 1e-6)) << "step " << step;
  }
  EXPECT_FALSE(torch::equal(reference.detach(), torch::zeros({n})));
}

}  // namespace

TEST(FusedOptimizer, AdamMatchesTorchOptim) {
  compare(
      [](torch::Tensor p) {
        return std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{p},
                                                    torch::optim::AdamOptions(1e-2).weight_decay(1e-2));
      },
      [](float* p, const float* g, float* m, float* v, int64_t n, int step, float scale) {
        fused::AdamStep s;
        s.lr = 1e-2, s.weightDecay = 1e-2f, s.step = step, s.gradScale = scale;
        fused::adam(p, g, m, v, n, s);
      });
}

TEST(FusedOptimizer, AdamWMatchesTorchOptim) {
  compare(
      [](torch::Tensor p) {
        return std::make_unique<torch::optim::AdamW>(std::vector<torch::Tensor>{p},
                                                     torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
      },
      [](float* p, const float* g, float* m, float* v, int64_t n, int step, float scale) {
        fused::AdamStep s;
        s.lr = 1e-2, s.weightDecay = 0.1f, s.decoupled = true, s.step = step, s.gradScale = scale;
        fused::adam(p, g, m, v, n, s);
      });
}

TEST(FusedOptimizer, SgdWithMomentumMatchesTorchOptim) {
  compare(
      [](torch::Tensor p) {
        return std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{p},
                                                   torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-3));
      },
      [](float* p, const float* g, float* buffer, float*, int64_t n, int step, float scale) {
        fused::SgdStep s;
        s.lr = 0.05, s.momentum = 0.9f, s.weightDecay = 1e-3f, s.firstStep = step == 1, s.gradScale = scale;
        fused::sgd(p, g, buffer, n, s);
      });
}

TEST(FusedOptimizer, SumOfSquaresMatchesTheNormAndIgnoresThreadCount) {
  torch::manual_seed(4);
  auto x = torch::randn({123457});
  double a = fused::sumOfSquares(x.data_ptr<float>(), x.numel());
  EXPECT_NEAR(std::sqrt(a), x.norm().item<double>(), 1e-3);
  int threads = at::get_num_threads();
  at::set_num_threads(1);
  double b = fused::sumOfSquares(x.data_ptr<float>(), x.numel());
  at::set_num_threads(threads);
  EXPECT_EQ(a, b);
}

// The vectorised loops must round every element as their scalar tails do: the same
// parameters, gradients and state, updated in one call with the default threads and in
// pieces at odd offsets and lengths on one thread (so each element falls in a vector body
// once and in a scalar tail the other time), give the same bits.
TEST(FusedOptimizer, AdamAndSgdGiveTheSameBitsWhateverTheSplit) {
  torch::manual_seed(5);
  const int64_t n = 100003;
  auto p0 = torch::randn({n}), g = torch::randn({n}), m0 = torch::randn({n}) * 0.1, v0 = torch::rand({n}) * 0.01;
  auto pieces = [&](auto step) {
    int threads = at::get_num_threads();
    at::set_num_threads(1);
    const int64_t lengths[] = {1, 3, 7, 13, 17, 31, 1001};
    int64_t begin = 0;
    for (int i = 0; begin < n; ++i) {
      int64_t len = std::min(n - begin, lengths[i % 7]);
      step(begin, len);
      begin += len;
    }
    at::set_num_threads(threads);
  };
  for (bool decoupled : {false, true}) {
    fused::AdamStep s;
    s.lr = 3e-3, s.weightDecay = 1e-2f, s.decoupled = decoupled, s.step = 7, s.gradScale = 0.5f;
    auto p1 = p0.clone(), m1 = m0.clone(), v1 = v0.clone();
    fused::adam(p1.data_ptr<float>(), g.data_ptr<float>(), m1.data_ptr<float>(), v1.data_ptr<float>(), n, s);
    auto p2 = p0.clone(), m2 = m0.clone(), v2 = v0.clone();
    pieces([&](int64_t b, int64_t len) {
      fused::adam(p2.data_ptr<float>() + b, g.data_ptr<float>() + b, m2.data_ptr<float>() + b, v2.data_ptr<float>() + b,
                  len, s);
    });
    EXPECT_FALSE(torch::equal(p1, p0));
    EXPECT_TRUE(torch::equal(p1, p2)) << "decoupled " << decoupled;
    EXPECT_TRUE(torch::equal(m1, m2));
    EXPECT_TRUE(torch::equal(v1, v2));
  }
  fused::SgdStep s;
  s.lr = 0.05, s.momentum = 0.9f, s.weightDecay = 1e-3f, s.gradScale = 0.75f;
  auto p1 = p0.clone(), b1 = m0.clone();
  fused::sgd(p1.data_ptr<float>(), g.data_ptr<float>(), b1.data_ptr<float>(), n, s);
  auto p2 = p0.clone(), b2 = m0.clone();
  pieces([&](int64_t b, int64_t len) {
    fused::sgd(p2.data_ptr<float>() + b, g.data_ptr<float>() + b, b2.data_ptr<float>() + b, len, s);
  });
  EXPECT_TRUE(torch::equal(p1, p2));
  EXPECT_TRUE(torch::equal(b1, b2));
}

// bf16 gradients (kept bf16 weight copies): the same bits as the float step given the
// exactly widened gradient, and a copy rounded as LibTorch's own cast rounds (also for
// values halfway between two bf16 numbers, and in the scalar tail).
TEST(FusedOptimizer, Bf16GradientsGiveTheFloatStepsBitsAndRoundTheCopyAsToCopy) {
  torch::manual_seed(6);
  const int64_t n = 70001;
  auto p0 = torch::randn({n});
  // Halfway cases: a float whose low 16 bits are exactly 0x8000 must round to even.
  auto halfway = torch::tensor({1.0f + 1.0f / 256.0f, 1.0f + 3.0f / 256.0f, -2.0f - 2.0f / 256.0f - 1.0f / 512.0f});
  p0.narrow(0, 0, 3).copy_(halfway);
  auto gBf16 = torch::randn({n}).to(torch::kBFloat16);
  auto gFloat = gBf16.to(torch::kFloat32);
  auto bits = [](const torch::Tensor& t) { return static_cast<const uint16_t*>(t.data_ptr()); };
  auto m0 = torch::randn({n}) * 0.1, v0 = torch::rand({n}) * 0.01;
  for (bool decoupled : {false, true}) {
    fused::AdamStep s;
    s.lr = 0.0, s.weightDecay = 1e-2f, s.decoupled = decoupled, s.step = 3, s.gradScale = 0.5f;
    for (double lr : {0.0, 3e-3}) {  // lr 0 leaves p as it was: the halfway cases reach the copy
      s.lr = lr;
      auto p1 = p0.clone(), m1 = m0.clone(), v1 = v0.clone();
      fused::adam(p1.data_ptr<float>(), gFloat.data_ptr<float>(), m1.data_ptr<float>(), v1.data_ptr<float>(), n, s);
      auto p2 = p0.clone(), m2 = m0.clone(), v2 = v0.clone();
      auto copy = torch::empty({n}, torch::kBFloat16);
      fused::adam(p2.data_ptr<float>(), bits(gBf16), m2.data_ptr<float>(), v2.data_ptr<float>(), n, s,
                  static_cast<uint16_t*>(copy.data_ptr()));
      SCOPED_TRACE("decoupled " + std::to_string(decoupled) + " lr " + std::to_string(lr));
      EXPECT_TRUE(torch::equal(p1, p2));
      EXPECT_TRUE(torch::equal(m1, m2));
      EXPECT_TRUE(torch::equal(v1, v2));
      EXPECT_TRUE(torch::equal(copy, p2.to(torch::kBFloat16)));
      if (lr > 0) EXPECT_FALSE(torch::equal(p2, p0));
    }
  }
  EXPECT_NE(
      p0.narrow(0, 0, 3).to(torch::kBFloat16).to(torch::kFloat32).sub(p0.narrow(0, 0, 3)).abs().sum().item<float>(), 0);
  for (bool momentum : {false, true}) {
    fused::SgdStep s;
    s.lr = 0.05, s.momentum = momentum ? 0.9f : 0.0f, s.weightDecay = 1e-3f, s.gradScale = 0.75f;
    auto p1 = p0.clone(), b1 = m0.clone();
    fused::sgd(p1.data_ptr<float>(), gFloat.data_ptr<float>(), momentum ? b1.data_ptr<float>() : nullptr, n, s);
    auto p2 = p0.clone(), b2 = m0.clone();
    auto copy = torch::empty({n}, torch::kBFloat16);
    fused::sgd(p2.data_ptr<float>(), bits(gBf16), momentum ? b2.data_ptr<float>() : nullptr, n, s,
               static_cast<uint16_t*>(copy.data_ptr()));
    EXPECT_TRUE(torch::equal(p1, p2)) << "momentum " << momentum;
    EXPECT_TRUE(torch::equal(b1, b2));
    EXPECT_TRUE(torch::equal(copy, p2.to(torch::kBFloat16)));
  }
  EXPECT_EQ(fused::sumOfSquares(bits(gBf16), n), fused::sumOfSquares(gFloat.data_ptr<float>(), n));
}
