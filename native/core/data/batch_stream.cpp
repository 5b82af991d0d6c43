#include "data/batch_stream.h"

#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "hex/board.h"
#include "hex/planes.h"
#include "util/error.h"
#include "util/recycling_pool.h"

namespace hextorch::data {

namespace {

void adviseHugePages(void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t huge = uintptr_t{2} << 20;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + huge - 1) & ~(huge - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(huge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // advice only
#else
  (void)data;
  (void)bytes;
#endif
}

// Eight cells' bits as eight floats (0 or 1), and each byte with its bits reversed.
struct BitExpansion {
  float values[256][8];
  uint8_t reversed[256];
  BitExpansion() {
    for (int b = 0; b < 256; ++b) {
      reversed[b] = 0;
      for (int k = 0; k < 8; ++k) {
        values[b][k] = (b >> k) & 1 ? 1.0f : 0.0f;
        if ((b >> k) & 1) reversed[b] |= static_cast<uint8_t>(1u << (7 - k));
      }
    }
  }
};
const BitExpansion& bitExpansion() {
  static const BitExpansion table;
  return table;
}

// Writes one stone plane (every cell, 0 or 1) from a record's bitplane under a symmetry
// whose cell map is `map` (`order`: the map is the identity (+1), the reversal (-1) or
// neither (0)). Bits past the last cell are never read. The identity and the reversal
// (half of all examples) copy eight cells at a time from a table; the transposes go cell
// by cell, without a branch: which bits are set is random, and a loop over the set bits
// spent most of its time on mispredicted branches.
void expandPlane(const uint8_t* bits, int cells, const int* map, int order, float* out) {
  static constexpr float kBitValue[2] = {0.0f, 1.0f};
  const BitExpansion& table = bitExpansion();
  const int fullBytes = cells / 8;
  int i = 0;
  if (order == 1) {
    for (int b = 0; b < fullBytes; ++b) std::memcpy(out + 8 * b, table.values[bits[b]], sizeof(float) * 8);
    i = 8 * fullBytes;
  } else if (order == -1) {
    for (int b = 0; b < fullBytes; ++b)
      std::memcpy(out + cells - 8 - 8 * b, table.values[table.reversed[bits[b]]], sizeof(float) * 8);
    i = 8 * fullBytes;
  }
  for (; i < cells; ++i) out[map[i]] = kBitValue[(bits[i >> 3] >> (i & 7)) & 1];
}

}  // namespace

struct BatchStream::Group {
  std::vector<uint8_t> records;  // the group's windows, concatenated in slot order
};

BatchStream::BatchStream(std::shared_ptr<const Dataset> dataset, const StreamOptions& options)
    : dataset_(std::move(dataset)), options_(options) {
  if (options_.batchSize < 1) throw Error(ErrorCode::InvalidArgument, "batch size must be at least 1");
  if (options_.worldSize < 1 || options_.rank < 0 || options_.rank >= options_.worldSize) {
    throw Error(ErrorCode::InvalidArgument, "rank " + std::to_string(options_.rank) + " is outside a world of " +
                                                std::to_string(options_.worldSize));
  }
  if (options_.batchSize % options_.worldSize != 0) {
    throw Error(ErrorCode::InvalidArgument, "batch size " + std::to_string(options_.batchSize) +
                                                " does not divide over " + std::to_string(options_.worldSize) +
                                                " ranks: the global batch must be a multiple of the world size");
  }
  if (options_.workers < 0) throw Error(ErrorCode::InvalidArgument, "workers must be at least 1");
  if (options_.workers == 0) options_.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (options_.prefetch <= 0) options_.prefetch = 4 * options_.workers;
  // Batch buffers (half a megabyte each at 13x13, batch 256) and group buffers (14 MB)
  // are recycled: allocated fresh, their page faults cost 10 % (batches) and 30 %
  // (groups) of the stream's CPU time.
  batchPool_ = std::make_shared<RecyclingPool<Batch>>(static_cast<size_t>(options_.prefetch + options_.workers + 2));
  groupPool_ = std::make_shared<RecyclingPool<Group>>(static_cast<size_t>(options_.workers));
  examplesPerEpoch_ = EpochOrder::sizeFor(dataset_->size(), options_.augment);
  uint64_t b = static_cast<uint64_t>(options_.batchSize);
  batchesPerEpoch_ = options_.dropLast ? examplesPerEpoch_ / b : (examplesPerEpoch_ + b - 1) / b;
  if (options_.maxBatches >= 0)
    batchesPerEpoch_ = std::min(batchesPerEpoch_, static_cast<uint64_t>(options_.maxBatches));

  int n = dataset_->boardSize();
  symmetryMaps_.assign(hex::kSymmetries, std::vector<int>(n * n));
  for (int s = 0; s < hex::kSymmetries; ++s)
    for (int i = 0; i < n * n; ++i) symmetryMaps_[s][i] = hex::mapIndex(n, s, i);
  for (const auto& map : symmetryMaps_) {
    bool identity = true, reversal = true;
    for (int i = 0; i < n * n; ++i) {
      identity = identity && map[i] == i;
      reversal = reversal && map[i] == n * n - 1 - i;
    }
    symmetryOrder_.push_back(identity ? 1 : reversal ? -1 : 0);
  }

  {
    std::lock_guard<std::mutex> lock(mutex_);
    startEpochLocked(0, 0, false);
  }
  for (int w = 0; w < options_.workers; ++w) {
    workers_.emplace_back([this] { workerLoop(); });
    workerHandles_.push_back(workers_.back().native_handle());
  }
}

BatchStream::~BatchStream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  workCv_.notify_all();
  readyCv_.notify_all();
  for (auto& t : workers_) t.join();
}

void BatchStream::startEpochLocked(uint64_t epoch, uint64_t batch, bool readAhead) {
  ++generation_;
  ready_.clear();
  epoch_ = epoch;
  consumed_ = produced_ = batch;
  if (order_ && order_->epoch() != epoch) order_.reset();
  if (readAhead)
    startReadingLocked();
  else if (order_)
    workCv_.notify_all();  // readers asleep on a full queue go on from the new cursor
}

void BatchStream::startReadingLocked() {
  if (!order_) {
    order_ =
        std::make_shared<const EpochOrder>(dataset_->size(), options_.augment, options_.shuffle, options_.seed, epoch_);
  }
  workCv_.notify_all();
}

Cursor BatchStream::cursor() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {epoch_, consumed_};
}

