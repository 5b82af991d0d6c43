// Compiled with -ffp-contract=off (CMakeLists.txt): the vector bodies and the scalar tails
// round alike, so every element gets the same bits whatever the chunk's split and the
// CPU's instruction set.
#include "model/batch_norm_relu.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "util/bf16.h"

#include <cmath>
#include <vector>

namespace hextorch::model {
namespace {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define HEXTORCH_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#define HEXTORCH_INLINE inline __attribute__((always_inline))
#else
#define HEXTORCH_CLONES
#define HEXTORCH_INLINE inline
#endif

// Elements per chunk of rows: the unit of the per-channel sums (fixed, so the sums do not
// depend on the thread count) and of the parallel split.
constexpr int64_t kChunkElements = 16384;

HEXTORCH_INLINE float load(uint16_t v) { return bf16::toFloat(v); }
HEXTORCH_INLINE void store(uint16_t* out, float v) { *out = bf16::fromFloat(v); }

// The kernels walk the tensor as rows of `width` elements (a few rows of channels: the
// per-channel arrays are tiled to that width), so that the inner loops are long enough to
// vectorise well whatever the channel count (32 channels alone left most of the time in
// loop overhead).

// acc[j] += x[i] (centre == nullptr) or (x[i] - centre[j])^2, j = i mod width.
template <typename T>
HEXTORCH_INLINE void sumsOf(const T* __restrict x, int64_t n, int64_t width, const float* __restrict centre,
                            float* __restrict acc) {
  for (int64_t start = 0; start < n; start += width) {
    const T* row = x + start;
    const int64_t len = std::min(width, n - start);
    if (centre) {
      for (int64_t j = 0; j < len; ++j) {
        float d = load(row[j]) - centre[j];
        acc[j] += d * d;
      }
    } else {
      for (int64_t j = 0; j < len; ++j) acc[j] += load(row[j]);
    }
  }
}

// out = relu(x * scale + shift [+ residual]). Branch-free bodies (every load made, selects
// instead of jumps), so that GCC vectorises them.
template <typename T>
HEXTORCH_INLINE void normalise(const T* __restrict x, const T* __restrict residual, T* __restrict out, int64_t n,
                               int64_t width, const float* __restrict scale, const float* __restrict shift) {
  for (int64_t start = 0; start < n; start += width) {
    const int64_t len = std::min(width, n - start);
    const T* xr = x + start;
    T* o = out + start;
    if (residual) {
      const T* rr = residual + start;
      for (int64_t j = 0; j < len; ++j) {
        float v = load(xr[j]) * scale[j] + shift[j] + load(rr[j]);
        store(o + j, v < 0 ? 0.0f : v);  // NaN stays NaN, as with clamp_min
      }
    } else {
      for (int64_t j = 0; j < len; ++j) {
        float v = load(xr[j]) * scale[j] + shift[j];
        store(o + j, v < 0 ? 0.0f : v);
      }
    }
  }
}

// The ReLU's backward: the gradient where the output is positive, as threshold_backward.
template <typename T>
HEXTORCH_INLINE float masked(T grad, T out) {
  float g = load(grad), o = load(out);
  return o <= 0 ? 0.0f : g;
}

// x-hat, the normalised input.
HEXTORCH_INLINE float normalised(float x, float mean, float invstd) { return (x - mean) * invstd; }

// The input's gradient from the masked gradient m: (m - meanG - xhat * meanGX) * gamma * invstd.
HEXTORCH_INLINE float inputGradientOf(float m, float xhat, float meanG, float meanGX, float factor) {
  return (m - meanG - xhat * meanGX) * factor;
}

// The sums of the masked gradient and of it times x-hat (per position j of the width); the
// masked gradient is the residual's gradient, written when asked for.
template <typename T>
HEXTORCH_INLINE void gradientSums(const T* __restrict grad, const T* __restrict out, const T* __restrict x,
                                  T* __restrict residualGrad, int64_t n, int64_t width, const float* __restrict mean,
                                  const float* __restrict invstd, float* __restrict sumG, float* __restrict sumGX) {
  for (int64_t start = 0; start < n; start += width) {
    const int64_t len = std::min(width, n - start);
    const T *g = grad + start, *o = out + start, *xr = x + start;
    for (int64_t j = 0; j < len; ++j) {
      float m = masked(g[j], o[j]);
      sumG[j] += m;
      sumGX[j] += m * normalised(load(xr[j]), mean[j], invstd[j]);
    }
    if (residualGrad)
      for (int64_t j = 0; j < len; ++j) store(residualGrad + start + j, masked(g[j], o[j]));
  }
}

// dx from the masked gradient: read back from `maskedGrad` where the first pass wrote it
// (the residual's gradient, the same bits), which spares reading and masking the gradient
// and the output again; else masked here. (Writing it to dx in the first pass for the
// others measured slower than masking twice.)
template <typename T>
HEXTORCH_INLINE void inputGradient(const T* __restrict grad, const T* __restrict out, const T* __restrict maskedGrad,
                                   const T* __restrict x, T* __restrict dx, int64_t n, int64_t width,
                                   const float* __restrict mean, const float* __restrict invstd,
                                   const float* __restrict meanG, const float* __restrict meanGX,
                                   const float* __restrict factor) {
  for (int64_t start = 0; start < n; start += width) {
    const int64_t len = std::min(width, n - start);
    const T* xr = x + start;
    T* d = dx + start;
    if (maskedGrad) {
      const T* mg = maskedGrad + start;
      for (int64_t j = 0; j < len; ++j)
        store(d + j, inputGradientOf(load(mg[j]), normalised(load(xr[j]), mean[j], invstd[j]), meanG[j], meanGX[j],
                                     factor[j]));
    } else {
      const T *g = grad + start, *o = out + start;
      for (int64_t j = 0; j < len; ++j)
        store(d + j, inputGradientOf(masked(g[j], o[j]), normalised(load(xr[j]), mean[j], invstd[j]), meanG[j],
                                     meanGX[j], factor[j]));
    }
  }
}

// One vectorised clone per instruction set (x86-64-v4: AVX-512 with the 16-bit element
// operations the bf16 conversions need).
#define HEXTORCH_KERNELS(T)                                                                                     \
  HEXTORCH_CLONES void sumsKernel(const T* x, int64_t n, int64_t width, const float* centre, float* acc) {      \
    sumsOf(x, n, width, centre, acc);                                                                           \
  }                                                                                                             \
  HEXTORCH_CLONES void normaliseKernel(const T* x, const T* residual, T* out, int64_t n, int64_t width,         \
                                       const float* scale, const float* shift) {                                \
    normalise(x, residual, out, n, width, scale, shift);                                                        \
  }                                                                                                             \
  HEXTORCH_CLONES void gradientSumsKernel(const T* grad, const T* out, const T* x, T* residualGrad, int64_t n,  \
                                          int64_t width, const float* mean, const float* invstd, float* sumG,   \
                                          float* sumGX) {                                                       \
    gradientSums(grad, out, x, residualGrad, n, width, mean, invstd, sumG, sumGX);                              \
  }                                                                                                             \
  HEXTORCH_CLONES void inputGradientKernel(const T* grad, const T* out, const T* maskedGrad, const T* x, T* dx, \
                                           int64_t n, int64_t width, const float* mean, const float* invstd,    \
                                           const float* meanG, const float* meanGX, const float* factor) {      \
    inputGradient(grad, out, maskedGrad, x, dx, n, width, mean, invstd, meanG, meanGX, factor);                 \
  }
HEXTORCH_KERNELS(uint16_t)
#undef HEXTORCH_KERNELS

// How a [rows, channels] tensor is walked: rows of `width` elements (whole rows of
// channels, at least ~256 elements), grouped into fixed chunks of about kChunkElements.
struct Split {
  int64_t channels, n, width, chunkElements, chunks;
  Split(int64_t rows, int64_t c) : channels(c), n(rows * c) {
    width = c * std::max<int64_t>(1, 256 / c);
    chunkElements = width * std::max<int64_t>(1, kChunkElements / width);
    chunks = (n + chunkElements - 1) / chunkElements;
  }
  // f(chunk, first element, element count) over the chunks, in parallel.
  template <typename F>
  void forChunks(F f) const {
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) f(k, k * chunkElements, std::min(chunkElements, n - k * chunkElements));
    });
  }
  // A per-channel array repeated to the width.
  std::vector<float> tile(const float* perChannel) const {
    std::vector<float> t(width);
    for (int64_t j = 0; j < width; ++j) t[j] = perChannel[j % channels];
    return t;
  }
  // Per-channel totals of the chunks' sums (chunks x width, float), added in a fixed order, in double.
  std::vector<double> total(const std::vector<float>& partial) const {
    std::vector<double> sum(channels, 0.0);
    // Whole rows of channels: an index modulo the channel count per element cost as much as
    // a pass of the kernels (this runs on one thread).
    for (size_t row = 0; row < partial.size(); row += channels)
      for (int64_t c = 0; c < channels; ++c) sum[c] += partial[row + c];
    return sum;
  }
};

