// The precision `auto` picks (runtime/precision.h) and the loss stated once (train/loss.h).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "runtime/precision.h"
#include "train/loss.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace hextorch;

TEST(Precision, ExplicitOptionsAreKeptAndOthersRejectedByName) {
  for (bool cuda : {false, true}) {
    EXPECT_FALSE(runtime::choosePrecision("fp32", cuda).bf16);
    EXPECT_EQ(runtime::choosePrecision("fp32", cuda).precision, "fp32");
    EXPECT_TRUE(runtime::choosePrecision("bf16", cuda).bf16);
    EXPECT_EQ(runtime::choosePrecision("bf16", cuda).reason, "asked for");
  }
  try {
    runtime::choosePrecision("fp16", false);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("precision 'fp16' is not one of auto, fp32, bf16"), std::string::npos);
  }
}

// auto on the CPU: bf16 exactly where the CPU has avx512_bf16 or amx_bf16, with the flags
// found named in the reason; a trainer resolves it the same way.
TEST(Precision, AutoOnTheCpuFollowsTheCpusBf16Flags) {
  auto flags = runtime::cpuBf16Flags();
  for (const auto& f : flags) EXPECT_TRUE(f == "avx512_bf16" || f == "amx_bf16") << f;
  auto choice = runtime::choosePrecision("auto", false);
  EXPECT_EQ(choice.bf16, !flags.empty());
  EXPECT_EQ(choice.precision, flags.empty() ? "fp32" : "bf16");
  for (const auto& f : flags) EXPECT_NE(choice.reason.find(f), std::string::npos) << choice.reason;
  EXPECT_NE(choice.reason.find("the rule"), std::string::npos) << choice.reason;

  train::TrainerOptions o;
  o.boardSize = 5;
  o.device = "cpu";
  o.threads = 1;
  train::Trainer trainer(o);
  EXPECT_EQ(trainer.precision(), choice.precision);
  EXPECT_EQ(trainer.precisionReason(), choice.reason);
  o.precision = "fp32";
  EXPECT_EQ(train::Trainer(o).precision(), "fp32");
}

TEST(Loss, MeansAndTheCombinedLossOfSums) {
  train::MetricSums s;
  s.policyLoss = 6, s.policyCount = 3, s.policyCorrect = 2;
  s.valueLoss = 2, s.valueCorrect = 3, s.samples = 4, s.batches = 1;
  train::MetricMeans m = train::summarize(s, 0.15, 0.85);
  EXPECT_DOUBLE_EQ(m.policyLoss, 2.0);
  EXPECT_DOUBLE_EQ(m.valueLoss, 0.5);
  EXPECT_DOUBLE_EQ(m.loss, 0.15 * 2.0 + 0.85 * 0.5);
  EXPECT_DOUBLE_EQ(m.policyAccuracy, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.valueAccuracy, 0.75);
  // The step's loss on tensors is the same function of the same sums.
  auto onTensors = train::combinedLoss(0.15, 0.85, torch::tensor(6.0, torch::kFloat64), torch::tensor(int64_t{3}),
                                       torch::tensor(2.0, torch::kFloat64), 4.0);
  EXPECT_DOUBLE_EQ(onTensors.item<double>(), m.loss);
  // No positions with a policy target (final positions only): the policy mean is 0.
  s.policyLoss = 0, s.policyCount = 0, s.policyCorrect = 0;
  m = train::summarize(s, 0.15, 0.85);
  EXPECT_EQ(m.policyLoss, 0.0);
  EXPECT_EQ(m.policyAccuracy, 0.0);
  EXPECT_DOUBLE_EQ(m.loss, 0.85 * 0.5);
  EXPECT_EQ(train::summarize(train::MetricSums{}, 0.15, 0.85).loss, 0.0);
}
