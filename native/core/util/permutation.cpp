#include "util/permutation.h"

#include "util/random.h"

namespace hextorch {

Permutation::Permutation(uint64_t size, uint64_t seed) : size_(size) {
  int bits = 2;
  while (bits < 64 && (uint64_t{1} << bits) < size) bits += 2;
  halfBits_ = bits / 2;
  halfMask_ = (uint64_t{1} << halfBits_) - 1;
  for (int r = 0; r < 4; ++r) keys_[r] = mixKeys(seed, 0x5045524DULL, static_cast<uint64_t>(r));
}

uint64_t Permutation::round(uint64_t value, int r) const { return splitmix64(value ^ keys_[r]) & halfMask_; }

uint64_t Permutation::encrypt(uint64_t value) const {
  uint64_t left = value >> halfBits_;
  uint64_t right = value & halfMask_;
  for (int r = 0; r < 4; ++r) {
    uint64_t next = left ^ round(right, r);
    left = right;
    right = next;
  }
  return (left << halfBits_) | right;
}

uint64_t Permutation::operator()(uint64_t index) const {
  if (size_ <= 1) return 0;
  // The domain is at most 4x the size, so cycle walking takes under 4 steps on average.
  uint64_t value = encrypt(index);
  while (value >= size_) value = encrypt(value);
  return value;
}

}  // namespace hextorch
