// The pure C++ training loop the TypeScript Trainer is compared against: same data
// stream, model and batch size, no N-API or JS in between. Prints one JSON line.
//
//   hextorch_bench_train DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION [MEMORY_FORMAT]
//
// Besides the wall-clock rate it prints the process CPU time per sample, which stays
// comparable on a machine shared with other work.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "data/batch_stream.h"
#include "train/trainer.h"
#include "util/serial_executor.h"

using namespace hextorch;

namespace {

int trainLoop(const std::string& dir, const std::string& preset, int batchSize, int batches, int threads, int workers,
              const std::string& precision, const std::string& memoryFormat) {
  try {
    auto dataset = data::Dataset::open(dir, data::Split::Train);
    data::StreamOptions s;
    s.batchSize = batchSize;
    s.workers = workers;
    data::BatchStream stream(dataset, s);
    train::TrainerOptions o;
    o.preset = preset;
    o.boardSize = dataset->boardSize();
    o.device = "cpu";
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
    trainer.takeTrainMetrics();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpuSeconds = cpuNow() - cpuStart;
    std::printf(
        "{\"samples\":%ld,\"seconds\":%.4f,\"samplesPerSecond\":%.1f,\"cpuSeconds\":%.4f,\"memoryFormat\":\"%s\",\"precision\":\"%s\"}\n",
        samples, seconds, samples / seconds, cpuSeconds, trainer.memoryFormat().c_str(), trainer.precision().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: %s DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION [MEMORY_FORMAT]\n", argv[0]);
    return 2;
  }
  int status = 0;
  // On a dedicated thread, as the addon runs every trainer call (the main thread's
  // OpenMP team measured ~12 % slower here).
  SerialExecutor executor;
  executor.run([&] {
    status = trainLoop(argv[1], argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]), argv[7],
                       argc > 8 ? argv[8] : "auto");
  });
  return status;
}
