#include "hex/synthetic.h"

#include <cstdlib>

#include "util/random.h"

namespace hextorch::hex {

Game playSyntheticGame(int size, uint64_t seed, uint64_t gameIndex) {
  constexpr int kCandidates = 6;
  Rng rng(mixKeys(seed, 0x47414D45ULL, gameIndex));
  Board board(size);
  Game game;
  game.size = size;
  int cells = size * size;
  double centre = (size - 1) / 2.0;
  for (int k = 0; k < cells; ++k) {
    Player mover = (k % 2 == 0) ? Player::Blue : Player::Red;
    uint8_t own = mover == Player::Blue ? 1 : 2;
    int best = -1;
    double bestScore = -1e9;
    for (int c = 0; c < kCandidates; ++c) {
      int cell = static_cast<int>(rng.below(static_cast<uint64_t>(cells)));
      while (!board.isEmpty(cell)) cell = (cell + 1) % cells;
      int around[6];
      int n = neighbours(size, cell, around);
      double score = 0;
      for (int i = 0; i < n; ++i) {
        uint8_t stone = board.at(around[i]);
        if (stone == own)
          score += 1.0;
        else if (stone != 0)
          score += 0.6;
      }
      double dr = cell / size - centre, dc = cell % size - centre;
      score -= 0.15 * (std::abs(dr) + std::abs(dc));
      score += 1.5 * rng.unit();
      if (score > bestScore) {
        bestScore = score;
        best = cell;
      }
    }
    board.place(best, mover);
    game.moves.push_back(static_cast<uint16_t>(best));
    if (board.hasConnected(mover)) {
      game.winner = mover;
      game.connected = true;
      return game;
    }
  }
  return game;  // unreachable: a full Hex board always has a winner
}

}  // namespace hextorch::hex
