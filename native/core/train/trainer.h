// The LibTorch side of training: one model and optimiser for a whole run, stepped one
// batch at a time. This header keeps LibTorch out of its users (pimpl), so the
// binding compiles without torch/torch.h.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/batch.h"
#include "train/checkpoint_io.h"

namespace hextorch::dist {
class Communicator;
}
namespace hextorch::model {
struct NetworkImpl;
}

namespace hextorch::train {

struct ScheduleOptions {
  std::string kind = "constant";  // constant | cosine | step
  int64_t warmupSteps = 0;
  int64_t totalSteps = 0;  // cosine: steps to decay over
  double minFactor = 0.0;  // cosine: floor, as a fraction of the base LR
  int64_t stepSize = 0;    // step: multiply by gamma every stepSize steps
  double gamma = 0.1;
};

struct TrainerOptions {
  std::string preset = "tiny";
  int boardSize = 13;
  std::string initFrom;  // weights to start from (checkpoint or state dict); empty: fresh initialisation
  int blocks = 0;
  int channels = 0;
  double dropout = 0.1;

  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "auto";  // auto | fp32 | bf16 (runtime/precision.h: what auto picks)
  int threads = 0;                 // CPU intra-op threads; 0: the cores available
  // Activation and convolution weight layout: auto | channels-last | contiguous (NCHW).
  std::string memoryFormat = "auto";

  std::string optimizer = "adam";  // adam | adamw | sgd
  double learningRate = 1e-3;
  double weightDecay = 1e-4;
  double momentum = 0.9;  // sgd
  double valueHeadLrFactor = 1.0;
  double valueHeadWeightDecayFactor = 1.0;
  double gradientClip = 4.0;  // max global norm; 0 disables
  ScheduleOptions schedule;

  double policyWeight = 0.15;
  double valueWeight = 0.85;
  uint64_t seed = 1;

  // bf16 autocast on CPU: keep bf16 copies of the convolution and linear weights, written by
  // the optimiser step, instead of casting each weight every step (train/weight_copies.h).
  // Bit-identical either way; false only to compare the two.
  bool bf16WeightCopies = true;

  // Data-parallel training (dist/): each rank trains on its share of every global batch.
  std::shared_ptr<dist::Communicator> communicator;
  bool syncBatchNorm = false;
};

// Sums over the batches of one call; means are taken by the caller.
struct MetricSums {
  double policyLoss = 0;  // summed cross-entropy over positions with a policy target
  int64_t policyCount = 0;
  int64_t policyCorrect = 0;
  double valueLoss = 0;  // summed squared error of P(Red wins) against the target
  int64_t valueCorrect = 0;
  int64_t samples = 0;
  int64_t batches = 0;
  int64_t nonFiniteStep = -1;  // global step of the first non-finite loss, or -1
};

struct TrainerState {
  int64_t step = 0;     // optimiser steps taken
  int64_t samples = 0;  // training samples seen
  double learningRate = 0;
  double stepSeconds = 0;             // wall time spent inside trainStep, for overhead measurements
  int64_t allReduceBytesPerStep = 0;  // data-parallel: gradient bytes all-reduced per step
  double allReduceWaitSeconds = 0;    // data-parallel: time waiting for gradient all-reduces
};

struct Prediction {
  std::vector<float> policy;  // [count, N*N] probabilities, 0 on occupied cells
  std::vector<float> logits;  // [count, N*N] the network's raw policy logits (no mask)
  std::vector<float> value;   // [count] in [-1, 1], +1 = Red wins
};

class Trainer {
 public:
  explicit Trainer(const TrainerOptions& options);
  ~Trainer();

  void trainStep(const data::Batch& batch);
  // Data-parallel: a stop asked for on any rank takes effect after the same step on
  // every rank. requestStop may be called from any thread.
  void requestStop(bool stop);
  bool stopAgreed() const;
  MetricSums takeTrainMetrics();
  void evaluateBatch(const data::Batch& batch);
  MetricSums takeEvalMetrics();
  Prediction predict(const float* planes, int count);

  // Model, optimiser, counters, options and `extra` (caller's JSON) in one file, flushed;
  // returns its size and SHA-256 (checkpoint_io.h: I/O failures are Io errors, the file
  // is removed).
  FileDigest save(const std::string& path, const std::string& extra);
  // Loads a file written by save(), read once and checked against `expected` when given;
  // returns its `extra`.
  std::string load(const std::string& path, const FileDigest* expected = nullptr);

  // The network, for inference outside training (players, evaluation).
  std::shared_ptr<model::NetworkImpl> network() const;
  // The model options (preset, board size, blocks, channels, optimizer) of a file
  // written by save(); the other options keep their defaults.
  static TrainerOptions checkpointOptions(const std::string& path);

  TrainerState state() const;
  const TrainerOptions& options() const;
  std::string deviceName() const;
  std::string precision() const;
  // Why: the option asked for, or what `auto` found and the rule it applied.
  std::string precisionReason() const;
  // The layout in use: "channels-last" or "contiguous".
  std::string memoryFormat() const;
  int64_t parameterCount() const;
  // Hex digest of every parameter and buffer: equal digests mean identical weights.
  std::string weightsDigest() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hextorch::train
