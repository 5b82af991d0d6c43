#include "train/trainer.h"

#include <torch/torch.h>
#include <ATen/record_function.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "dist/data_parallel.h"
#include "export/weights.h"
#include "model/networks.h"
#include "runtime/info.h"
#include "runtime/precision.h"
#include "train/fused_optim.h"
#include "train/loss.h"
#include "train/torch_compat.h"
#include "train/weight_copies.h"
#include "util/crc32c.h"
#include "util/error.h"
#include "util/memory.h"
#include "util/random.h"

#ifdef HEXTORCH_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#endif

namespace hextorch::train {
namespace {

constexpr int64_t kNoPolicyTarget = -1;

// Accumulator slots, kept on the device so a step never waits for the host.
enum Slot { PolicyLoss, PolicyCount, PolicyCorrect, ValueLoss, ValueCorrect, SlotCount };

torch::Device parseDevice(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name == "cuda" || name.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw Error(ErrorCode::InvalidArgument,
                  "device '" + name + "' was asked for but CUDA is not available to this LibTorch");
    }
    int index = name == "cuda" ? 0 : std::atoi(name.c_str() + 5);
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count())) {
      throw Error(ErrorCode::InvalidArgument,
                  "device '" + name + "': there are " + std::to_string(torch::cuda::device_count()) + " CUDA devices");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw Error(ErrorCode::InvalidArgument, "device '" + name + "' is not one of auto, cpu, cuda, cuda:N");
}

model::ModelConfig modelConfig(const TrainerOptions& o) {
  model::ModelConfig c;
  c.preset = o.preset;
  c.boardSize = o.boardSize;
  c.blocks = o.blocks;
  c.channels = o.channels;
  c.dropout = o.dropout;
  return c;
}

// Rethrows LibTorch errors as hextorch errors without the C++ backtrace.
template <typename F>
auto guarded(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::Internal, what + ": " + e.what_without_backtrace());
  }
}

}  // namespace

struct Trainer::Impl {
  TrainerOptions options;
  torch::Device device{torch::kCPU};
  bool cuda = false;
  bool bf16 = false;
  runtime::PrecisionChoice precision;  // bf16 and the reason for it
  bool channelsLast = false;
  std::shared_ptr<model::NetworkImpl> net;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<double> baseLearningRates;
  std::vector<torch::Tensor> parameters;
  // bf16 copies of the convolution and linear weights (CPU bf16, one process); null otherwise.
  std::unique_ptr<WeightCopies> weightCopies;
  int64_t step = 0, samples = 0;
  double stepSeconds = 0;
  std::unique_ptr<dist::DataParallel> dataParallel;  // set for data-parallel training
  std::atomic<bool> stopRequested{false};
  bool stopAgreed = false;

  torch::Tensor trainSums, evalSums, nonFiniteStep;
  int64_t trainSamples = 0, trainBatches = 0, evalSamples = 0, evalBatches = 0;

  double scheduleFactor(int64_t s) const {
    const ScheduleOptions& sc = options.schedule;
    if (s < sc.warmupSteps) return static_cast<double>(s + 1) / static_cast<double>(sc.warmupSteps);
    int64_t t = s - sc.warmupSteps;
    if (sc.kind == "cosine") {
      double span = static_cast<double>(std::max<int64_t>(1, sc.totalSteps - sc.warmupSteps));
      double progress = std::min(1.0, static_cast<double>(t) / span);
      return sc.minFactor + (1.0 - sc.minFactor) * 0.5 * (1.0 + std::cos(M_PI * progress));
    }
    if (sc.kind == "step" && sc.stepSize > 0) return std::pow(sc.gamma, static_cast<double>(t / sc.stepSize));
    return 1.0;
  }

