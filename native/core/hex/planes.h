// The model's input planes (HEX.md): plane 0 holds the Blue stones, plane 1 the Red
// stones (1.0 where present), plane 2 is constant: 0.0 when Blue is to move, 1.0 when
// Red is. The one definition used by the data stream, predict() and the players.
#pragma once
#include <algorithm>
#include <cstdint>

#include "hex/board.h"

namespace hextorch::hex {

constexpr int kInputPlanes = 3;

// The plane of a colour's stones inside one position's planes (`cells` = N*N).
inline float* stonePlane(float* planes, int cells, Player colour) {
  return planes + (colour == Player::Blue ? 0 : cells);
}

// Zeroes both stone planes, before the stones are set.
inline void clearStonePlanes(float* planes, int cells) { std::fill(planes, planes + 2 * cells, 0.0f); }

// Writes the player-to-move plane.
inline void setPlayerToMove(float* planes, int cells, Player toMove) {
  std::fill(planes + 2 * cells, planes + 3 * cells, toMove == Player::Red ? 1.0f : 0.0f);
}

// Writes one position (cells: 0 empty, 1 Blue, 2 Red) as kInputPlanes*cells floats.
inline void encodePlanes(int cells, const uint8_t* board, Player toMove, float* planes) {
  clearStonePlanes(planes, cells);
  float* blue = stonePlane(planes, cells, Player::Blue);
  float* red = stonePlane(planes, cells, Player::Red);
  for (int i = 0; i < cells; ++i) {
    if (board[i] == 1)
      blue[i] = 1.0f;
    else if (board[i] == 2)
      red[i] = 1.0f;
  }
  setPlayerToMove(planes, cells, toMove);
}

}  // namespace hextorch::hex
