// Batched inference over a loaded network: positions in, policy over the empty cells
// and value out. Eval mode, no gradients, one forward pass per chunk of positions.
// LibTorch stays behind the pimpl so players and the binding compile without it.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hex/board.h"

namespace hextorch::train {
class Trainer;
}

namespace hextorch::play {

struct EvaluatorOptions {
  std::string checkpoint;      // a file written by Trainer::save
  std::string device = "cpu";  // auto | cpu | cuda | cuda:N
  int threads = 0;             // CPU intra-op threads; 0: the cores available
  int maxBatch = 512;          // positions per forward pass at most
};

// One position: cells (0 empty, 1 Blue, 2 Red, N*N bytes) and the player to move.
struct PositionRef {
  const uint8_t* cells;
  hex::Player toMove;
};

struct Evaluations {
  std::vector<float> policy;  // [count, N*N]: softmax over the empty cells, 0 on occupied ones
  std::vector<float> value;   // [count] in [-1, 1], +1 = Red wins
};

class PositionEvaluator {
 public:
  // Loads a checkpoint; the model's preset and size come from the file.
  static std::shared_ptr<PositionEvaluator> load(const EvaluatorOptions& options);
  // Wraps a trainer's network (tests and benchmarks: a fresh seeded model).
  PositionEvaluator(std::shared_ptr<train::Trainer> trainer, int maxBatch);
  ~PositionEvaluator();

  int boardSize() const { return boardSize_; }
  std::string describe() const;  // "resnet 13x13 (3x48), cpu"
  const std::string& preset() const;

  // Evaluates the positions (chunked by maxBatch); thread-safe (one call at a time).
  void evaluate(const std::vector<PositionRef>& positions, Evaluations& out);

  int64_t positionsEvaluated() const { return positions_; }
  int64_t forwardPasses() const { return forwards_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int boardSize_ = 0;
  int maxBatch_ = 512;
  std::mutex mutex_;
  int64_t positions_ = 0, forwards_ = 0;
};

}  // namespace hextorch::play