template <typename T>
const T* elements(const at::Tensor& t) {
  return reinterpret_cast<const T*>(t.data_ptr());
}
template <typename T>
T* mutableElements(at::Tensor& t) {
  return reinterpret_cast<T*>(t.data_ptr());
}

struct Forward {
  at::Tensor out, mean, invstd;  // mean and invstd: float [C]
};

template <typename T>
Forward forwardImpl(const at::Tensor& x, const at::Tensor& residual, const at::Tensor& weight, const at::Tensor& bias,
                    at::Tensor& runningMean, at::Tensor& runningVar, double eps, double averageFactor) {
  const int64_t channels = x.size(1), rows = x.numel() / channels;
  const Split split(rows, channels);
  const T* xs = elements<T>(x);
  std::vector<float> partial(split.chunks * split.width, 0.0f);
  split.forChunks([&](int64_t k, int64_t first, int64_t count) {
    sumsKernel(xs + first, count, split.width, nullptr, partial.data() + k * split.width);
  });
  std::vector<double> sums = split.total(partial);
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  at::Tensor mean = at::empty({channels}, f32), invstd = at::empty({channels}, f32);
  float* m = mean.data_ptr<float>();
  for (int64_t c = 0; c < channels; ++c) m[c] = static_cast<float>(sums[c] / static_cast<double>(rows));
  std::vector<float> meanTiled = split.tile(m);
  std::fill(partial.begin(), partial.end(), 0.0f);
  split.forChunks([&](int64_t k, int64_t first, int64_t count) {
    sumsKernel(xs + first, count, split.width, meanTiled.data(), partial.data() + k * split.width);
  });
  std::vector<double> squares = split.total(partial);
  std::vector<float> scale(channels), shift(channels);
  float* is = invstd.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  const float* b = bias.data_ptr<float>();
  float* rm = runningMean.data_ptr<float>();
  float* rv = runningVar.data_ptr<float>();
  const double n = static_cast<double>(rows);
  for (int64_t c = 0; c < channels; ++c) {
    is[c] = static_cast<float>(1.0 / std::sqrt(squares[c] / n + eps));
    scale[c] = w[c] * is[c];
    shift[c] = b[c] - m[c] * scale[c];
    rm[c] = static_cast<float>(averageFactor * m[c] + (1 - averageFactor) * rm[c]);
    rv[c] = static_cast<float>(averageFactor * (squares[c] / (n - 1)) + (1 - averageFactor) * rv[c]);
  }
  std::vector<float> scaleTiled = split.tile(scale.data()), shiftTiled = split.tile(shift.data());
  at::Tensor out = at::empty_like(x, at::MemoryFormat::ChannelsLast);
  const T* rs = residual.numel() > 0 ? elements<T>(residual) : nullptr;
  T* os = mutableElements<T>(out);
  split.forChunks([&](int64_t, int64_t first, int64_t count) {
    normaliseKernel(xs + first, rs ? rs + first : nullptr, os + first, count, split.width, scaleTiled.data(),
                    shiftTiled.data());
  });
  return {out, mean, invstd};
}

