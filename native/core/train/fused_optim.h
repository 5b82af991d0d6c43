// Fused CPU optimiser kernels: one pass over a parameter, its gradient and its state,
// instead of the eight to ten tensor operations (each a full pass, some allocating) that
// torch::optim takes per parameter. Same formulas as torch::optim::Adam, AdamW and SGD
// (LibTorch 1.13 and 2.x), evaluated in float. Deterministic: the result depends on the
// inputs only, not on the number of threads, so resumed runs stay bit-identical.
// No LibTorch here: the trainer hands over raw pointers to dense float32 storage.
#pragma once
#include <cstdint>

namespace hextorch::train::fused {

struct AdamStep {
  double lr = 1e-3;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  float weightDecay = 0;
  bool decoupled = false;  // AdamW: p *= 1 - lr*wd before the update; Adam: g += wd*p
  int64_t step = 1;        // the step being taken (1 for the first)
  float gradScale = 1;     // gradient clipping's factor, applied as the gradient is read
};

// p, m (exp_avg), v (exp_avg_sq): updated in place; g is read only.
void adam(float* p, const float* g, float* m, float* v, int64_t n, const AdamStep& s);

struct SgdStep {
  double lr = 1e-2;
  float momentum = 0, dampening = 0, weightDecay = 0;
  bool firstStep = false;  // the momentum buffer starts as the first step's gradient
  float gradScale = 1;
};

// buffer may be null when momentum is 0.
void sgd(float* p, const float* g, float* buffer, int64_t n, const SgdStep& s);

// Sum of squares in double over fixed-size chunks added in order: the same bits
// whatever the thread count.
double sumOfSquares(const float* x, int64_t n);

// bf16 gradients (bf16 autocast training on CPU, train/weight_copies.h): g holds bf16 bit
// patterns, widened exactly to float as they are read, so each step gives the same bits as
// the float overloads given the widened gradient. `copy` (bf16 bit patterns, same layout as
// p) receives the updated parameter rounded to nearest even, as at::_to_copy rounds.
void adam(float* p, const uint16_t* g, float* m, float* v, int64_t n, const AdamStep& s, uint16_t* copy);
void sgd(float* p, const uint16_t* g, float* buffer, int64_t n, const SgdStep& s, uint16_t* copy);
double sumOfSquares(const uint16_t* x, int64_t n);

}  // namespace hextorch::train::fused
