// PUCT Monte Carlo tree search with the network's priors and value (AlphaZero style),
// driven step by step: collect() gathers up to K leaves under virtual loss, the caller
// evaluates them in one forward pass (possibly together with other games' leaves) and
// hands the results to deliver(). The tree is kept between moves when the new position
// extends the old root. Deterministic for a seed and batch size when the budget is in
// playouts. No LibTorch here.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "play/game_state.h"
#include "play/position_evaluator.h"
#include "util/random.h"

namespace hextorch::play {

struct MctsOptions {
  int playouts = 200;          // new simulations per move (0: the time budget alone)
  double seconds = 0;          // time budget per move (0: none); not deterministic
  int batch = 8;               // leaves evaluated per forward pass (1: one at a time)
  double cpuct = 1.5;          // exploration constant of PUCT
  double fpuReduction = 0.25;  // unvisited child's value: parent's value minus this
  bool reuseTree = true;
  double dirichletAlpha = 0;  // root noise; 0: none (AlphaZero used 0.03 for Go, ~10/moves)
  double dirichletWeight = 0.25;
  double temperature = 0;  // 0: the most visited move; > 0: sample by visits^(1/T)
  uint64_t seed = 1;
};

struct SearchInfo {
  int playouts = 0;                         // simulations of this search
  int reusedVisits = 0;                     // root visits kept from the previous search
  int forwardBatches = 0;                   // collect/deliver rounds that needed the network
  int collisions = 0;                       // descents that met a leaf already being evaluated
  double rootValue = 0;                     // the side to move's expected result in [-1, 1]
  std::vector<std::pair<int, int>> visits;  // (cell, visits) of the root's children, visited ones
};

class Mcts {
 public:
  Mcts(int boardSize, const MctsOptions& options);
  ~Mcts();

  // Starts a search for the position after `moves`; reuses the subtree when the
  // position follows from the current root.
  void start(const std::vector<uint16_t>& moves);
  // True while the budget is not spent (and the game is not over).
  bool searching() const;
  // Appends up to `max` leaves that need the network (pointers stay valid until deliver).
  int collect(int max, std::vector<PositionRef>& out);
  // Results for the leaves of the last collect, in the same order.
  void deliver(const float* policy, const float* value, int count);
  // The chosen move once the search is done.
  int chooseMove();
  const SearchInfo& info() const { return info_; }
  const MctsOptions& options() const { return options_; }

  // Runs a whole search with `evaluator`, one forward pass per collected batch.
  int search(PositionEvaluator& evaluator, const std::vector<uint16_t>& moves);

  struct Node;

 private:
  void addNoise();
  void backup(const std::vector<Node*>& path, double valueForMover);

  int size_;
  MctsOptions options_;
  std::unique_ptr<Node> root_;
  std::vector<uint16_t> rootMoves_;
  GameState rootState_;
  bool noised_ = false;
  int started_ = 0;   // simulations begun this search
  int finished_ = 0;  // simulations backed up this search
  bool collided_ = false;
  std::chrono::steady_clock::time_point deadline_;
  struct Pending;
  std::vector<Pending> pending_;
  SearchInfo info_;
  Rng rng_;
};

}  // namespace hextorch::play