void BatchStream::seek(const Cursor& cursor) {
  if (cursor.batch > batchesPerEpoch_) {
    throw Error(ErrorCode::InvalidArgument, "cursor batch " + std::to_string(cursor.batch) + " is past the " +
                                                std::to_string(batchesPerEpoch_) + " batches of an epoch");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (cursor.batch == batchesPerEpoch_ && batchesPerEpoch_ > 0)
    startEpochLocked(cursor.epoch + 1, 0, false);
  else
    startEpochLocked(cursor.epoch, cursor.batch, false);
}

uint64_t BatchStream::prefetched() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ready_.size();
}

double BatchStream::readerCpuSeconds() const {
  double total = 0;
  for (auto handle : workerHandles_) {
    clockid_t clock;
    timespec t;
    if (pthread_getcpuclockid(handle, &clock) == 0 && clock_gettime(clock, &t) == 0)
      total += t.tv_sec + t.tv_nsec * 1e-9;
  }
  return total;
}

std::shared_ptr<Batch> BatchStream::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (batchesPerEpoch_ == 0) return nullptr;
  if (!order_) startReadingLocked();
  uint64_t wanted = consumed_;
  readyCv_.wait(lock, [&] { return stopping_ || ready_.count(wanted) > 0; });
  if (stopping_) throw Error(ErrorCode::Internal, "data loader is shutting down");
  return takeLocked();
}

std::shared_ptr<Batch> BatchStream::tryNext(bool* ready) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (batchesPerEpoch_ > 0 && !order_) startReadingLocked();
  *ready = batchesPerEpoch_ == 0 || ready_.count(consumed_) > 0;
  if (batchesPerEpoch_ == 0 || !*ready) return nullptr;
  return takeLocked();
}

std::shared_ptr<Batch> BatchStream::takeLocked() {
  uint64_t wanted = consumed_;
  Slot slot = std::move(ready_[wanted]);
  ready_.erase(wanted);
  if (slot.error) std::rethrow_exception(slot.error);
  ++consumed_;
  if (consumed_ == batchesPerEpoch_)
    startEpochLocked(epoch_ + 1, 0, true);  // keeps reading ahead across the epoch boundary
  else
    workCv_.notify_all();
  return slot.batch;
}

