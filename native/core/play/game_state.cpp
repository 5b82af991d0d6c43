#include "play/game_state.h"

#include <string>

#include "util/error.h"

namespace hextorch::play {

void GameState::play(int cell) {
  if (over()) {
    throw Error(ErrorCode::InvalidArgument,
                "the game is over (" + std::string(hex::playerName(*winner_)) + " has connected); no more moves");
  }
  if (cell < 0 || cell >= cells()) {
    throw Error(ErrorCode::InvalidArgument, "move " + std::to_string(cell) + " is off the " + std::to_string(size()) +
                                                "x" + std::to_string(size()) + " board");
  }
  if (!board_.isEmpty(cell)) {
    throw Error(ErrorCode::InvalidArgument, "cell " + hex::cellName(size(), cell) + " is occupied");
  }
  hex::Player mover = toMove();
  board_.place(cell, mover);
  moves_.push_back(static_cast<uint16_t>(cell));
  if (board_.hasConnected(mover)) winner_ = mover;
}

std::vector<int> GameState::emptyCells() const {
  std::vector<int> out;
  for (int i = 0; i < cells(); ++i)
    if (board_.isEmpty(i)) out.push_back(i);
  return out;
}

GameState GameState::fromMoves(int size, const std::vector<uint16_t>& moves) {
  GameState state(size);
  for (size_t k = 0; k < moves.size(); ++k) {
    try {
      state.play(moves[k]);
    } catch (const Error& e) {
      throw Error(ErrorCode::InvalidArgument, "move " + std::to_string(k + 1) + ": " + e.what());
    }
  }
  return state;
}

}  // namespace hextorch::play