  void applySchedule() {
    double factor = scheduleFactor(step);
    auto& groups = optimizer->param_groups();
    for (size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(baseLearningRates[g] * factor);
  }

  void makeOptimizer() {
    // Two groups: the trunk and policy head, and the value head with its own factors.
    std::vector<torch::Tensor> value = net->valueHeadParameters();
    std::vector<torch::Tensor> rest;
    for (auto& p : net->parameters()) {
      bool inValue = false;
      for (auto& v : value) inValue = inValue || v.is_same(p);
      if (!inValue) rest.push_back(p);
    }
    double lr = options.learningRate, wd = options.weightDecay;
    double valueLr = lr * options.valueHeadLrFactor, valueWd = wd * options.valueHeadWeightDecayFactor;
    baseLearningRates = {lr, valueLr};
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (options.optimizer == "adam" || options.optimizer == "adamw") {
      bool decoupled = options.optimizer == "adamw";
      auto make = [&](double l, double w) -> std::unique_ptr<torch::optim::OptimizerOptions> {
        if (decoupled)
          return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(l).weight_decay(w));
        return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(l).weight_decay(w));
      };
      groups.emplace_back(rest, make(lr, wd));
      groups.emplace_back(value, make(valueLr, valueWd));
      if (decoupled)
        optimizer = std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(lr).weight_decay(wd));
      else
        optimizer = std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(lr).weight_decay(wd));
    } else if (options.optimizer == "sgd") {
      auto make = [&](double l, double w) {
        return std::make_unique<torch::optim::SGDOptions>(
            torch::optim::SGDOptions(l).momentum(options.momentum).weight_decay(w));
      };
      groups.emplace_back(rest, make(lr, wd));
      groups.emplace_back(value, make(valueLr, valueWd));
      optimizer = std::make_unique<torch::optim::SGD>(
          groups, torch::optim::SGDOptions(lr).momentum(options.momentum).weight_decay(wd));
    } else {
      throw Error(ErrorCode::InvalidArgument, "optimizer '" + options.optimizer + "' is not one of adam, adamw, sgd");
    }
  }

  struct Tensors {
    torch::Tensor planes, policy, value;
  };

  Tensors toDevice(const data::Batch& b) {
    if (b.boardSize != options.boardSize) {
      throw Error(ErrorCode::InvalidArgument, "batch board size " + std::to_string(b.boardSize) +
                                                  " does not match the model's " + std::to_string(options.boardSize));
    }
    int n = b.boardSize;
    // The batch outlives the step (its owner holds it), so CPU tensors alias its memory.
    auto planes = torch::from_blob(const_cast<float*>(b.planes.data()), {b.size, 3, n, n}, torch::kFloat32);
    auto policy = torch::from_blob(const_cast<int64_t*>(b.policy.data()), {b.size}, torch::kInt64);
    auto value = torch::from_blob(const_cast<float*>(b.value.data()), {b.size}, torch::kFloat32);
    if (!cuda) return {planes.contiguous(layout()), policy, value};
    return {planes.pin_memory().to(device, /*non_blocking=*/true).contiguous(layout()),
            policy.pin_memory().to(device, true), value.pin_memory().to(device, true)};
  }

  // Forward pass and loss terms, in fp32 whatever the autocast precision.
  struct Output {
    torch::Tensor loss, policySum, policyCount, policyCorrect, valueSum, valueCorrect;
  };

  Output forwardLoss(const Tensors& t) {
    torch::Tensor logits, v;
    {
      compat::AutocastScope autocast(cuda, bf16);
      WeightCopies::Forward copies(weightCopies.get());
      std::tie(logits, v) = net->forward(t.planes);
    }
    logits = logits.to(torch::kFloat32);
    v = v.to(torch::kFloat32);
    Output o;
    auto hasTarget = t.policy.ge(0);
    o.policySum = torch::nn::functional::cross_entropy(
        logits, t.policy,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum).ignore_index(kNoPolicyTarget));
    o.policyCount = hasTarget.sum();
    o.policyCorrect = (logits.argmax(1).eq(t.policy) & hasTarget).sum();
    auto probabilityRed = (v + 1.0) * 0.5;
    o.valueSum = (probabilityRed - t.value).pow(2).sum();
    o.valueCorrect = (v.gt(0).eq(t.value.gt(0.5))).sum();
    o.loss = combinedLoss(o.policySum, o.policyCount, o.valueSum, static_cast<double>(t.value.size(0)));
    return o;
  }

  // The training loss with this run's weights (train/loss.h states it).
  torch::Tensor combinedLoss(const torch::Tensor& policySum, const torch::Tensor& policyCount,
                             const torch::Tensor& valueSum, double samples) const {
    return train::combinedLoss(options.policyWeight, options.valueWeight, policySum, policyCount, valueSum, samples);
  }

  void accumulate(torch::Tensor& sums, const Output& o) {
    auto values = torch::stack({o.policySum.detach().to(torch::kFloat64), o.policyCount.to(torch::kFloat64),
                                o.policyCorrect.to(torch::kFloat64), o.valueSum.detach().to(torch::kFloat64),
                                o.valueCorrect.to(torch::kFloat64)});
    sums.add_(values);
  }

  at::MemoryFormat layout() const {
    return channelsLast ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  }

  // Gradients start undefined each step, so backward hands its gradient buffers over
  // instead of adding them into zeroed ones (two passes fewer per parameter).
  void clearGradients() {
    for (auto& p : parameters) p.mutable_grad().reset();
    if (weightCopies) weightCopies->clearGradients();
  }

  // A parameter's gradient this step, laid out as the fused kernels walk it (denseLike):
  // its bf16 copy's gradient where the copy received one (`copy` then points at the copy,
  // which the optimiser step writes too), else its own; `dense` is undefined when there is none.
  struct Gradient {
    torch::Tensor dense;
    const torch::Tensor* copy = nullptr;
  };
  Gradient gradientOf(const torch::Tensor& p) const {
    const torch::Tensor* copy = weightCopies ? weightCopies->copyOf(p) : nullptr;
    if (copy && copy->grad().defined()) return {denseLike(copy->grad(), *copy), copy};
    if (!p.grad().defined()) return {};
    return {denseLike(p.grad(), p), nullptr};
  }

  // Clipping to the global gradient norm. CPU: returns the factor, which the fused
  // optimiser step applies as it reads each gradient (no pass of its own). CUDA: scales
  // the gradients in place without .item(), so steps never wait for the host; returns 1.
  float clipGradients() {
    if (options.gradientClip <= 0) return 1.0f;
    RECORD_FUNCTION("hextorch::clip_gradients", std::vector<c10::IValue>());  // a named range in LibTorch's profiler
    if (!cuda) {
      double squares = 0;
      for (auto& p : parameters) {
        Gradient g = gradientOf(p);
        if (!g.dense.defined()) continue;
        squares += g.copy ? fused::sumOfSquares(static_cast<const uint16_t*>(g.dense.data_ptr()), g.dense.numel())
                          : fused::sumOfSquares(g.dense.data_ptr<float>(), g.dense.numel());
      }
      double factor = options.gradientClip / (std::sqrt(squares) + 1e-6);
      return factor < 1.0 ? static_cast<float>(factor) : 1.0f;
    }
    std::vector<torch::Tensor> norms;
    for (auto& p : parameters)
      if (p.grad().defined()) norms.push_back(p.grad().norm(2));
    if (norms.empty()) return 1.0f;
    auto total = torch::stack(norms).norm(2);
    auto factor = (options.gradientClip / (total + 1e-6)).clamp_max(1.0);
    for (auto& p : parameters)
      if (p.grad().defined()) p.grad().mul_(factor);
    return 1.0f;
  }

  // `t` with exactly the strides and type of `like` (a dense parameter or its bf16 copy):
  // the fused kernels walk parameter, gradient and state in one storage order.
  static torch::Tensor denseLike(const torch::Tensor& t, const torch::Tensor& like) {
    if (t.strides() == like.strides() && t.is_non_overlapping_and_dense() && t.scalar_type() == like.scalar_type())
      return t;
    return torch::empty_like(like, at::MemoryFormat::Preserve).copy_(t);
  }

  // The optimiser step. CPU: one fused pass per parameter over the state torch::optim
  // keeps (so checkpoints keep its format). CUDA: LibTorch's own step.
  void optimizerStep(float gradScale) {
    RECORD_FUNCTION("hextorch::optimizer_step", std::vector<c10::IValue>());
    if (cuda) {
      optimizer->step();
      return;
    }
    auto& state = optimizer->state();
    const bool isSgd = options.optimizer == "sgd";
    const bool decoupled = options.optimizer == "adamw";
    for (auto& group : optimizer->param_groups()) {
      for (auto& p : group.params()) {
        const auto [g, copy] = gradientOf(p);
        if (!g.defined()) continue;
        TORCH_CHECK(p.scalar_type() == torch::kFloat32 && p.is_non_overlapping_and_dense(),
                    "parameters must be dense float32");
        // A bf16 gradient is its copy's: the step reads it and writes the copy as well.
        auto* gBf16 = copy ? static_cast<const uint16_t*>(g.data_ptr()) : nullptr;
        auto* copyData = copy ? static_cast<uint16_t*>(copy->data_ptr()) : nullptr;
        auto key = compat::optimizerStateKey(state, p);
        auto found = state.find(key);
        float* data = p.data_ptr<float>();
        if (isSgd) {
          const auto& o = static_cast<const torch::optim::SGDOptions&>(group.options());
          TORCH_CHECK(!o.nesterov(), "nesterov momentum has no fused step");
          fused::SgdStep step;
          step.lr = o.lr();
          step.momentum = static_cast<float>(o.momentum());
          step.dampening = static_cast<float>(o.dampening());
          step.weightDecay = static_cast<float>(o.weight_decay());
          step.gradScale = gradScale;
          float* buffer = nullptr;
          if (o.momentum() != 0) {
            if (found == state.end()) {
              auto fresh = std::make_unique<torch::optim::SGDParamState>();
              fresh->momentum_buffer(torch::empty_like(p, at::MemoryFormat::Preserve));
              found = state.emplace(key, std::move(fresh)).first;
              step.firstStep = true;
            }
            auto& s = static_cast<torch::optim::SGDParamState&>(*found->second);
            s.momentum_buffer(denseLike(s.momentum_buffer(), p));
            buffer = s.momentum_buffer().data_ptr<float>();
          }
          if (copy) {
            fused::sgd(data, gBf16, buffer, p.numel(), step, copyData);
            weightCopies->written(p);
          } else {
            fused::sgd(data, g.data_ptr<float>(), buffer, p.numel(), step);
          }
          continue;
        }
        fused::AdamStep step;
        double lr, wd, eps;
        std::tuple<double, double> betas;
        bool amsgrad;
        if (decoupled) {
          const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
          lr = o.lr(), wd = o.weight_decay(), eps = o.eps(), betas = o.betas(), amsgrad = o.amsgrad();
        } else {
          const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
          lr = o.lr(), wd = o.weight_decay(), eps = o.eps(), betas = o.betas(), amsgrad = o.amsgrad();
        }
        TORCH_CHECK(!amsgrad, "amsgrad has no fused step");
        if (found == state.end()) {
          std::unique_ptr<torch::optim::OptimizerParamState> fresh;
          auto m0 = torch::zeros_like(p, at::MemoryFormat::Preserve),
               v0 = torch::zeros_like(p, at::MemoryFormat::Preserve);
          if (decoupled) {
            auto a = std::make_unique<torch::optim::AdamWParamState>();
            a->step(0), a->exp_avg(m0), a->exp_avg_sq(v0);
            fresh = std::move(a);
          } else {
            auto a = std::make_unique<torch::optim::AdamParamState>();
            a->step(0), a->exp_avg(m0), a->exp_avg_sq(v0);
            fresh = std::move(a);
          }
          found = state.emplace(key, std::move(fresh)).first;
        }
        float *m, *v;
        if (decoupled) {
          auto& s = static_cast<torch::optim::AdamWParamState&>(*found->second);
          s.step(s.step() + 1), step.step = s.step();
          s.exp_avg(denseLike(s.exp_avg(), p)), s.exp_avg_sq(denseLike(s.exp_avg_sq(), p));
          m = s.exp_avg().data_ptr<float>(), v = s.exp_avg_sq().data_ptr<float>();
        } else {
          auto& s = static_cast<torch::optim::AdamParamState&>(*found->second);
          s.step(s.step() + 1), step.step = s.step();
          s.exp_avg(denseLike(s.exp_avg(), p)), s.exp_avg_sq(denseLike(s.exp_avg_sq(), p));
          m = s.exp_avg().data_ptr<float>(), v = s.exp_avg_sq().data_ptr<float>();
        }
        step.lr = lr;
        step.beta1 = static_cast<float>(std::get<0>(betas));
        step.beta2 = static_cast<float>(std::get<1>(betas));
        step.eps = static_cast<float>(eps);
        step.weightDecay = static_cast<float>(wd);
        step.decoupled = decoupled;
        step.gradScale = gradScale;
        if (copy) {
          fused::adam(data, gBf16, m, v, p.numel(), step, copyData);
          weightCopies->written(p);
        } else {
          fused::adam(data, g.data_ptr<float>(), m, v, p.numel(), step);
        }
      }
    }
  }

  MetricSums read(torch::Tensor& sums, int64_t& samplesSeen, int64_t& batches, bool includeNonFinite) {
    auto host = sums.to(torch::kCPU);
    const double* s = host.data_ptr<double>();
    MetricSums m;
    m.policyLoss = s[PolicyLoss];
    m.policyCount = static_cast<int64_t>(s[PolicyCount]);
    m.policyCorrect = static_cast<int64_t>(s[PolicyCorrect]);
    m.valueLoss = s[ValueLoss];
    m.valueCorrect = static_cast<int64_t>(s[ValueCorrect]);
    m.samples = samplesSeen;
    m.batches = batches;
    if (includeNonFinite) {
      m.nonFiniteStep = nonFiniteStep.to(torch::kCPU).item<int64_t>();
      nonFiniteStep.fill_(-1);
    }
    sums.zero_();
    samplesSeen = 0;
    batches = 0;
    return m;
  }
};

