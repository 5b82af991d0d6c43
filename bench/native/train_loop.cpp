// The pure C++ training loop the TypeScript Trainer is compared against: same data
// stream, model and batch size, no N-API or JS in between. Prints one JSON line.
//
//   hextorch_bench_train DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION [MEMORY_FORMAT] [DEVICE]
//   hextorch_bench_train --peak THREADS     the machine's practical compute peak: large
//                                           fp32 and bf16 matrix products, GFLOP/s
//
// Besides the wall-clock rate it prints the process CPU time per sample, which stays
// comparable on a machine shared with other work.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <torch/torch.h>

#include "data/batch_stream.h"
#include "model/networks.h"
#include "runtime/info.h"
#include "train/trainer.h"
#include "util/serial_executor.h"

using namespace hextorch;

namespace {

int trainLoop(const std::string& dir, const std::string& preset, int batchSize, int batches, int threads, int workers,
              const std::string& precision, const std::string& memoryFormat, const std::string& device) {
  try {
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
    train::Trainer trainer(o);
    const int warmup = 3;
    for (int i = 0; i < warmup; ++i) trainer.trainStep(*stream.next());
    trainer.takeTrainMetrics();
    auto cpuNow = [] {
      timespec t;
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
      return t.tv_sec + t.tv_nsec * 1e-9;
    };
    double cpuStart = cpuNow();
    auto start = std::chrono::steady_clock::now();
    long samples = 0;
    for (int i = 0; i < batches; ++i) {
      auto batch = stream.next();
      trainer.trainStep(*batch);
      samples += batch->size;
    }
    trainer.takeTrainMetrics();  // reads the device's sums: waits for the last step
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpuSeconds = cpuNow() - cpuStart;
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

// GFLOP/s of a 2048x2048x2048 product, best of a few, in LibTorch's default threading
// (OpenBLAS for fp32, oneDNN for bf16): what the machine's matrix units deliver in
// practice to this LibTorch.
double gemmGflops(torch::ScalarType dtype) {
  auto a = torch::randn({2048, 2048}).to(dtype), b = torch::randn({2048, 2048}).to(dtype);
  auto c = torch::mm(a, b);
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    c = torch::mm(a, b);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, 2.0 * 2048 * 2048 * 2048 / s / 1e9);
  }
  return best;
}

int peak(int threads) {
  at::set_num_threads(threads);
  bool bf16 = runtime::cpuHasNativeBf16();
  std::printf("{\"fp32Gflops\":%.1f", gemmGflops(torch::kFloat32));
  if (bf16) std::printf(",\"bf16Gflops\":%.1f", gemmGflops(torch::kBFloat16));
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
                       argv[7], argc > 8 ? argv[8] : "auto", argc > 9 ? argv[9] : "cpu");
  });
  return status;
}
