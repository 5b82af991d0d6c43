#include <gtest/gtest.h>

#include <torch/torch.h>

#include "data/batch_stream.h"
#include "data/importer.h"
#include "model/networks.h"
#include "test_support.h"
#include "train/trainer.h"
#include "util/error.h"

using namespace hextorch;

namespace {

const std::string& trainerDataset() {
  static testsupport::TempDir dir;
  static bool made = false;
  if (!made) {
    data::GenerateOptions options;
    options.games = 200;
    options.boardSize = 7;
    options.build.outDir = dir.path();
    data::generateDataset(options);
    made = true;
  }
  return dir.path();
}

train::TrainerOptions tinyOptions() {
  train::TrainerOptions o;
  o.preset = "tiny";
  o.boardSize = 7;
  o.device = "cpu";
  o.threads = 2;
  o.seed = 5;
  return o;
}

std::unique_ptr<data::BatchStream> stream() {
  data::StreamOptions s;
  s.batchSize = 32;
  s.workers = 2;
  return std::make_unique<data::BatchStream>(data::Dataset::open(trainerDataset(), data::Split::Train), s);
}

}  // namespace

TEST(Networks, SnowflakeHasTheReferenceParameterCountAndShapes) {
  model::ModelConfig c;
  c.preset = "snowflake";
  c.boardSize = 13;
  auto net = model::makeNetwork(c);
  int64_t total = 0;
  for (const auto& p : net->parameters()) total += p.numel();
  EXPECT_EQ(total, 11283754);
  net->eval();
  torch::NoGradGuard noGrad;
  auto [policy, value] = net->forward(torch::rand({4, 3, 13, 13}));
  EXPECT_EQ(policy.sizes(), (std::vector<int64_t>{4, 169}));
  EXPECT_EQ(value.sizes(), (std::vector<int64_t>{4}));
  EXPECT_TRUE(value.abs().le(1).all().item<bool>());
}

TEST(Networks, ResidualPresetsFollowTheBoardSize) {
  for (const char* preset : {"tiny", "resnet"}) {
    model::ModelConfig c;
    c.preset = preset;
    c.boardSize = 9;
    auto net = model::makeNetwork(c);
    net->eval();
    torch::NoGradGuard noGrad;
    auto [policy, value] = net->forward(torch::rand({2, 3, 9, 9}));
    EXPECT_EQ(policy.size(1), 81);
    EXPECT_EQ(value.size(0), 2);
  }
  model::ModelConfig bad;
  bad.preset = "huge";
  EXPECT_THROW(model::makeNetwork(bad), Error);
}

TEST(Trainer, SaveLoadContinueIsBitIdenticalToNeverStopping) {
  testsupport::TempDir dir;
  auto s1 = stream();
  train::Trainer straight(tinyOptions());
  for (int i = 0; i < 6; ++i) straight.trainStep(*s1->next());

  auto s2 = stream();
  train::Trainer first(tinyOptions());
  for (int i = 0; i < 3; ++i) first.trainStep(*s2->next());
  first.save(dir.file("c.pt"), "{\"note\":1}");
  data::Cursor cursor = s2->cursor();

  train::Trainer second(tinyOptions());
  EXPECT_EQ(second.load(dir.file("c.pt")), "{\"note\":1}");
  auto s3 = stream();
  s3->seek(cursor);
  for (int i = 0; i < 3; ++i) second.trainStep(*s3->next());
  EXPECT_EQ(second.state().step, 6);
  EXPECT_EQ(second.weightsDigest(), straight.weightsDigest());
  EXPECT_NE(second.weightsDigest(), train::Trainer(tinyOptions()).weightsDigest());
}

TEST(Trainer, PoliciesLeaveOutFinalPositionsAndMetricsAddUp) {
  train::Trainer trainer(tinyOptions());
  auto s = stream();
  int64_t samples = 0, withTarget = 0;
  for (int i = 0; i < 4; ++i) {
    auto batch = s->next();
    samples += batch->size;
    for (auto p : batch->policy) withTarget += p >= 0;
    trainer.trainStep(*batch);
  }
  train::MetricSums m = trainer.takeTrainMetrics();
  EXPECT_EQ(m.samples, samples);
  EXPECT_EQ(m.batches, 4);
  EXPECT_EQ(m.policyCount, withTarget);
  EXPECT_LT(withTarget, samples);  // final positions exist and are excluded
  EXPECT_GT(m.policyLoss, 0);
  EXPECT_EQ(m.nonFiniteStep, -1);
  EXPECT_EQ(trainer.takeTrainMetrics().samples, 0);
}