struct Backward {
  at::Tensor dx, dresidual, dweight, dbias;
};

template <typename T>
Backward backwardImpl(const at::Tensor& grad, const at::Tensor& out, const at::Tensor& x, bool withResidual,
                      const at::Tensor& weight, const at::Tensor& mean, const at::Tensor& invstd) {
  const int64_t channels = x.size(1), rows = x.numel() / channels;
  const Split split(rows, channels);
  const T* gs = elements<T>(grad);
  const T* os = elements<T>(out);
  const T* xs = elements<T>(x);
  const float* is = invstd.data_ptr<float>();
  std::vector<float> meanTiled = split.tile(mean.data_ptr<float>()), invstdTiled = split.tile(is);
  Backward r;
  T* drs = nullptr;
  if (withResidual) {
    r.dresidual = at::empty_like(x, at::MemoryFormat::ChannelsLast);
    drs = mutableElements<T>(r.dresidual);
  }
  std::vector<float> partialG(split.chunks * split.width, 0.0f), partialGX(split.chunks * split.width, 0.0f);
  split.forChunks([&](int64_t k, int64_t first, int64_t count) {
    gradientSumsKernel(gs + first, os + first, xs + first, drs ? drs + first : nullptr, count, split.width,
                       meanTiled.data(), invstdTiled.data(), partialG.data() + k * split.width,
                       partialGX.data() + k * split.width);
  });
  std::vector<double> sumG = split.total(partialG), sumGX = split.total(partialGX);
  auto f32 = at::TensorOptions().dtype(at::kFloat);
  r.dweight = at::empty({channels}, f32);
  r.dbias = at::empty({channels}, f32);
  std::vector<float> meanG(channels), meanGX(channels), factor(channels);
  const float* w = weight.data_ptr<float>();
  for (int64_t c = 0; c < channels; ++c) {
    r.dbias.data_ptr<float>()[c] = static_cast<float>(sumG[c]);
    r.dweight.data_ptr<float>()[c] = static_cast<float>(sumGX[c]);
    meanG[c] = static_cast<float>(sumG[c] / static_cast<double>(rows));
    meanGX[c] = static_cast<float>(sumGX[c] / static_cast<double>(rows));
    factor[c] = w[c] * is[c];
  }
  std::vector<float> meanGTiled = split.tile(meanG.data()), meanGXTiled = split.tile(meanGX.data()),
                     factorTiled = split.tile(factor.data());
  r.dx = at::empty_like(x, at::MemoryFormat::ChannelsLast);
  T* dxs = mutableElements<T>(r.dx);
  split.forChunks([&](int64_t, int64_t first, int64_t count) {
    inputGradientKernel(gs + first, os + first, drs ? drs + first : nullptr, xs + first, dxs + first, count,
                        split.width, meanTiled.data(), invstdTiled.data(), meanGTiled.data(), meanGXTiled.data(),
                        factorTiled.data());
  });
  return r;
}

