// The pure C++ training loop the TypeScript Trainer is compared against: same data
// stream, model and batch size, no N-API or JS in between. Prints one JSON line.
//
//   hextorch_bench_train DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION
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
              const std::string& precision) {
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
    train::Trainer trainer(o);
    const int warmup = 3;
    for (int i = 0; i < warmup; ++i) trainer.trainStep(*stream.next());
    trainer.takeTrainMetrics();
    auto start = std::chrono::steady_clock::now();
    long samples = 0;
    for (int i = 0; i < batches; ++i) {
      auto batch = stream.next();
      trainer.trainStep(*batch);
      samples += batch->size;
    }
    trainer.takeTrainMetrics();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"samples\":%ld,\"seconds\":%.4f,\"samplesPerSecond\":%.1f}\n", samples, seconds, samples / seconds);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: %s DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION\n", argv[0]);
    return 2;
  }
  int status = 0;
  // On a dedicated thread, as the addon runs every trainer call (the main thread's
  // OpenMP team measured ~12 % slower here).
  SerialExecutor executor;
  executor.run([&] {
    status = trainLoop(argv[1], argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]), argv[7]);
  });
  return status;
}
