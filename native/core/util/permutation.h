// A seeded pseudo-random permutation of [0, size) with O(1) random access in both
// directions: a 4-round Feistel network over the next power of four, with cycle walking
// back into range. This is what lets a reader jump to sample k of an epoch without
// materialising the order.
#pragma once
#include <cstdint>
#include <utility>

namespace hextorch {

class Permutation {
 public:
  Permutation(uint64_t size, uint64_t seed);
  uint64_t size() const { return size_; }
  uint64_t operator()(uint64_t index) const;  // index in [0, size)

 private:
  uint64_t round(uint64_t value, int r) const;
  uint64_t encrypt(uint64_t value) const;

  uint64_t size_;
  int halfBits_;
  uint64_t halfMask_;
  uint64_t keys_[4];
};

// Shuffles a vector in place with Fisher-Yates from a seeded generator.
template <typename Vector, typename Rng>
void shuffleInPlace(Vector& values, Rng& rng) {
  for (uint64_t i = values.size(); i > 1; --i) {
    uint64_t j = rng.below(i);
    std::swap(values[i - 1], values[j]);
  }
}

}  // namespace hextorch