Trainer::Trainer(const TrainerOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  guarded("cannot create the trainer", [&] {
    m.device = parseDevice(options.device);
    m.cuda = m.device.is_cuda();
    m.precision = runtime::choosePrecision(options.precision, m.cuda, m.cuda ? m.device.index() : 0);
    m.bf16 = m.precision.bf16;
    int threads =
        options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    runtime::setThreads(threads);
    if (m.cuda)
      at::globalContext().setBenchmarkCuDNN(true);
    else
      keepFreedMemory();

    torch::manual_seed(mixKeys(options.seed, 0x494E4954ULL));
    m.net = model::makeNetwork(modelConfig(options));
    if (!options.initFrom.empty()) interop::loadWeights(*m.net, options.initFrom);
    m.net->to(m.device);
    m.channelsLast = model::useChannelsLast(modelConfig(options), options.memoryFormat, m.cuda, m.bf16);
    model::placeParameters(*m.net, m.channelsLast,
                           model::smallConvolutionsContiguous(options.memoryFormat, m.cuda, m.bf16));
    m.parameters = m.net->parameters();
    m.makeOptimizer();
    if (m.bf16 && !m.cuda && !options.communicator && options.bf16WeightCopies)
      m.weightCopies = std::make_unique<WeightCopies>(*m.net);
    if (options.communicator) {
      m.dataParallel =
          std::make_unique<dist::DataParallel>(options.communicator, *m.net, m.parameters, options.syncBatchNorm);
    }
    auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(m.device);
    m.trainSums = torch::zeros({SlotCount}, f64);
    m.evalSums = torch::zeros({SlotCount}, f64);
    m.nonFiniteStep = torch::full({}, -1, torch::TensorOptions().dtype(torch::kInt64).device(m.device));
  });
}

