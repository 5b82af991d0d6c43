// Players: random, policy (argmax or temperature sampling) and mcts. Each chooses a move
// step by step (start, then collect/deliver rounds until done, then move) so that a
// match can put many games' positions into one forward pass; chooseMove() runs the
// rounds alone. Deterministic for a seed.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "play/game_state.h"
#include "play/mcts.h"
#include "play/position_evaluator.h"

namespace hextorch::play {

enum class PlayerKind { Random, Policy, Mcts };
std::optional<PlayerKind> parsePlayerKind(std::string_view name);
const char* playerKindName(PlayerKind kind);

struct PlayerOptions {
  PlayerKind kind = PlayerKind::Policy;
  double temperature = 0;  // 0: the most likely move (policy) or most visited (mcts); > 0: sample p^(1/T) or N^(1/T)
  MctsOptions mcts;        // mcts only (its seed and temperature come from here)
  uint64_t seed = 1;
};

// What the player saw when it chose its last move.
struct MoveInfo {
  double value = 0;  // expected result for the side that moved, in [-1, 1] (random: 0)
  int playouts = 0;  // mcts: simulations of this move
  int reusedVisits = 0;
  std::vector<std::pair<int, int>> visits;  // mcts: (cell, visits) of the root's children
};

class GamePlayer {
 public:
  // `evaluator` may be null for the random player only.
  static std::unique_ptr<GamePlayer> make(const PlayerOptions& options, int boardSize,
                                          std::shared_ptr<PositionEvaluator> evaluator);
  virtual ~GamePlayer() = default;

  virtual void start(const GameState& state) = 0;
  virtual bool done() const = 0;
  // Appends the positions it needs evaluated next; returns how many.
  virtual int collect(std::vector<PositionRef>& out) = 0;
  virtual void deliver(const float* policy, const float* value, int count) = 0;
  // The chosen move, once done().
  virtual int move() = 0;
  const MoveInfo& info() const { return info_; }

  PositionEvaluator* evaluator() const { return evaluator_.get(); }
  // Chooses a move alone, with its own forward passes.
  int chooseMove(const GameState& state);

 protected:
  explicit GamePlayer(std::shared_ptr<PositionEvaluator> evaluator) : evaluator_(std::move(evaluator)) {}
  std::shared_ptr<PositionEvaluator> evaluator_;
  MoveInfo info_;
};

}  // namespace hextorch::play
