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

using namespace hextorch;

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fprintf(stderr, "usage: %s DATASET_DIR PRESET BATCH_SIZE BATCHES THREADS WORKERS PRECISION\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1], preset = argv[2], precision = argv[7];
  int batchSize = std::atoi(argv[3]), batches = std::atoi(argv[4]), threads = std::atoi(argv[5]), workers = std::atoi(argv[6]);
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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