Trainer::~Trainer() = default;

void Trainer::trainStep(const data::Batch& batch) {
  Impl& m = *impl_;
  auto started = std::chrono::steady_clock::now();
  int64_t stepSamples = batch.size;
  guarded("training step failed", [&] {
    m.net->train();
    // Dropout draws from a generator seeded by (run seed, step): a resumed run draws
    // exactly what an uninterrupted one would. Ranks past 0 mix in their rank.
    uint64_t dropoutSeed = mixKeys(m.options.seed, 0x44524F50ULL, static_cast<uint64_t>(m.step));
    if (m.dataParallel && m.dataParallel->rank() > 0)
      dropoutSeed = mixKeys(dropoutSeed, static_cast<uint64_t>(m.dataParallel->rank()));
    torch::manual_seed(dropoutSeed);
    m.applySchedule();
    Impl::Tensors t = m.toDevice(batch);
    auto syncBatchNorm = m.dataParallel ? m.dataParallel->forwardScope() : nullptr;
    Impl::Output o = m.forwardLoss(t);
    syncBatchNorm.reset();
    if (m.dataParallel) {
      // The loss of the global batch, as one process would compute it, split so that
      // the average over the ranks of the local losses' gradients is its gradient.
      bool finite = torch::isfinite(o.policySum).item<bool>() && torch::isfinite(o.valueSum).item<bool>();
      auto agreed = m.dataParallel->agree(o.policyCount, batch.size, !finite, m.stopRequested.load());
      if (agreed.nonFinite) {
        throw Error(ErrorCode::NonFiniteLoss, "loss is not finite at global batch " + std::to_string(m.step) +
                                                  " (epoch " + std::to_string(batch.epoch) + ", batch " +
                                                  std::to_string(batch.index) + " of the epoch)");
      }
      o.loss = m.combinedLoss(o.policySum, agreed.policyCount, o.valueSum, agreed.samples);
      if (m.dataParallel->worldSize() > 1) o.loss = o.loss * static_cast<double>(m.dataParallel->worldSize());
      stepSamples = static_cast<int64_t>(agreed.samples);
      m.stopAgreed = agreed.stop;
    } else if (!m.cuda) {
      float loss = o.loss.item<float>();  // free on CPU: stop before a bad update
      if (!std::isfinite(loss)) {
        throw Error(ErrorCode::NonFiniteLoss, "loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                                                  " at global batch " + std::to_string(m.step) + " (epoch " +
                                                  std::to_string(batch.epoch) + ", batch " +
                                                  std::to_string(batch.index) + " of the epoch)");
      }
    } else {
      m.nonFiniteStep = torch::where(m.nonFiniteStep.ge(0) | o.loss.isfinite(), m.nonFiniteStep,
                                     torch::full({}, m.step, m.nonFiniteStep.options()));
    }
    m.clearGradients();
    if (m.dataParallel) m.dataParallel->beforeBackward();
    o.loss.backward();
    if (m.dataParallel) m.dataParallel->afterBackward();  // gradients averaged over the ranks
    float gradScale = m.clipGradients();
    m.optimizerStep(gradScale);
    torch::NoGradGuard noGrad;
    m.accumulate(m.trainSums, o);
  });
  ++m.step;
  m.samples += stepSamples;
  m.trainSamples += batch.size;
  ++m.trainBatches;
  m.stepSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void Trainer::requestStop(bool stop) { impl_->stopRequested = stop; }
bool Trainer::stopAgreed() const { return impl_->dataParallel ? impl_->stopAgreed : impl_->stopRequested.load(); }

namespace {
// Metric sums of all ranks (data-parallel), so every rank reports the global figures.
void sumOverRanks(dist::DataParallel* dataParallel, MetricSums& m, const char* what) {
  if (!dataParallel) return;
  double v[6] = {m.policyLoss, static_cast<double>(m.policyCount),  static_cast<double>(m.policyCorrect),
                 m.valueLoss,  static_cast<double>(m.valueCorrect), static_cast<double>(m.samples)};
  dataParallel->sumOverRanks(v, 6, what);
  m.policyLoss = v[0];
  m.policyCount = static_cast<int64_t>(v[1]);
  m.policyCorrect = static_cast<int64_t>(v[2]);
  m.valueLoss = v[3];
  m.valueCorrect = static_cast<int64_t>(v[4]);
  m.samples = static_cast<int64_t>(v[5]);
}
}  // namespace

MetricSums Trainer::takeTrainMetrics() {
  return guarded("cannot read metrics", [&] {
    MetricSums sums = impl_->read(impl_->trainSums, impl_->trainSamples, impl_->trainBatches, true);
    sumOverRanks(impl_->dataParallel.get(), sums, "sum of training metrics");
    if (impl_->dataParallel) impl_->dataParallel->syncBuffers();
    return sums;
  });
}

void Trainer::evaluateBatch(const data::Batch& batch) {
  Impl& m = *impl_;
  guarded("validation step failed", [&] {
    if (batch.size == 0) return;  // a rank's empty share of a short last batch
    torch::NoGradGuard noGrad;
    m.net->eval();
    Impl::Output o = m.forwardLoss(m.toDevice(batch));
    m.accumulate(m.evalSums, o);
  });
  m.evalSamples += batch.size;
  ++m.evalBatches;
}

MetricSums Trainer::takeEvalMetrics() {
  return guarded("cannot read metrics", [&] {
    MetricSums sums = impl_->read(impl_->evalSums, impl_->evalSamples, impl_->evalBatches, false);
    sumOverRanks(impl_->dataParallel.get(), sums, "sum of validation metrics");
    return sums;
  });
}

Prediction Trainer::predict(const float* planes, int count) {
  Impl& m = *impl_;
  return guarded("prediction failed", [&] {
    int n = m.options.boardSize, cells = n * n;
    torch::NoGradGuard noGrad;
    m.net->eval();
    auto input = torch::from_blob(const_cast<float*>(planes), {count, 3, n, n}, torch::kFloat32)
                     .to(m.device)
                     .contiguous(m.layout());
    torch::Tensor logits, v;
    {
      compat::AutocastScope autocast(m.cuda, m.bf16);
      std::tie(logits, v) = m.net->forward(input);
    }
    logits = logits.to(torch::kFloat32);
    auto rawLogits = logits.to(torch::kCPU).contiguous();
    // Occupied cells are never proposed.
    auto occupied = (input.select(1, 0) + input.select(1, 1)).reshape({count, cells}).gt(0.5);
    logits = logits.masked_fill(occupied, -std::numeric_limits<float>::infinity());
    auto probabilities = torch::softmax(logits, 1);
    probabilities = torch::nan_to_num(probabilities, 0.0).masked_fill(occupied, 0.0).to(torch::kCPU).contiguous();
    auto values = v.to(torch::kFloat32).to(torch::kCPU).contiguous();
    Prediction p;
    p.policy.assign(probabilities.data_ptr<float>(), probabilities.data_ptr<float>() + count * cells);
    p.value.assign(values.data_ptr<float>(), values.data_ptr<float>() + count);
    p.logits.assign(rawLogits.data_ptr<float>(), rawLogits.data_ptr<float>() + count * cells);
    return p;
  });
}

namespace {
std::string optionsSignature(const TrainerOptions& o) {
  return o.preset + "/" + std::to_string(o.boardSize) + "/" + std::to_string(o.blocks) + "/" +
         std::to_string(o.channels) + "/" + o.optimizer;
}

// The storages of the CPU tensors a checkpoint holds (weights, buffers, optimiser
// state): they stay put while it is written, so they are hashed without a copy.
std::vector<StableRange> checkpointTensorStorages(model::NetworkImpl& net, torch::optim::Optimizer& optimizer) {
  std::vector<StableRange> out;
  auto add = [&out](const torch::Tensor& t) {
    if (t.defined() && t.device().is_cpu() && t.has_storage() && t.storage().nbytes() > 0)
      out.push_back({t.storage().data(), t.storage().nbytes()});
  };
  for (const auto& t : net.parameters()) add(t);
  for (const auto& t : net.buffers()) add(t);
  for (const auto& entry : optimizer.state()) {
    const auto* state = entry.second.get();
    if (const auto* s = dynamic_cast<const torch::optim::AdamParamState*>(state)) {
      add(s->exp_avg());
      add(s->exp_avg_sq());
      add(s->max_exp_avg_sq());
    } else if (const auto* s = dynamic_cast<const torch::optim::AdamWParamState*>(state)) {
      add(s->exp_avg());
      add(s->exp_avg_sq());
      add(s->max_exp_avg_sq());
    } else if (const auto* s = dynamic_cast<const torch::optim::SGDParamState*>(state)) {
      add(s->momentum_buffer());
    }
  }
  return out;
}
}  // namespace

FileDigest Trainer::save(const std::string& path, const std::string& extra) {
  Impl& m = *impl_;
  FileDigest digest;
  {
    torch::serialize::OutputArchive archive;
    guarded("cannot serialise checkpoint " + path, [&] {
      torch::serialize::OutputArchive modelArchive, optimizerArchive;
      m.net->save(modelArchive);
      m.optimizer->save(optimizerArchive);
      archive.write("model", modelArchive);
      archive.write("optimizer", optimizerArchive);
      archive.write("step", torch::tensor(m.step, torch::kInt64));
      archive.write("samples", torch::tensor(m.samples, torch::kInt64));
      archive.write("signature", c10::IValue(optionsSignature(m.options)));
      archive.write("extra", c10::IValue(extra));
    });
    digest = writeArchiveFile(archive, path, checkpointTensorStorages(*m.net, *m.optimizer));
  }
  // Checkpoints are written between mini-epochs: give back what the steps and the
  // serialisation freed (the archive included), so resident memory stays flat.
  releaseFreeMemory();
  return digest;
}

std::string Trainer::load(const std::string& path, const FileDigest* expected) {
  Impl& m = *impl_;
  try {
    torch::serialize::InputArchive archive;
    readArchiveFile(archive, path, m.device, expected);
    c10::IValue signature, extra;
    archive.read("signature", signature);
    if (signature.toStringRef() != optionsSignature(m.options)) {
      throw Error(ErrorCode::ResumeMismatch, "checkpoint " + path + " was made for model " + signature.toStringRef() +
                                                 ", not " + optionsSignature(m.options));
    }
    torch::serialize::InputArchive modelArchive, optimizerArchive;
    archive.read("model", modelArchive);
    archive.read("optimizer", optimizerArchive);
    m.net->load(modelArchive);
    m.optimizer->load(optimizerArchive);
    torch::Tensor step, samples;
    archive.read("step", step);
    archive.read("samples", samples);
    m.step = step.item<int64_t>();
    m.samples = samples.item<int64_t>();
    archive.read("extra", extra);
    return extra.toStringRef();
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::CorruptData, "checkpoint " + path + " cannot be read: " + e.what_without_backtrace());
  }
}

std::shared_ptr<model::NetworkImpl> Trainer::network() const { return impl_->net; }

TrainerOptions Trainer::checkpointOptions(const std::string& path) {
  std::string signature;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, torch::Device(torch::kCPU));
    c10::IValue value;
    archive.read("signature", value);
    signature = value.toStringRef();
  } catch (const c10::Error& e) {
    throw Error(ErrorCode::CorruptData, "checkpoint " + path + " cannot be read: " + e.what_without_backtrace());
  }
  // The inverse of optionsSignature: preset/boardSize/blocks/channels/optimizer.
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    size_t slash = signature.find('/', start);
    parts.push_back(signature.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 5)
    throw Error(ErrorCode::CorruptData, "checkpoint " + path + " has an unknown model signature '" + signature + "'");
  TrainerOptions o;
  o.preset = parts[0];
  o.boardSize = std::atoi(parts[1].c_str());
  o.blocks = std::atoi(parts[2].c_str());
  o.channels = std::atoi(parts[3].c_str());
  o.optimizer = parts[4];
  return o;
}

