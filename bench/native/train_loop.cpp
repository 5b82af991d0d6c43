// The pure C++ training loop the TypeScript Trainer is compared against: same data
// stream, model and batch size, no N-API or JS in between. Prints one JSON line.
//
//   hextorch_bench_train DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION [MEMORY_FORMAT] [DEVICE]
//                        [WARMUP]           WARMUP: untimed steps first (default 3)
//   hextorch_bench_train --peak THREADS     the machine's practical compute peak, fp32 and
//                                           bf16: the fastest of a large matrix product and
//                                           3x3 convolutions, GFLOP/s, and which it was
//
// Besides the wall-clock rate it prints the process CPU time per sample, which stays
// comparable on a machine shared with other work.
//
// HEXTORCH_BENCH_BF16_WEIGHT_COPIES=0 runs bf16 with autocast's weight casts each step
// instead of the kept bf16 weight copies (train/weight_copies.h), for a before/after in
// alternating fresh processes; the results are bit-identical, only the time differs.
//
// HEXTORCH_BENCH_PROFILE=FILE writes LibTorch's op-by-op profile of the timed steps to FILE
// as a Chrome trace (chrome://tracing, Perfetto); the profiler slows the steps it records.
// A FILE that cannot be written is an error before anything runs.

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include "data/batch_stream.h"
#include "model/networks.h"
#include "model/norm.h"
#include "runtime/info.h"
#include "train/trainer.h"
#include "util/cpu_time.h"
#include "util/serial_executor.h"

using namespace hextorch;

