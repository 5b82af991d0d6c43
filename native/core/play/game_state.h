// A game in progress: the board, who is to move, the moves so far and the winner once
// a player has connected. Blue moves first (HEX.md). No N-API and no LibTorch here.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "hex/board.h"

namespace hextorch::play {

class GameState {
 public:
  explicit GameState(int size) : board_(size) {}

  int size() const { return board_.size(); }
  int cells() const { return board_.size() * board_.size(); }
  const hex::Board& board() const { return board_; }
  hex::Player toMove() const { return moves_.size() % 2 == 0 ? hex::Player::Blue : hex::Player::Red; }
  const std::vector<uint16_t>& moves() const { return moves_; }
  bool over() const { return winner_.has_value(); }
  std::optional<hex::Player> winner() const { return winner_; }

  // True when the cell can be played now (on the board, empty, game not over).
  bool legal(int cell) const { return !over() && cell >= 0 && cell < cells() && board_.isEmpty(cell); }
  // Plays for the side to move; throws InvalidArgument naming the cell when illegal.
  void play(int cell);
  // The board as 0 empty / 1 Blue / 2 Red, one byte per cell.
  const uint8_t* cellBytes() const { return board_.cellData(); }
  // Empty cells in index order.
  std::vector<int> emptyCells() const;

  // Replays moves from the empty board (throws naming the first illegal one).
  static GameState fromMoves(int size, const std::vector<uint16_t>& moves);

 private:
  hex::Board board_;
  std::vector<uint16_t> moves_;
  std::optional<hex::Player> winner_;
};

}  // namespace hextorch::play