void BatchStream::workerLoop() {
  BuildScratch scratch;
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    workCv_.wait(lock, [&] {
      return stopping_ || (order_ && produced_ < batchesPerEpoch_ &&
                           produced_ < consumed_ + static_cast<uint64_t>(options_.prefetch));
    });
    if (stopping_) return;
    uint64_t index = produced_++;
    uint64_t generation = generation_, epoch = epoch_;
    std::shared_ptr<const EpochOrder> order = order_;
    lock.unlock();

    Slot slot;
    try {
      slot.batch = build(*order, epoch, index, scratch);
    } catch (...) {
      slot.error = std::current_exception();
      releaseHeld(scratch);
    }
    lock.lock();
    if (generation == generation_) {
      ready_[index] = std::move(slot);
      readyCv_.notify_all();
    }
  }
}

BatchStream::GroupCacheStats BatchStream::groupCacheStats() const {
  std::lock_guard<std::mutex> lock(groupMutex_);
  GroupCacheStats stats;
  stats.reads = groupReads_;
  for (const auto& [key, entry] : groups_) {
    ++stats.groups;
    if (entry.group.wait_for(std::chrono::seconds(0)) != std::future_status::ready) continue;
    try {
      stats.bytes += entry.group.get()->records.size();
    } catch (...) {  // a failed read: it holds nothing
    }
  }
  return stats;
}

void BatchStream::releaseHeld(BuildScratch& scratch) {
  for (size_t i = 0; i < scratch.heldCount; ++i) scratch.held[i].group.reset();
  scratch.heldCount = 0;
}

void BatchStream::group(const EpochOrder& order, uint64_t key, BuildScratch& scratch, HeldGroup& held) {
  // The group's windows in slot order (the order its examples' offsets count in), and the
  // same windows ascending (the order the buffer holds them in, whatever pass or epoch
  // asks for them).
  auto& ranges = scratch.ranges;
  ranges = order.groupRanges(key);
  auto& slots = scratch.slots;
  slots.resize(ranges.size());
  for (size_t i = 0; i < slots.size(); ++i) slots[i] = static_cast<uint32_t>(i);
  std::sort(slots.begin(), slots.end(), [&](uint32_t a, uint32_t b) { return ranges[a].first < ranges[b].first; });
  GroupKey id(slots.size());
  held.slotOffset.resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    id[i] = ranges[slots[i]].first;
    // Every window but the dataset's last is full, and the last sorts last.
    held.slotOffset[slots[i]] = i * EpochOrder::kWindowRecords;
  }

  std::promise<std::shared_ptr<const Group>> promise;
  std::shared_future<std::shared_ptr<const Group>> future;
  bool load = false;
  {
    std::lock_guard<std::mutex> lock(groupMutex_);
    auto it = groups_.find(id);
    if (it != groups_.end()) {
      it->second.lastUse = ++useClock_;
      future = it->second.group;
    } else {
      future = promise.get_future().share();
      load = true;
      ++groupReads_;
      // Keep a few recently used groups; a worker still holding one keeps it alive.
      const size_t keep = static_cast<size_t>(options_.workers) + 2;
      while (groups_.size() >= keep) {
        auto oldest = std::min_element(groups_.begin(), groups_.end(), [](const auto& a, const auto& b) {
          return a.second.lastUse < b.second.lastUse;
        });
        groups_.erase(oldest);
      }
      groups_.emplace(id, CachedGroup{future, ++useClock_});
    }
  }
  if (load) {
    try {
      std::shared_ptr<Group> loaded = groupPool_->acquire();
      const uint64_t recordSize = static_cast<uint64_t>(dataset_->layout().recordSize);
      uint64_t records = 0;
      for (const auto& [first, end] : ranges) records += end - first;
      if (loaded->records.capacity() < records * recordSize) {
        loaded->records = {};
        loaded->records.reserve(records * recordSize);
        // Read in random order, a group spans thousands of 4 KiB pages: with small pages
        // most records also missed the TLB.
        adviseHugePages(loaded->records.data(), loaded->records.capacity());
      }
      loaded->records.resize(records * recordSize);  // a recycled buffer keeps its pages
      std::vector<uint8_t> buffer;
      uint8_t* out = loaded->records.data();
      for (uint32_t slot : slots) {
        const auto [first, end] = ranges[slot];
        dataset_->read(first, end - first, out, buffer);
        out += (end - first) * recordSize;
      }
      promise.set_value(std::move(loaded));
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(groupMutex_);
        groups_.erase(id);
      }
      promise.set_exception(std::current_exception());
    }
  }
  held.group = future.get();
}