TrainerState Trainer::state() const {
  const auto* dp = impl_->dataParallel.get();
  return {impl_->step,
          impl_->samples,
          impl_->baseLearningRates[0] * impl_->scheduleFactor(impl_->step),
          impl_->stepSeconds,
          dp ? dp->bytesPerStep() : 0,
          dp ? dp->waitSeconds() : 0};
}

const TrainerOptions& Trainer::options() const { return impl_->options; }

std::string Trainer::deviceName() const { return impl_->device.str(); }
std::string Trainer::precision() const { return impl_->bf16 ? "bf16" : "fp32"; }
std::string Trainer::precisionReason() const { return impl_->precision.reason; }
std::string Trainer::memoryFormat() const { return impl_->channelsLast ? "channels-last" : "contiguous"; }

int64_t Trainer::parameterCount() const {
  int64_t total = 0;
  for (const auto& p : impl_->net->parameters()) total += p.numel();
  return total;
}

std::string Trainer::weightsDigest() const {
  uint64_t digest = 0x574549474854ULL;
  auto fold = [&](const std::string& name, const torch::Tensor& t) {
    auto host = t.detach().to(torch::kCPU).contiguous();
    uint32_t crc = crc32c(name.data(), name.size());
    crc = crc32c(host.data_ptr(), host.numel() * host.element_size(), crc);
    digest = mixKeys(digest, crc);
  };
  for (const auto& p : impl_->net->named_parameters()) fold(p.key(), p.value());
  for (const auto& b : impl_->net->named_buffers()) fold(b.key(), b.value());
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(digest));
  return text;
}

}  // namespace hextorch::train
