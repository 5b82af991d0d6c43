// Compiled with -fno-math-errno and -ffp-contract=off (CMakeLists.txt): the loops
// vectorise (sqrt has no errno to set; its arguments are never negative), and each element
// is rounded the same way in the vector body and the scalar tail.
#include "train/fused_optim.h"

#include <ATen/Parallel.h>

#include "util/bf16.h"

#include <cmath>
#include <type_traits>
#include <vector>

namespace hextorch::train::fused {
namespace {

// Elements per parallel task: large enough that scheduling costs nothing, small enough
// that two cores share a 50k-parameter layer.
constexpr int64_t kGrain = 16384;

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define HEXTORCH_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define HEXTORCH_CLONES
#endif

// Gradients are read as float: float itself, or bf16 widened exactly (util/bf16.h).
// Parameters' bf16 copies are rounded as at::_to_copy rounds (bf16::fromFloat).
inline float widen(float x) { return x; }
inline float widen(uint16_t x) { return bf16::toFloat(x); }

// The loops, written once for both gradient types; `copy` is null in the float case.
template <typename G>
inline __attribute__((always_inline)) void adamLoop(float* __restrict p, const G* __restrict g, float* __restrict m,
                                                    float* __restrict v, uint16_t* __restrict copy, int64_t n,
                                                    float scale, float wd, float decay, float b1, float c1, float b2,
                                                    float c2, float invRootBc2, float eps, float negStepSize) {
  for (int64_t i = 0; i < n; ++i) {
    float pi = p[i] * decay;
    float gi = widen(g[i]) * scale + wd * pi;
    float mi = m[i] * b1 + c1 * gi;
    float vi = v[i] * b2 + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float updated = pi + negStepSize * (mi / (std::sqrt(vi) * invRootBc2 + eps));
    p[i] = updated;
    if constexpr (!std::is_same_v<G, float>) copy[i] = bf16::fromFloat(updated);
  }
}

template <typename G>
inline __attribute__((always_inline)) void sgdLoop(float* __restrict p, const G* __restrict g, float* __restrict buf,
                                                   uint16_t* __restrict copy, int64_t n, float scale, float wd,
                                                   float momentum, float c, bool first, float negLr) {
  constexpr bool withCopy = !std::is_same_v<G, float>;
  if (!buf) {
    for (int64_t i = 0; i < n; ++i) {
      float updated = p[i] + negLr * (widen(g[i]) * scale + wd * p[i]);
      p[i] = updated;
      if constexpr (withCopy) copy[i] = bf16::fromFloat(updated);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    float d = widen(g[i]) * scale + wd * p[i];
    float b = first ? d : buf[i] * momentum + c * d;
    buf[i] = b;
    float updated = p[i] + negLr * b;
    p[i] = updated;
    if constexpr (withCopy) copy[i] = bf16::fromFloat(updated);
  }
}

template <typename T>
inline __attribute__((always_inline)) double squaresLoop(const T* __restrict x, int64_t n) {
  // Eight float lanes summed in double per block keep the error small and vectorise.
  double total = 0;
  for (int64_t i = 0; i < n; i += 256) {
    int64_t end = std::min(n, i + 256);
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = i;
    for (; j + 8 <= end; j += 8)
      for (int k = 0; k < 8; ++k) lanes[k] += widen(x[j + k]) * widen(x[j + k]);
    double block = 0;
    for (int k = 0; k < 8; ++k) block += lanes[k];
    for (; j < end; ++j) block += static_cast<double>(widen(x[j])) * widen(x[j]);
    total += block;
  }
  return total;
}

// One function per element type, each cloned for the vector widths.
#define HEXTORCH_ADAM_RANGE(G)                                                                                      \
  HEXTORCH_CLONES void adamRange(float* p, const G* g, float* m, float* v, uint16_t* copy, int64_t n, float scale,  \
                                 float wd, float decay, float b1, float c1, float b2, float c2, float invRootBc2,   \
                                 float eps, float negStepSize) {                                                    \
    adamLoop(p, g, m, v, copy, n, scale, wd, decay, b1, c1, b2, c2, invRootBc2, eps, negStepSize);                  \
  }                                                                                                                 \
  HEXTORCH_CLONES void sgdRange(float* p, const G* g, float* buf, uint16_t* copy, int64_t n, float scale, float wd, \
                                float momentum, float c, bool first, float negLr) {                                 \
    sgdLoop(p, g, buf, copy, n, scale, wd, momentum, c, first, negLr);                                              \
  }                                                                                                                 \
  HEXTORCH_CLONES double squares(const G* x, int64_t n) { return squaresLoop(x, n); }
HEXTORCH_ADAM_RANGE(float)
HEXTORCH_ADAM_RANGE(uint16_t)
#undef HEXTORCH_ADAM_RANGE

template <typename G>
void adamImpl(float* p, const G* g, float* m, float* v, int64_t n, const AdamStep& s, uint16_t* copy) {
  const double bc1 = 1 - std::pow(static_cast<double>(s.beta1), static_cast<double>(s.step));
  const double bc2 = 1 - std::pow(static_cast<double>(s.beta2), static_cast<double>(s.step));
  const float decay = s.decoupled ? static_cast<float>(1.0 - s.lr * s.weightDecay) : 1.0f;
  const float wd = s.decoupled ? 0.0f : s.weightDecay;
  const float invRootBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float negStepSize = static_cast<float>(-s.lr / bc1);
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    adamRange(p + begin, g + begin, m + begin, v + begin, copy ? copy + begin : nullptr, end - begin, s.gradScale, wd,
              decay, s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, invRootBc2, s.eps, negStepSize);
  });
}

template <typename G>
void sgdImpl(float* p, const G* g, float* buffer, int64_t n, const SgdStep& s, uint16_t* copy) {
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    sgdRange(p + begin, g + begin, buffer ? buffer + begin : nullptr, copy ? copy + begin : nullptr, end - begin,
             s.gradScale, s.weightDecay, s.momentum, 1 - s.dampening, s.firstStep, static_cast<float>(-s.lr));
  });
}

template <typename T>
double sumOfSquaresImpl(const T* x, int64_t n) {
  const int64_t chunks = (n + kGrain - 1) / kGrain;
  std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      int64_t first = c * kGrain;
      partial[c] = squares(x + first, std::min(kGrain, n - first));
    }
  });
  double total = 0;
  for (double v : partial) total += v;
  return total;
}

}  // namespace

void adam(float* p, const float* g, float* m, float* v, int64_t n, const AdamStep& s) {
  adamImpl(p, g, m, v, n, s, nullptr);
}
void adam(float* p, const uint16_t* g, float* m, float* v, int64_t n, const AdamStep& s, uint16_t* copy) {
  adamImpl(p, g, m, v, n, s, copy);
}
void sgd(float* p, const float* g, float* buffer, int64_t n, const SgdStep& s) { sgdImpl(p, g, buffer, n, s, nullptr); }
void sgd(float* p, const uint16_t* g, float* buffer, int64_t n, const SgdStep& s, uint16_t* copy) {
  sgdImpl(p, g, buffer, n, s, copy);
}
double sumOfSquares(const float* x, int64_t n) { return sumOfSquaresImpl(x, n); }
double sumOfSquares(const uint16_t* x, int64_t n) { return sumOfSquaresImpl(x, n); }

}  // namespace hextorch::train::fused
