// bf16 as bit patterns (uint16_t), for hand-written vectorised loops: widening is exact
// (a bf16's bits are the upper half of the float's), and narrowing rounds to nearest even
// with NaN as 0x7FC0, as c10::BFloat16 and at::_to_copy do. Branch-free, so that loops
// calling them vectorise.
#pragma once

#include <cstdint>
#include <cstring>

namespace hextorch::bf16 {

inline __attribute__((always_inline)) float toFloat(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline __attribute__((always_inline)) uint16_t fromFloat(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  uint16_t rounded = static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
  return f != f ? static_cast<uint16_t>(0x7FC0) : rounded;
}

}  // namespace hextorch::bf16
