// Plays many games between two players at once, putting the positions every game needs
// evaluated into one forward pass per network per round. Colours alternate (side A is
// Blue in even games) and each pair of games 2k, 2k+1 starts from the same opening: a
// seeded random first move, or the next line of an openings list.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "play/players.h"

namespace hextorch::play {

struct MatchSide {
  PlayerOptions player;
  std::shared_ptr<PositionEvaluator> evaluator;  // null for random
};

struct MatchOptions {
  int games = 2;
  int boardSize = 13;
  int parallel = 16;  // games in play at once
  uint64_t seed = 1;
  bool randomOpening = true;                    // without openings: a seeded random first move
  std::vector<std::vector<uint16_t>> openings;  // pair k plays openings[k % size]
};

struct GameResult {
  int index = 0;
  bool aIsBlue = true;
  int openingMoves = 0;  // moves that came from the opening, not from the players
  std::vector<uint16_t> moves;
  hex::Player winner = hex::Player::Blue;
  bool aWon() const { return (winner == hex::Player::Blue) == aIsBlue; }
};

struct MatchSummary {
  std::vector<GameResult> games;  // finished games, in the order they finished
  bool stopped = false;           // `stop` ended the match early
  double seconds = 0;
  int64_t positionsEvaluated = 0;
  int64_t forwardPasses = 0;
};

// The opening of pair k (games 2k and 2k+1).
std::vector<uint16_t> matchOpening(const MatchOptions& options, int game);

// `onGame` runs on the calling thread as each game ends; `stop` (may be null) is
// checked between rounds: games in progress are dropped, finished ones kept.
MatchSummary runMatch(const MatchOptions& options, const MatchSide& a, const MatchSide& b,
                      const std::function<void(const GameResult&)>& onGame, const std::atomic<bool>* stop);

}  // namespace hextorch::play
