// The streaming augmented data loader: worker threads read groups of records, apply
// the symmetries and collate batches ahead of the consumer, in an order fixed by
// EpochOrder. Batches come out strictly in order whatever the number of workers; the
// cursor (epoch, batch) is all it takes to resume exactly. Memory stays bounded: a few
// groups of records and `prefetch` batches.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "data/batch.h"
#include "data/dataset.h"
#include "data/epoch_order.h"
#include "util/recycling_pool.h"

namespace hextorch::data {

struct StreamOptions {
  int batchSize = 256;
  Augment augment = Augment::All;
  bool shuffle = true;
  uint64_t seed = 1;
  bool dropLast = false;
  int workers = 0;          // 0: the cores available
  int prefetch = 0;         // batches built ahead; 0: 4 per worker
  int64_t maxBatches = -1;  // cap on batches per epoch (validation); -1: none
  // Data-parallel: batch i is still examples [i·B, (i+1)·B) of the epoch order, and this
  // rank builds only its share [i·B + r·B/W, i·B + (r+1)·B/W) (a short last batch of c
  // examples is split as [r·c/W, (r+1)·c/W)). The cursor stays global. B must divide by W.
  int rank = 0;
  int worldSize = 1;
};

struct Cursor {
  uint64_t epoch = 0;
  uint64_t batch = 0;  // the next batch to hand out in `epoch`
};

class BatchStream {
 public:
  BatchStream(std::shared_ptr<const Dataset> dataset, const StreamOptions& options);
  ~BatchStream();
  BatchStream(const BatchStream&) = delete;
  BatchStream& operator=(const BatchStream&) = delete;

  const StreamOptions& options() const { return options_; }
  const Dataset& dataset() const { return *dataset_; }
  uint64_t examplesPerEpoch() const { return examplesPerEpoch_; }
  uint64_t batchesPerEpoch() const { return batchesPerEpoch_; }

  // The next batch; blocks until it is built. The first call (after opening or a seek)
  // starts the readers. After the last batch of an epoch the
  // cursor moves to the start of the next epoch. Returns null when an epoch has no
  // batches at all. Rethrows a worker's error (corrupt shard) for the batch it hit.
  std::shared_ptr<Batch> next();
  // The next batch if it is already built, without waiting: sets `ready` to false (and
  // returns null) when it is not.
  std::shared_ptr<Batch> tryNext(bool* ready);
  Cursor cursor() const;
  // Continues from `cursor` (no replay: only the groups it needs are read).
  void seek(const Cursor& cursor);
  // Batches built and waiting to be taken (at most `prefetch`).
  uint64_t prefetched() const;
  // CPU time the reader threads have used so far (0 where the platform cannot tell):
  // it stops growing while the prefetch queue is full, since readers then sleep.
  double readerCpuSeconds() const;
  // The cache of groups of records: the groups held and their bytes, and how many groups
  // have been read from the dataset since opening.
  struct GroupCacheStats {
    uint64_t groups = 0, bytes = 0, reads = 0;
  };
  GroupCacheStats groupCacheStats() const;

 private:
  struct Group;
  struct Slot {
    std::shared_ptr<Batch> batch;
    std::exception_ptr error;
  };
  // A group the batch being built reads from, and where each of its slots' windows lies in
  // the group's buffer.
  struct HeldGroup {
    std::shared_ptr<const Group> group;
    std::vector<uint64_t> slotOffset;  // per slot of the epoch order's group: first record's index in the buffer
  };
  // A worker's buffers, reused from batch to batch.
  struct BuildScratch {
    std::vector<Example> examples;
    std::vector<const uint8_t*> records;
    std::vector<HeldGroup> held;
    size_t heldCount = 0;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    std::vector<uint32_t> slots;
  };
  // The cache's key: the first record of each window of a group, ascending. Groups of
  // different passes or epochs that hold the same windows (every pass, when the dataset is
  // one group) are one entry, read once.
  using GroupKey = std::vector<uint64_t>;
  struct CachedGroup {
    std::shared_future<std::shared_ptr<const Group>> group;
    uint64_t lastUse = 0;
  };
  static constexpr uint64_t kPrefetchAhead = 8;  // examples whose records are fetched ahead

  // Moves the cursor and drops what was built ahead. The epoch's order (its window table
  // takes milliseconds on a large dataset) is kept when the epoch stays the same, and is
  // built, and reading ahead starts, only when a batch is asked for (or the previous
  // epoch ends): opening a loader and restoring it builds one table, and reads nothing
  // that is thrown away.
  void startEpochLocked(uint64_t epoch, uint64_t batch, bool readAhead);
  void startReadingLocked();
  std::shared_ptr<Batch> takeLocked();
  void workerLoop();
  std::shared_ptr<Batch> build(const EpochOrder& order, uint64_t epoch, uint64_t index, BuildScratch& scratch);
  // Fetches (from the cache, or reads) the group with key `key` in `order` into `held`.
  void group(const EpochOrder& order, uint64_t key, BuildScratch& scratch, HeldGroup& held);
  // Lets go of the groups a build held (so that one evicted from the cache can be recycled).
  static void releaseHeld(BuildScratch& scratch);

  std::shared_ptr<const Dataset> dataset_;
  StreamOptions options_;
  uint64_t examplesPerEpoch_ = 0, batchesPerEpoch_ = 0;
  std::vector<std::vector<int>> symmetryMaps_;
  std::vector<int> symmetryOrder_;  // per symmetry: its map is the identity (1), the reversal (-1), neither (0)
  std::shared_ptr<RecyclingPool<Batch>> batchPool_;
  std::shared_ptr<RecyclingPool<Group>> groupPool_;

  mutable std::mutex mutex_;
  std::condition_variable workCv_, readyCv_;
  bool stopping_ = false;
  uint64_t generation_ = 0;
  uint64_t epoch_ = 0, consumed_ = 0, produced_ = 0;
  std::shared_ptr<const EpochOrder> order_;
  std::map<uint64_t, Slot> ready_;

  mutable std::mutex groupMutex_;
  std::map<GroupKey, CachedGroup> groups_;
  uint64_t useClock_ = 0;
  uint64_t groupReads_ = 0;

  std::vector<std::thread> workers_;
  // The readers' native handles, taken as they start, for readerCpuSeconds() (a const
  // query; std::thread::native_handle() is not const).
  std::vector<std::thread::native_handle_type> workerHandles_;
};

}  // namespace hextorch::data