namespace {

int trainLoop(const std::string& dir, const std::string& preset, int batchSize, int batches, int threads, int workers,
              const std::string& precision, const std::string& memoryFormat, const std::string& device, int warmup) {
  try {
    std::ofstream profileFile;
    if (const char* file = std::getenv("HEXTORCH_BENCH_PROFILE")) {
      profileFile.open(file);
      if (!profileFile)
        throw std::runtime_error(std::string("HEXTORCH_BENCH_PROFILE=") + file + ": cannot write it (" +
                                 std::strerror(errno) + ")");
    }
    auto dataset = data::Dataset::open(dir, data::Split::Train);
    data::StreamOptions s;
    s.batchSize = batchSize;
    s.workers = workers;
    data::BatchStream stream(dataset, s);
    train::TrainerOptions o;
    o.preset = preset;
    o.boardSize = dataset->boardSize();
    o.device = device;
    o.threads = threads;
    o.precision = precision;
    o.memoryFormat = memoryFormat;
    const char* copies = std::getenv("HEXTORCH_BENCH_BF16_WEIGHT_COPIES");
    o.bf16WeightCopies = !(copies && std::string(copies) == "0");
    train::Trainer trainer(o);
    // HEXTORCH_BENCH_FUSED_NORM=0: LibTorch's batch norm, add and ReLU instead of the fused
    // bf16 kernel (model/batch_norm_relu.h), for a before/after in alternating processes.
    // An override in scope turns the fusion off (model/norm.h); steps run on this thread.
    const char* fused = std::getenv("HEXTORCH_BENCH_FUSED_NORM");
    std::optional<model::BatchNormOverride> unfused;
    if (fused && std::string(fused) == "0")
      unfused.emplace([](torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) { return bn.forward(x); });
    for (int i = 0; i < warmup; ++i) trainer.trainStep(*stream.next());
    trainer.takeTrainMetrics();
    double cpuStart = processCpuSeconds();
    auto start = std::chrono::steady_clock::now();
    long samples = 0;
    std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
    if (profileFile.is_open()) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(profileFile);
    for (int i = 0; i < batches; ++i) {
      auto batch = stream.next();
      trainer.trainStep(*batch);
      samples += batch->size;
    }
    trainer.takeTrainMetrics();  // reads the device's sums: waits for the last step
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpuSeconds = processCpuSeconds() - cpuStart;
    profile.reset();  // writes the trace
    if (profileFile.is_open() && !profileFile.flush())
      throw std::runtime_error("HEXTORCH_BENCH_PROFILE: the trace could not be written in full");
    std::printf(
        "{\"samples\":%ld,\"seconds\":%.4f,\"samplesPerSecond\":%.1f,\"cpuSeconds\":%.4f,\"memoryFormat\":\"%s\","
        "\"precision\":\"%s\"}\n",
        samples, seconds, samples / seconds, cpuSeconds, trainer.memoryFormat().c_str(), trainer.precision().c_str());
    model::ModelConfig c;
    c.preset = preset;
    c.boardSize = dataset->boardSize();
    std::printf("{\"trainingFlopsPerSample\":%lld}\n", static_cast<long long>(3 * model::forwardFlopsPerSample(c)));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

// The best of five timings of `op` (each repeating it for at least ~50 ms), in GFLOP/s.
template <typename Op>
double bestGflops(double flops, Op op) {
  auto timed = [&](int reps) {
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) op();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  timed(1);  // first call: oneDNN creates its primitive, OpenBLAS its buffers
  int reps = std::max(1, static_cast<int>(0.05 / std::max(1e-6, timed(1))));
  double best = 0;
  for (int i = 0; i < 5; ++i) best = std::max(best, reps * flops / timed(reps) / 1e9);
  return best;
}

// A 2048x2048x2048 product in LibTorch's default threading (OpenBLAS for fp32, oneDNN
// for bf16).
double gemmGflops(torch::ScalarType dtype) {
  auto a = torch::randn({2048, 2048}).to(dtype), b = torch::randn({2048, 2048}).to(dtype);
  return bestGflops(2.0 * 2048 * 2048 * 2048, [&] { torch::mm(a, b); });
}

// A 3x3 "same" convolution forward on 13x13 boards, channels-last, as the networks run
// them (oneDNN): batch 64, `channels` in and out.
double convGflops(torch::ScalarType dtype, int64_t channels) {
  const int64_t batch = 64, n = 13;
  auto x = torch::randn({batch, channels, n, n}).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
  auto w = torch::randn({channels, channels, 3, 3}).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
  double flops = 2.0 * batch * channels * channels * 9 * n * n;
  return bestGflops(flops, [&] { torch::conv2d(x, w, {}, 1, 1); });
}

// The machine's practical peak for one precision: the fastest of a large matrix product
// and 3x3 convolutions at the networks' channel counts. oneDNN's convolutions can beat
// OpenBLAS's SGEMM, so a GEMM-only peak would let utilisation read over 100 %. The matrix
// product's rate is printed on its own too ("<precision>GemmGflops").
void peakFor(const char* name, torch::ScalarType dtype) {
  std::vector<std::pair<std::string, double>> rates = {{"2048^3 matrix product", gemmGflops(dtype)}};
  for (int64_t c : {32, 64, 96, 128, 256})
    rates.emplace_back("3x3 convolution " + std::to_string(c) + " channels 13x13", convGflops(dtype, c));
  size_t best = 0;
  for (size_t i = 0; i < rates.size(); ++i)
    if (rates[i].second > rates[best].second) best = i;
  std::printf("\"%sGflops\":%.1f,\"%sSource\":\"%s\",\"%sMeasured\":{", name, rates[best].second, name,
              rates[best].first.c_str(), name);
  for (size_t i = 0; i < rates.size(); ++i)
    std::printf("%s\"%s\":%.1f", i ? "," : "", rates[i].first.c_str(), rates[i].second);
  std::printf("},\"%sGemmGflops\":%.1f", name, rates[0].second);
}

int peak(int threads) {
  at::set_num_threads(threads);
  std::printf("{");
  peakFor("fp32", torch::kFloat32);
  if (runtime::cpuHasNativeBf16()) {
    std::printf(",");
    peakFor("bf16", torch::kBFloat16);
  }
  std::printf("}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--peak") return peak(std::atoi(argv[2]));
  if (argc < 8) {
    std::fprintf(stderr, "usage: %s DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION [MEMORY_FORMAT]\n",
                 argv[0]);
    return 2;
  }
  int status = 0;
  // On a dedicated thread, as the addon runs every trainer call (the main thread's
  // OpenMP team measured ~12 % slower here).
  SerialExecutor executor;
  executor.run([&] {
    status = trainLoop(argv[1], argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]),
                       argv[7], argc > 8 ? argv[8] : "auto", argc > 9 ? argv[9] : "cpu",
                       argc > 10 ? std::atoi(argv[10]) : 3);
  });
  return status;
}
