#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "data/batch_stream.h"
#include "data/importer.h"
#include "test_support.h"

using namespace hextorch;
using namespace hextorch::data;

namespace {

// Generates `games` synthetic games on a `boardSize` board into the dataset directory `dir`.
void generateInto(const std::string& dir, uint64_t games, int boardSize, uint64_t seed) {
  GenerateOptions options;
  options.games = games;
  options.boardSize = boardSize;
  options.seed = seed;
  options.build.outDir = dir;
  generateDataset(options);
}

// One small dataset shared by the tests of this file: 7x7, a few thousand positions.
const std::string& smallDataset() {
  static testsupport::TempDir dir;
  static bool made = false;
  if (!made) {
    generateInto(dir.path(), 300, 7, 4);
    made = true;
  }
  return dir.path();
}

// The options of a stream of `batchSize` examples built by `workers` readers; a test sets
// the rest (seed, prefetch) on what this returns.
StreamOptions streamOptions(int batchSize, int workers) {
  StreamOptions options;
  options.batchSize = batchSize;
  options.workers = workers;
  return options;
}

std::vector<std::shared_ptr<Batch>> epoch(BatchStream& stream) {
  std::vector<std::shared_ptr<Batch>> batches;
  for (uint64_t i = stream.cursor().batch; i < stream.batchesPerEpoch(); ++i) batches.push_back(stream.next());
  return batches;
}

bool sameBatches(const std::vector<std::shared_ptr<Batch>>& a, const std::vector<std::shared_ptr<Batch>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i]->planes != b[i]->planes || a[i]->policy != b[i]->policy || a[i]->value != b[i]->value) return false;
  }
  return true;
}

}  // namespace

TEST(EpochOrder, IsAPermutationWithEachSymmetryOncePerPosition) {
  for (uint64_t positions : {uint64_t{1}, uint64_t{3}, uint64_t{5000}, uint64_t{300000}}) {
    EpochOrder order(positions, Augment::All, true, 9, 2);
    ASSERT_EQ(order.size(), 4 * positions);
    std::vector<uint8_t> seen(positions, 0);
    uint64_t previous = UINT64_MAX;
    for (uint64_t k = 0; k < order.size(); ++k) {
      Example e = order.at(k);
      ASSERT_LT(e.record, positions);
      ASSERT_EQ(seen[e.record] & (1 << e.symmetry), 0) << "record " << e.record << " symmetry " << e.symmetry;
      seen[e.record] |= static_cast<uint8_t>(1 << e.symmetry);
      if (positions >= 3) {
        ASSERT_NE(e.record, previous) << "copies adjacent at " << k;
      }
      previous = e.record;
    }
    for (uint8_t s : seen) ASSERT_EQ(s, 0xF);
  }
}

TEST(EpochOrder, ChangesEveryEpochAndIsIdentityWithoutShuffle) {
  EpochOrder a(10000, Augment::None, true, 1, 0), b(10000, Augment::None, true, 1, 1),
      plain(10000, Augment::None, false, 1, 0);
  uint64_t same = 0;
  for (uint64_t k = 0; k < 10000; ++k) {
    same += a.at(k).record == b.at(k).record;
    EXPECT_EQ(plain.at(k).record, k);
  }
  EXPECT_LT(same, 100u);
}

TEST(BatchStream, AugmentationMatchesTheSymmetryTable) {
  auto dataset = Dataset::open(smallDataset(), Split::Train);
  StreamOptions options = streamOptions(64, 2);
  options.seed = 3;
  BatchStream stream(dataset, options);
  EpochOrder order(dataset->size(), Augment::All, true, 3, 0);
  const int n = 7, cells = 49;
  std::vector<uint8_t> record(dataset->layout().recordSize), scratch;
  for (uint64_t b = 0; b < 6; ++b) {
    auto batch = stream.next();
    for (int j = 0; j < batch->size; ++j) {
      Example e = order.at(b * 64 + j);
      dataset->read(e.record, 1, record.data(), scratch);
      Position p = decodePosition(dataset->layout(), record.data());
      const float* planes = batch->planes.data() + j * 3 * cells;
      bool swap = e.symmetry >= 2;
      for (int i = 0; i < cells; ++i) {
        int to = hex::mapIndex(n, e.symmetry, i);
        float blue = p.cells[i] == 1, red = p.cells[i] == 2;
        ASSERT_EQ(planes[(swap ? cells : 0) + to], blue);
        ASSERT_EQ(planes[(swap ? 0 : cells) + to], red);
      }
      bool redToMove = (p.toMove == hex::Player::Red) != swap;
      for (int i = 0; i < cells; ++i) ASSERT_EQ(planes[2 * cells + i], redToMove ? 1.0f : 0.0f);
      ASSERT_EQ(batch->policy[j], p.policy == kNoPolicy ? kNoPolicy : hex::mapIndex(n, e.symmetry, p.policy));
      ASSERT_EQ(batch->value[j], swap ? 1.0f - p.value : float(p.value));
    }
  }
}

