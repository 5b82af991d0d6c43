// The streaming data loader on its own, and next to a training step, without N-API or
// JS in between. Each mode prints one JSON line.
//
//   hextorch_bench_stream stream DATASET_DIR BATCHES WORKERS BATCH_SIZE
//       consumes BATCHES augmented batches as fast as the readers make them: wall-clock
//       rate, process CPU time per sample and the reader threads' share of it.
//   hextorch_bench_stream digest DATASET_DIR BATCHES BATCH_SIZE [EPOCH BATCH]
//       CRC-32C of BATCHES batches' planes, policy and value from the cursor (EPOCH,
//       BATCH), 0 0 by default: determinism checks across changes to the loader.
//   hextorch_bench_stream train DATASET_DIR PRESET BATCHES THREADS WORKERS FEED
//       training steps of batch 256, where FEED is
//         fixed: one pre-made batch over and over, no loader in the process;
//         idle:  the same pre-made batch while a loader is open with its prefetch queue
//                full (the readers should be asleep);
//         fed:   every step takes the loader's next batch.
//       Prints the step rate, the process CPU time and the reader threads' CPU time.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <torch/torch.h>

#include "data/batch_stream.h"
#include "train/trainer.h"
#include "util/cpu_time.h"
#include "util/crc32c.h"
#include "util/serial_executor.h"

using namespace hextorch;

namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::shared_ptr<data::Dataset> openTrain(const std::string& dir) {
  return data::Dataset::open(dir, data::Split::Train);
}

int streamRate(const std::string& dir, int batches, int workers, int batchSize) {
  data::StreamOptions s;
  s.batchSize = batchSize;
  s.workers = workers;
  data::BatchStream stream(openTrain(dir), s);
  stream.next();  // the first group is read
  double cpu0 = processCpuSeconds(), readers0 = stream.readerCpuSeconds();
  auto start = std::chrono::steady_clock::now();
  long samples = 0;
  for (int i = 0; i < batches; ++i) samples += stream.next()->size;
  double seconds = since(start);
  double cpu = processCpuSeconds() - cpu0, readers = stream.readerCpuSeconds() - readers0;
  std::printf(
      "{\"samples\":%ld,\"seconds\":%.4f,\"samplesPerSecond\":%.1f,\"cpuSeconds\":%.4f,\"readerCpuSeconds\":%.4f,"
      "\"cpuNsPerSample\":%.2f,\"readerCpuNsPerSample\":%.2f}\n",
      samples, seconds, samples / seconds, cpu, readers, cpu / samples * 1e9, readers / samples * 1e9);
  return 0;
}

int digest(const std::string& dir, int batches, int batchSize, data::Cursor from) {
  data::StreamOptions s;
  s.batchSize = batchSize;
  s.workers = 2;
  data::BatchStream stream(openTrain(dir), s);
  stream.seek(from);
  uint32_t planes = 0, policy = 0, value = 0;
  for (int i = 0; i < batches; ++i) {
    auto b = stream.next();
    planes = crc32c(b->planes.data(), b->planes.size() * sizeof(float), planes);
    policy = crc32c(b->policy.data(), b->policy.size() * sizeof(int64_t), policy);
    value = crc32c(b->value.data(), b->value.size() * sizeof(float), value);
  }
  std::printf("{\"batches\":%d,\"planes\":%u,\"policy\":%u,\"value\":%u}\n", batches, planes, policy, value);
  return 0;
}

int trainRate(const std::string& dir, const std::string& preset, int batches, int threads, int workers,
              const std::string& feed) {
  if (feed != "fixed" && feed != "idle" && feed != "fed") {
    std::fprintf(stderr, "feed must be fixed, idle or fed\n");
    return 2;
  }
  auto dataset = openTrain(dir);
  data::StreamOptions s;
  s.batchSize = 256;
  s.workers = workers;
  std::shared_ptr<data::Batch> fixed;
  {
    data::BatchStream once(dataset, s);
    fixed = once.next();
  }
  std::unique_ptr<data::BatchStream> stream;
  if (feed != "fixed") stream = std::make_unique<data::BatchStream>(dataset, s);
  if (feed == "idle") {
    stream->next();  // starts the readers; then the queue fills and they sleep
    const auto full = static_cast<uint64_t>(stream->options().prefetch);
    for (int i = 0; i < 10000 && stream->prefetched() < full; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  train::TrainerOptions o;
  o.preset = preset;
  o.boardSize = dataset->boardSize();
  o.threads = threads;
  train::Trainer trainer(o);
  for (int i = 0; i < 3; ++i) trainer.trainStep(feed == "fed" ? *stream->next() : *fixed);
  trainer.takeTrainMetrics();
  double readers0 = stream ? stream->readerCpuSeconds() : 0;
  double cpu0 = processCpuSeconds();
  auto start = std::chrono::steady_clock::now();
  long samples = 0;
  for (int i = 0; i < batches; ++i) {
    auto batch = feed == "fed" ? stream->next() : fixed;
    trainer.trainStep(*batch);
    samples += batch->size;
  }
  trainer.takeTrainMetrics();
  double seconds = since(start), cpu = processCpuSeconds() - cpu0;
  double readers = stream ? stream->readerCpuSeconds() - readers0 : 0;
  std::printf(
      "{\"feed\":\"%s\",\"samples\":%ld,\"seconds\":%.4f,\"samplesPerSecond\":%.1f,\"cpuSeconds\":%.4f,"
      "\"readerCpuSeconds\":%.5f,\"prefetched\":%llu}\n",
      feed.c_str(), samples, seconds, samples / seconds, cpu, readers,
      static_cast<unsigned long long>(stream ? stream->prefetched() : 0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "stream" && argc == 6)
      return streamRate(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]));
    if (mode == "digest" && (argc == 5 || argc == 7)) {
      data::Cursor from;
      if (argc == 7) from = {std::strtoull(argv[5], nullptr, 10), std::strtoull(argv[6], nullptr, 10)};
      return digest(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), from);
    }
    if (mode == "train" && argc == 8) {
      int status = 0;
      // On a dedicated thread, as the addon runs every trainer call.
      SerialExecutor executor;
      executor.run([&] {
        status = trainRate(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]), argv[7]);
      });
      return status;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: %s stream DIR BATCHES WORKERS BATCH_SIZE | digest DIR BATCHES BATCH_SIZE [EPOCH BATCH] |\n"
               "       train DIR PRESET BATCHES THREADS WORKERS fixed|idle|fed\n",
               argv[0]);
  return 2;
}
