// A collated batch in plain memory, ready to be wrapped as tensors without a copy:
// planes [B,3,N,N] (Blue, Red, player to move), policy [B] (kNoPolicy = none),
// value [B] (0 = Blue won, 1 = Red won).
#pragma once
#include <cstdint>
#include <exception>
#include <vector>

namespace hextorch::data {

struct Batch {
  int size = 0;
  int boardSize = 0;
  uint64_t epoch = 0;
  uint64_t index = 0;  // batch index in its epoch
  std::vector<float> planes;
  std::vector<int64_t> policy;
  std::vector<float> value;
};

}  // namespace hextorch::data