std::shared_ptr<Batch> BatchStream::build(const EpochOrder& order, uint64_t epoch, uint64_t index,
                                          BuildScratch& scratch) {
  const RecordLayout& layout = dataset_->layout();
  const int cells = layout.cells;
  const uint64_t b = static_cast<uint64_t>(options_.batchSize);
  uint64_t first = index * b;
  uint64_t count = std::min(b, examplesPerEpoch_ - first);
  if (options_.worldSize > 1) {
    const uint64_t r = static_cast<uint64_t>(options_.rank), w = static_cast<uint64_t>(options_.worldSize);
    const uint64_t begin = first + count * r / w, end = first + count * (r + 1) / w;
    first = begin;
    count = end - begin;
  }

  auto batch = batchPool_->acquire();
  batch->size = static_cast<int>(count);
  batch->boardSize = layout.boardSize;
  batch->epoch = epoch;
  batch->index = index;
  batch->planes.resize(count * 3 * cells);  // every float is written below
  batch->policy.resize(count);
  batch->value.resize(count);

  // Where each example's record lies. The groups it needs stay held until the batch is
  // built (usually one or two).
  std::vector<const uint8_t*>& records = scratch.records;
  std::vector<Example>& examples = scratch.examples;
  records.resize(count);
  examples.resize(count);
  auto& held = scratch.held;
  scratch.heldCount = 0;
  const HeldGroup* current = nullptr;
  uint64_t currentKey = UINT64_MAX;
  for (uint64_t j = 0; j < count; ++j) {
    examples[j] = order.at(first + j);
    if (examples[j].group != currentKey) {
      if (held.size() == scratch.heldCount) held.emplace_back();
      group(order, examples[j].group, scratch, held[scratch.heldCount]);
      current = &held[scratch.heldCount++];
      currentKey = examples[j].group;
    }
    const uint64_t local = examples[j].offsetInGroup;
    const uint64_t slot = local / EpochOrder::kWindowRecords;
    records[j] = current->group->records.data() +
                 (current->slotOffset[slot] + local % EpochOrder::kWindowRecords) * layout.recordSize;
  }

  // A group (megabytes) is read in random order: without prefetching, every record is a
  // cache miss that the encoder waits for (measured: half of the stream's CPU time).
  const size_t lastLine = static_cast<size_t>(layout.recordSize - 1);
  auto prefetch = [&](uint64_t j) {
    __builtin_prefetch(records[j]);
    __builtin_prefetch(records[j] + lastLine);
  };
  for (uint64_t j = 0; j < std::min<uint64_t>(kPrefetchAhead, count); ++j) prefetch(j);

  for (uint64_t j = 0; j < count; ++j) {
    if (j + kPrefetchAhead < count) prefetch(j + kPrefetchAhead);
    const Example& example = examples[j];
    const uint8_t* record = records[j];
    const int* map = symmetryMaps_[example.symmetry].data();
    const bool swap = hex::swapsColours(example.symmetry);
    float* out = batch->planes.data() + j * 3 * cells;
    float* blueOut = hex::stonePlane(out, cells, swap ? hex::Player::Red : hex::Player::Blue);
    float* redOut = hex::stonePlane(out, cells, swap ? hex::Player::Blue : hex::Player::Red);
    expandPlane(bluePlane(record), cells, map, symmetryOrder_[example.symmetry], blueOut);
    expandPlane(redPlane(layout, record), cells, map, symmetryOrder_[example.symmetry], redOut);
    uint8_t flags = recordFlags(layout, record);
    bool redToMove = ((flags & kFlagRedToMove) != 0) != swap;
    hex::setPlayerToMove(out, cells, redToMove ? hex::Player::Red : hex::Player::Blue);
    int policy = recordPolicy(layout, record);
    if (policy >= cells) {
      throw Error(ErrorCode::CorruptData, "record " + std::to_string(example.record) + " has policy target " +
                                              std::to_string(policy) + " off the board");
    }
    batch->policy[j] = policy == kNoPolicy ? kNoPolicy : map[policy];
    batch->value[j] = (((flags & kFlagRedWon) != 0) != swap) ? 1.0f : 0.0f;
  }
  releaseHeld(scratch);
  return batch;
}

}  // namespace hextorch::data