TEST(BatchStream, CoversEveryPositionUnderEverySymmetryForAnyWorkersAndBatchSize) {
  auto dataset = Dataset::open(smallDataset(), Split::Train);
  // Exact (record, symmetry) coverage is checked on EpochOrder; here the stream delivers all of it.
  for (int workers : {1, 3}) {
    for (int batchSize : {32, 77}) {
      for (bool dropLast : {false, true}) {
        StreamOptions options = streamOptions(batchSize, workers);
        options.dropLast = dropLast;
        BatchStream stream(dataset, options);
        uint64_t examples = 0;
        for (auto& batch : epoch(stream)) examples += batch->size;
        uint64_t expected = 4 * dataset->size();
        if (dropLast) expected -= expected % batchSize;
        EXPECT_EQ(examples, expected) << workers << " workers, batch " << batchSize;
        EXPECT_EQ(stream.cursor().epoch, 1u);
      }
    }
  }
}

TEST(BatchStream, SameSeedGivesTheSameStreamWithAnyWorkers) {
  auto dataset = Dataset::open(smallDataset(), Split::Train);
  std::vector<std::shared_ptr<Batch>> reference;
  for (int workers : {1, 2, 4}) {
    StreamOptions options = streamOptions(50, workers);
    BatchStream stream(dataset, options);
    auto batches = epoch(stream);
    if (reference.empty())
      reference = batches;
    else
      EXPECT_TRUE(sameBatches(batches, reference)) << workers << " workers";
    auto second = epoch(stream);
    EXPECT_FALSE(sameBatches(second, reference)) << "epoch 1 repeats epoch 0";
  }
}

TEST(BatchStream, SeekResumesExactly) {
  auto dataset = Dataset::open(smallDataset(), Split::Train);
  StreamOptions options = streamOptions(64, 2);
  BatchStream reference(dataset, options);
  auto epoch0 = epoch(reference);
  auto epoch1 = epoch(reference);
  uint64_t n = epoch0.size();
  for (uint64_t cut : {uint64_t{0}, n / 2, n - 1, n}) {
    BatchStream resumed(dataset, options);
    for (uint64_t i = 0; i < std::min(cut, n); ++i) resumed.next();
    Cursor cursor = resumed.cursor();
    BatchStream fresh(dataset, options);
    fresh.seek(cursor);
    std::vector<std::shared_ptr<Batch>> rest;
    while (!(fresh.cursor().epoch == 2)) rest.push_back(fresh.next());
    std::vector<std::shared_ptr<Batch>> expected(epoch0.begin() + std::min(cut, n), epoch0.end());
    expected.insert(expected.end(), epoch1.begin(), epoch1.end());
    EXPECT_TRUE(sameBatches(rest, expected)) << "cut at " << cut;
  }
}

