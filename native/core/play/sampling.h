// Draws an index with probability proportional to its weight (temperature sampling of
// moves by the policy and MCTS players). Weights <= 0 are never drawn; -1 when all are.
#pragma once
#include <vector>

#include "util/random.h"

namespace hextorch::play {

inline int sampleByWeight(const std::vector<double>& weights, Rng& rng) {
  double total = 0;
  for (double w : weights)
    if (w > 0) total += w;
  if (!(total > 0)) return -1;
  double r = rng.unit() * total;
  int last = -1;
  for (size_t k = 0; k < weights.size(); ++k) {
    if (weights[k] <= 0) continue;
    last = static_cast<int>(k);
    r -= weights[k];
    if (r < 0) return last;
  }
  return last;  // rounding left r >= 0: the last drawable index
}

}  // namespace hextorch::play
