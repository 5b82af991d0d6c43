// Synthetic games for demos, tests and benchmarks: legal play guided by a cheap local
// heuristic (stay near own and opposing stones, keep to the centre), so that games are
// less random than uniform play and a network has something to learn. Deterministic
// for a given (seed, game index).
#pragma once
#include <cstdint>

#include "hex/records.h"

namespace hextorch::hex {

Game playSyntheticGame(int size, uint64_t seed, uint64_t gameIndex);

}  // namespace hextorch::hex