struct BatchNormRelu : torch::autograd::Function<BatchNormRelu> {
  // residual: empty when there is none; runningMean, runningVar are updated in place.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& residual,
                            const at::Tensor& weight, const at::Tensor& bias, at::Tensor runningMean,
                            at::Tensor runningVar, double eps, double averageFactor) {
    Forward f;
    {
      at::NoGradGuard noGrad;
      f = forwardImpl<uint16_t>(x, residual, weight, bias, runningMean, runningVar, eps, averageFactor);
    }
    ctx->save_for_backward({x, f.out, weight, f.mean, f.invstd});
    ctx->saved_data["residual"] = residual.numel() > 0;
    return f.out;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &out = saved[1], &weight = saved[2], &mean = saved[3], &invstd = saved[4];
    bool withResidual = ctx->saved_data["residual"].toBool();
    if (!grads[0].defined()) return torch::autograd::tensor_list(8);
    at::Tensor grad = grads[0].to(x.scalar_type()).contiguous(at::MemoryFormat::ChannelsLast);
    Backward b = backwardImpl<uint16_t>(grad, out, x, withResidual, weight, mean, invstd);
    return {b.dx, b.dresidual, b.dweight, b.dbias, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

bool channelsLastBf16(const torch::Tensor& t) {
  return t.device().is_cpu() && t.dim() == 4 && t.scalar_type() == at::kBFloat16 &&
         t.is_contiguous(at::MemoryFormat::ChannelsLast);
}

}  // namespace

bool batchNormReluApplies(const torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, const torch::Tensor& residual) {
  const auto& o = bn.options;
  if (!bn.is_training() || !o.track_running_stats() || !o.affine()) return false;
  if (!channelsLastBf16(x) || x.numel() / x.size(1) < 2) return false;
  if (residual.defined() &&
      (!channelsLastBf16(residual) || residual.scalar_type() != x.scalar_type() || residual.sizes() != x.sizes()))
    return false;
  for (const auto* t : {&bn.weight, &bn.bias, &bn.running_mean, &bn.running_var})
    if (!t->defined() || t->scalar_type() != at::kFloat || !t->is_contiguous() || !t->device().is_cpu()) return false;
  return true;
}

torch::Tensor batchNormRelu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, const torch::Tensor& residual) {
  // As BatchNormImplBase::forward: count the batch, then the running average's factor.
  double averageFactor = bn.options.momentum().value_or(0.0);
  {
    torch::NoGradGuard noGrad;
    bn.num_batches_tracked += 1;
  }
  if (!bn.options.momentum().has_value()) averageFactor = 1.0 / bn.num_batches_tracked.item<double>();
  // An empty tensor stands for "no residual" (autograd's functions take no undefined inputs).
  at::Tensor skip = residual.defined() ? residual : at::empty({0}, x.options());
  return BatchNormRelu::apply(x, skip, bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.options.eps(),
                              averageFactor);
}

}  // namespace hextorch::model