// While training, the readers must not take the trainer's cores: once `prefetch` batches
// wait to be taken they sleep on a condition variable (no spinning, no polling), and the
// next batch taken wakes one to refill the queue.
TEST(BatchStream, ReadersSleepOnceThePrefetchQueueIsFull) {
  auto dataset = Dataset::open(smallDataset(), Split::Train);
  StreamOptions options = streamOptions(16, 2);
  options.prefetch = 4;
  BatchStream stream(dataset, options);
  auto waitFull = [&] {
    for (int i = 0; i < 1000 && stream.prefetched() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return stream.prefetched();
  };
  EXPECT_EQ(stream.prefetched(), 0u) << "nothing is read before the first batch is asked for";
  stream.next();
  ASSERT_EQ(waitFull(), 4u);
  double before = stream.readerCpuSeconds();
  ASSERT_GT(before, 0.0) << "reader threads' CPU time is not measurable here";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double idle = stream.readerCpuSeconds() - before;
  // Two spinning readers would use ~0.6 s in 300 ms; sleeping ones use nothing.
  EXPECT_LT(idle, 0.005) << "readers used " << idle << " s of CPU while the queue was full";
  stream.next();
  EXPECT_EQ(waitFull(), 4u) << "taking a batch wakes a reader to refill the queue";
}

// A seek within the epoch keeps the epoch's order; readers that sleep on a full queue
// must still be woken to build from the new cursor.
TEST(BatchStream, SeekWithinTheEpochWakesReadersAsleepOnAFullQueue) {
  auto dataset = Dataset::open(smallDataset(), Split::Train);
  StreamOptions options = streamOptions(16, 2);
  options.prefetch = 4;
  BatchStream stream(dataset, options);
  BatchStream reference(dataset, options);
  auto expected = reference.next();
  stream.next();
  for (int i = 0; i < 1000 && stream.prefetched() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(stream.prefetched(), 4u);
  stream.seek({0, 0});
  auto next = std::async(std::launch::async, [&] { return stream.next(); });
  if (next.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    std::fprintf(stderr, "next() after a seek within the epoch never returned: the readers were not woken\n");
    std::_Exit(1);  // the stuck call cannot be cancelled
  }
  auto batch = next.get();
  EXPECT_EQ(batch->planes, expected->planes);
  EXPECT_EQ(batch->policy, expected->policy);
}

// The loader caches groups of records by the windows they hold, not by pass: when the
// dataset is one group (fewer than 64 windows of 4,096 records), every pass and every
// epoch reads the same windows, and the group is read once and held once, however long
// the run. A cache keyed by pass would read it again at each pass and hold one copy per
// pass until evicted (memory that grows over the first passes of a long run).
TEST(BatchStream, AOneGroupDatasetIsReadAndHeldOnceWhateverThePasses) {
  auto dataset = Dataset::open(smallDataset(), Split::Train);
  ASSERT_LE(dataset->size(), EpochOrder::kWindowRecords * EpochOrder::kGroupWindows) << "the dataset is one group";
  for (int workers : {1, 2}) {
    StreamOptions options = streamOptions(64, workers);
    BatchStream stream(dataset, options);
    stream.next();
    const auto first = stream.groupCacheStats();
    EXPECT_EQ(first.reads, 1u);
    EXPECT_EQ(first.groups, 1u);
    EXPECT_EQ(first.bytes, dataset->size() * dataset->layout().recordSize);
    // Three epochs: twelve passes with augmentation 'all'.
    while (stream.cursor().epoch < 3) stream.next();
    const auto later = stream.groupCacheStats();
    EXPECT_EQ(later.reads, first.reads) << workers << " workers";
    EXPECT_EQ(later.groups, first.groups) << workers << " workers";
    EXPECT_EQ(later.bytes, first.bytes) << workers << " workers";
    // Validation's pattern: back to the start of epoch 0 for every evaluation.
    for (int i = 0; i < 5; ++i) {
      stream.seek({0, 0});
      stream.next();
    }
    EXPECT_EQ(stream.groupCacheStats().reads, first.reads) << workers << " workers";
  }
}

// The buffer holds a group's windows in ascending order whichever pass reads them, and the
// examples' offsets count in the pass's (shuffled) window order: every example must still
// come from its own record. A dataset of several windows, so the windows are permuted.
TEST(BatchStream, ExamplesComeFromTheirRecordsWhenWindowsArePermuted) {
  static testsupport::TempDir dir;
  generateInto(dir.path(), 1200, 5, 11);
  auto dataset = Dataset::open(dir.path(), Split::Train);
  ASSERT_GE(dataset->size(), 3 * EpochOrder::kWindowRecords) << "needs several full windows";
  StreamOptions options = streamOptions(256, 2);
  options.seed = 5;
  BatchStream stream(dataset, options);
  const RecordLayout& layout = dataset->layout();
  std::vector<uint8_t> record(layout.recordSize), scratch;
  for (uint64_t epoch = 0; epoch < 2; ++epoch) {
    EpochOrder order(dataset->size(), Augment::All, true, 5, epoch);
    for (uint64_t b = 0; b < stream.batchesPerEpoch(); ++b) {
      auto batch = stream.next();
      ASSERT_EQ(batch->epoch, epoch);
      for (int j = 0; j < batch->size; ++j) {
        Example e = order.at(b * 256 + j);
        dataset->read(e.record, 1, record.data(), scratch);
        Position p = decodePosition(layout, record.data());
        const bool swap = e.symmetry >= 2;
        ASSERT_EQ(batch->policy[j], p.policy == kNoPolicy ? kNoPolicy : hex::mapIndex(5, e.symmetry, p.policy))
            << "epoch " << epoch << " batch " << b << " example " << j;
        ASSERT_EQ(batch->value[j], swap ? 1.0f - p.value : float(p.value));
        const float* planes = batch->planes.data() + j * 3 * layout.cells;
        for (int i = 0; i < layout.cells; ++i) {
          ASSERT_EQ(planes[(swap ? layout.cells : 0) + hex::mapIndex(5, e.symmetry, i)], p.cells[i] == 1);
        }
      }
    }
  }
  EXPECT_EQ(stream.groupCacheStats().reads, 1u);
}