TEST(Trainer, PredictOnlyProposesEmptyCells) {
  train::Trainer trainer(tinyOptions());
  auto batch = stream()->next();
  train::Prediction p = trainer.predict(batch->planes.data(), batch->size);
  for (int j = 0; j < batch->size; ++j) {
    double total = 0;
    for (int i = 0; i < 49; ++i) {
      float probability = p.policy[j * 49 + i];
      bool occupied = batch->planes[j * 147 + i] > 0 || batch->planes[j * 147 + 49 + i] > 0;
      if (occupied) {
        EXPECT_EQ(probability, 0.0f);
      }
      total += probability;
    }
    EXPECT_NEAR(total, 1.0, 1e-4);
    EXPECT_LE(std::abs(p.value[j]), 1.0f);
  }
}

TEST(Trainer, NonFiniteLossStopsWithTheBatchNamed) {
  auto options = tinyOptions();
  options.learningRate = 1e30;
  options.gradientClip = 0;
  train::Trainer trainer(options);
  auto s = stream();
  try {
    for (int i = 0; i < 50; ++i) trainer.trainStep(*s->next());
    FAIL() << "expected a non-finite loss";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::NonFiniteLoss);
    EXPECT_NE(std::string(e.what()).find("global batch"), std::string::npos);
  }
}

// The fused optimiser steps keep their state in torch::optim's containers: every
// optimiser and memory format resume bit-identically through a checkpoint.
TEST(Trainer, EveryOptimizerAndMemoryFormatResumesBitIdentically) {
  for (auto [optimizer, format] :
       {std::pair<const char*, const char*>{"adamw", "contiguous"}, {"sgd", "channels-last"}}) {
    {
      SCOPED_TRACE(std::string(optimizer) + " " + format);
      testsupport::TempDir dir;
      auto options = tinyOptions();
      options.optimizer = optimizer;
      options.memoryFormat = format;
      options.gradientClip = 0.05;  // small enough to clip every step
      auto s1 = stream();
      train::Trainer straight(options);
      EXPECT_EQ(straight.memoryFormat(), format);
      for (int i = 0; i < 4; ++i) straight.trainStep(*s1->next());
      auto s2 = stream();
      train::Trainer first(options);
      for (int i = 0; i < 2; ++i) first.trainStep(*s2->next());
      first.save(dir.file("c.pt"), "null");
      train::Trainer second(options);
      second.load(dir.file("c.pt"));
      for (int i = 0; i < 2; ++i) second.trainStep(*s2->next());
      EXPECT_EQ(second.weightsDigest(), straight.weightsDigest());
      EXPECT_NE(second.weightsDigest(), first.weightsDigest());
    }
  }
}

TEST(Trainer, UnknownMemoryFormatIsRejectedByName) {
  auto options = tinyOptions();
  options.memoryFormat = "nhwc";
  try {
    train::Trainer t(options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("memory format 'nhwc'"), std::string::npos);
  }
}

TEST(Networks, ForwardFlopsFollowTheLayers) {
  model::ModelConfig c;
  c.preset = "tiny";
  c.boardSize = 13;
  // stem 3->32 3x3, four 32->32 3x3 convs, policy 32->32->1 and value 32->32 1x1 on
  // 169 cells; value linear 32->128->1.
  const int64_t cells = 169;
  int64_t expected = 2 * cells * (3 * 32 * 9 + 4 * 32 * 32 * 9 + 32 * 32 + 32 + 32 * 32) + 2 * (32 * 128 + 128);
  EXPECT_EQ(model::forwardFlopsPerSample(c), expected);
  c.preset = "snowflake";
  // The strided stages run on 7x7, 4x4 and 2x2: about 237 MFLOP, not 169 cells throughout.
  EXPECT_GT(model::forwardFlopsPerSample(c), 200'000'000);
  EXPECT_LT(model::forwardFlopsPerSample(c), 260'000'000);
}

TEST(Networks, Bf16PlacementRunsTheSmallestBoardsConvolutionsNchw) {
  model::ModelConfig c;
  c.preset = "snowflake";
  c.boardSize = 13;  // stages at 13, 7, 4 and 2: only the last block pair's 3x3 convolutions switch
  torch::manual_seed(1);
  auto net = model::makeNetwork(c);
  EXPECT_TRUE(model::smallConvolutionsContiguous("auto", false, true));
  EXPECT_FALSE(model::smallConvolutionsContiguous("auto", false, false));
  EXPECT_FALSE(model::smallConvolutionsContiguous("channels-last", false, true));
  EXPECT_FALSE(model::smallConvolutionsContiguous("auto", true, true));
  model::placeParameters(*net, true, true);
  auto params = net->named_parameters();
  auto channelsLast = [&](const std::string& name) {
    const auto& p = params[name];
    return p.is_contiguous(at::MemoryFormat::ChannelsLast) && !p.is_contiguous();
  };
  EXPECT_TRUE(channelsLast("stem.weight"));
  EXPECT_TRUE(channelsLast("blocks.5.conv2.weight"));  // 256 channels on 4x4
  EXPECT_TRUE(params["blocks.6.projection.weight"].is_contiguous(at::MemoryFormat::ChannelsLast));  // 1x1 stays
  for (const char* name :
       {"blocks.6.conv1.weight", "blocks.6.conv2.weight", "blocks.7.conv1.weight", "blocks.7.conv2.weight"}) {
    EXPECT_TRUE(params[name].is_contiguous()) << name;
    EXPECT_FALSE(params[name].is_contiguous(at::MemoryFormat::ChannelsLast)) << name;
  }
  // The forward pass is the same function of the weights whatever the layouts.
  torch::manual_seed(1);
  auto reference = model::makeNetwork(c);
  torch::manual_seed(2);
  auto x = torch::rand({2, 3, 13, 13}).contiguous(at::MemoryFormat::ChannelsLast);
  net->eval(), reference->eval();
  torch::NoGradGuard noGrad;
  EXPECT_TRUE(torch::allclose(net->forward(x).first, reference->forward(x.contiguous()).first, 1e-4, 1e-5));
}

