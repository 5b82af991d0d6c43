// Counter-based randomness: every random choice is a pure function of (seed, keys),
// so any position of any epoch can be recomputed without replaying what came before.
#pragma once
#include <cstdint>

namespace hextorch {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

inline uint64_t mixKeys(uint64_t a, uint64_t b) { return splitmix64(a ^ splitmix64(b)); }
inline uint64_t mixKeys(uint64_t a, uint64_t b, uint64_t c) { return mixKeys(mixKeys(a, b), c); }
inline uint64_t mixKeys(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { return mixKeys(mixKeys(a, b, c), d); }

// A small sequential generator for places where order is fixed (game generation,
// import shuffles): seeded, portable, identical on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix64(state_++); }
  // Uniform in [0, bound) without modulo bias worth caring about for bound << 2^64.
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t state_;
};

}  // namespace hextorch
