// How good is a network on known games: policy top-1/top-5 and cross-entropy, value
// MSE and accuracy, overall and by game phase (ply buckets), and a calibration table of
// the predicted P(Red wins) against the observed rate. Positions come from a dataset
// split, or straight from a record file (no dataset is built).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hex/records.h"
#include "play/position_evaluator.h"

namespace hextorch::play {

struct EvaluateOptions {
  std::string dataDir;  // a dataset directory, or
  std::string split = "validation";
  std::string recordsFile;  // a record file
  hex::RecordFormat format = hex::RecordFormat::Trmph;
  uint64_t maxPositions = 0;  // 0: all
  int batchSize = 256;
  std::vector<int> plyEdges = {0, 10, 20, 30, 40, 60, 80};  // bucket k holds plies [edge k, edge k+1)
};

// Sums; the caller (or the JS layer) turns them into rates.
struct MetricSums {
  int64_t positions = 0;        // all positions (value metrics)
  int64_t policyPositions = 0;  // positions with a next move (policy metrics)
  int64_t top1 = 0;
  int64_t top5 = 0;
  double crossEntropy = 0;       // sum of -ln p(next move), p over the empty cells
  double valueSquaredError = 0;  // sum of (P(Red wins) - outcome)^2, outcome 1 = Red won
  int64_t valueCorrect = 0;      // the sign of the value names the winner
  void add(const MetricSums& o);
};

struct CalibrationBin {
  int64_t count = 0;
  double predictedSum = 0;  // sum of predicted P(Red wins)
  int64_t redWins = 0;
};

struct EvaluateResult {
  int boardSize = 0;
  std::string source;
  int64_t games = 0;  // games read (record files; 0 for datasets)
  MetricSums overall;
  std::vector<int> plyEdges;
  std::vector<MetricSums> byPly;            // one per bucket
  std::vector<CalibrationBin> calibration;  // 10 bins of width 0.1
  double seconds = 0;
};

// One position with its targets.
struct LabelledPosition {
  std::vector<uint8_t> cells;
  hex::Player toMove = hex::Player::Blue;
  int policy = -1;  // next move, -1 for a final position
  uint8_t redWon = 0;
  int ply = 0;
};

// Adds one evaluated position to the sums (used by evaluate and by the tests).
void scorePosition(EvaluateResult& result, const LabelledPosition& position, const float* policy, float value);

// `progress(done, total)` after every batch (total 0 when unknown).
EvaluateResult evaluateNetwork(PositionEvaluator& evaluator, const EvaluateOptions& options,
                               const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace hextorch::play