TEST(Trainer, Bf16SnowflakeResumesBitIdentically) {
  testsupport::TempDir dir;
  auto options = tinyOptions();
  options.preset = "snowflake";  // on 7x7 its last two stages run NCHW in bf16
  options.precision = "bf16";
  auto s1 = stream();
  train::Trainer straight(options);
  EXPECT_EQ(straight.precision(), "bf16");
  for (int i = 0; i < 2; ++i) straight.trainStep(*s1->next());
  auto s2 = stream();
  train::Trainer first(options);
  first.trainStep(*s2->next());
  first.save(dir.file("c.pt"), "null");
  train::Trainer second(options);
  second.load(dir.file("c.pt"));
  second.trainStep(*s2->next());
  EXPECT_EQ(second.weightsDigest(), straight.weightsDigest());
  EXPECT_NE(second.weightsDigest(), first.weightsDigest());
}

namespace {
// Weights after `steps` bf16 steps with or without the kept bf16 weight copies, and after
// one more step taken by a fresh trainer (without copies) from the checkpoint they left:
// the second depends on every tensor of the optimiser state as well.
std::pair<std::string, std::string> bf16WeightsAfter(train::TrainerOptions options, bool copies, int steps,
                                                     const std::string& path) {
  options.precision = "bf16";
  options.bf16WeightCopies = copies;
  auto s = stream();
  train::Trainer trainer(options);
  for (int i = 0; i < steps; ++i) trainer.trainStep(*s->next());
  trainer.save(path, "null");
  options.bf16WeightCopies = false;
  train::Trainer resumed(options);
  resumed.load(path);
  resumed.trainStep(*s->next());
  return {trainer.weightsDigest(), resumed.weightsDigest()};
}
}  // namespace

// The kept bf16 weight copies change where the casts happen, not one bit of the result:
// weights and optimiser state after several steps equal autocast's own casts, for every
// optimiser, with clipping in every step.
TEST(Trainer, Bf16WeightCopiesAreBitIdenticalToAutocastsCasts) {
  testsupport::TempDir dir;
  for (const char* optimizer : {"adam", "adamw", "sgd"}) {
    SCOPED_TRACE(optimizer);
    auto options = tinyOptions();
    options.optimizer = optimizer;
    options.gradientClip = 0.05;  // small enough to clip every step
    auto withCopies = bf16WeightsAfter(options, true, 3, dir.file("a.pt"));
    auto without = bf16WeightsAfter(options, false, 3, dir.file("b.pt"));
    EXPECT_EQ(withCopies.first, without.first);
    EXPECT_EQ(withCopies.second, without.second);
    EXPECT_NE(withCopies.first, withCopies.second);
    EXPECT_NE(bf16WeightsAfter(options, true, 1, dir.file("c.pt")).first, withCopies.first);
  }
}
// A load into a trainer that has trained replaces the weights under its bf16 copies: the
// next steps use the loaded weights, as a fresh trainer would.
TEST(Trainer, Bf16WeightCopiesFollowALoad) {
  testsupport::TempDir dir;
  auto options = tinyOptions();
  options.precision = "bf16";
  auto s = stream();
  std::vector<std::shared_ptr<data::Batch>> batches;
  for (int i = 0; i < 3; ++i) batches.push_back(s->next());
  train::Trainer trainer(options);
  trainer.trainStep(*batches[0]);
  trainer.save(dir.file("c.pt"), "null");
  trainer.trainStep(*batches[1]);
  trainer.trainStep(*batches[2]);
  std::string straight = trainer.weightsDigest();
  trainer.load(dir.file("c.pt"));
  EXPECT_NE(trainer.weightsDigest(), straight);
  trainer.trainStep(*batches[1]);
  trainer.trainStep(*batches[2]);
  EXPECT_EQ(trainer.weightsDigest(), straight);
}
