#include "data/batch_stream.h"

#include <algorithm>
#include <cstring>

#include "hex/board.h"
#include "hex/planes.h"
#include "util/error.h"

namespace hextorch::data {

struct BatchStream::Group {
  std::vector<uint8_t> records;  // the group's windows, concatenated in slot order
};

// Recycles batch buffers: a fresh half-megabyte allocation per batch is paid for in page
// faults (measured: 10 % of the stream's throughput). A batch still held elsewhere (by
// JS, or a training step) comes back when its last owner lets go.
class BatchStream::BatchPool : public std::enable_shared_from_this<BatchPool> {
 public:
  explicit BatchPool(size_t keep) : keep_(keep) {}

  std::shared_ptr<Batch> acquire() {
    std::unique_ptr<Batch> batch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        batch = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!batch) batch = std::make_unique<Batch>();
    auto self = shared_from_this();
    return std::shared_ptr<Batch>(batch.release(), [self](Batch* b) { self->release(b); });
  }

 private:
  void release(Batch* batch) {
    std::unique_ptr<Batch> owned(batch);
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < keep_) free_.push_back(std::move(owned));
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<Batch>> free_;
  size_t keep_;
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
  pool_ = std::make_shared<BatchPool>(static_cast<size_t>(options_.prefetch + options_.workers + 2));
  examplesPerEpoch_ = EpochOrder(dataset_->size(), options_.augment, options_.shuffle, options_.seed, 0).size();
  uint64_t b = static_cast<uint64_t>(options_.batchSize);
  batchesPerEpoch_ = options_.dropLast ? examplesPerEpoch_ / b : (examplesPerEpoch_ + b - 1) / b;
  if (options_.maxBatches >= 0)
    batchesPerEpoch_ = std::min(batchesPerEpoch_, static_cast<uint64_t>(options_.maxBatches));

  int n = dataset_->boardSize();
  symmetryMaps_.assign(hex::kSymmetries, std::vector<int>(n * n));
  for (int s = 0; s < hex::kSymmetries; ++s)
    for (int i = 0; i < n * n; ++i) symmetryMaps_[s][i] = hex::mapIndex(n, s, i);

  {
    std::lock_guard<std::mutex> lock(mutex_);
    startEpochLocked(0, 0);
  }
  for (int w = 0; w < options_.workers; ++w) workers_.emplace_back([this] { workerLoop(); });
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

void BatchStream::startEpochLocked(uint64_t epoch, uint64_t batch) {
  ++generation_;
  ready_.clear();
  epoch_ = epoch;
  consumed_ = produced_ = batch;
  order_ =
      std::make_shared<const EpochOrder>(dataset_->size(), options_.augment, options_.shuffle, options_.seed, epoch);
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
    startEpochLocked(cursor.epoch + 1, 0);
  else
    startEpochLocked(cursor.epoch, cursor.batch);
}

std::shared_ptr<Batch> BatchStream::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (batchesPerEpoch_ == 0) return nullptr;
  uint64_t wanted = consumed_;
  readyCv_.wait(lock, [&] { return stopping_ || ready_.count(wanted) > 0; });
  if (stopping_) throw Error(ErrorCode::Internal, "data loader is shutting down");
  return takeLocked();
}

std::shared_ptr<Batch> BatchStream::tryNext(bool* ready) {
  std::lock_guard<std::mutex> lock(mutex_);
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
    startEpochLocked(epoch_ + 1, 0);
  else
    workCv_.notify_all();
  return slot.batch;
}

void BatchStream::workerLoop() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    workCv_.wait(lock, [&] {
      return stopping_ ||
             (produced_ < batchesPerEpoch_ && produced_ < consumed_ + static_cast<uint64_t>(options_.prefetch));
    });
    if (stopping_) return;
    uint64_t index = produced_++;
    uint64_t generation = generation_, epoch = epoch_;
    std::shared_ptr<const EpochOrder> order = order_;
    lock.unlock();

    Slot slot;
    try {
      slot.batch = build(*order, epoch, index);
    } catch (...) {
      slot.error = std::current_exception();
    }
    lock.lock();
    if (generation == generation_) {
      ready_[index] = std::move(slot);
      readyCv_.notify_all();
    }
  }
}

std::shared_ptr<const BatchStream::Group> BatchStream::group(const EpochOrder& order, uint64_t epoch, uint64_t key) {
  auto id = std::make_pair(epoch, key);
  std::promise<std::shared_ptr<const Group>> promise;
  std::shared_future<std::shared_ptr<const Group>> future;
  bool load = false;
  {
    std::lock_guard<std::mutex> lock(groupMutex_);
    groupUse_[id] = ++useClock_;
    auto it = groups_.find(id);
    if (it != groups_.end()) {
      future = it->second;
    } else {
      future = promise.get_future().share();
      groups_[id] = future;
      load = true;
      // Keep a few recently used groups; a worker still holding one keeps it alive.
      const size_t keep = static_cast<size_t>(options_.workers) + 2;
      while (groups_.size() > keep) {
        auto oldest = std::min_element(groupUse_.begin(), groupUse_.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
        groups_.erase(oldest->first);
        groupUse_.erase(oldest);
      }
    }
  }
  if (load) {
    try {
      auto loaded = std::make_shared<Group>();
      const uint64_t recordSize = static_cast<uint64_t>(dataset_->layout().recordSize);
      std::vector<uint8_t> scratch;
      for (const auto& [first, end] : order.groupRanges(key)) {
        size_t offset = loaded->records.size();
        loaded->records.resize(offset + (end - first) * recordSize);
        dataset_->read(first, end - first, loaded->records.data() + offset, scratch);
      }
      promise.set_value(std::move(loaded));
    } catch (...) {
      {
        std::lock_guard<std::mutex> lock(groupMutex_);
        groups_.erase(id);
        groupUse_.erase(id);
      }
      promise.set_exception(std::current_exception());
    }
  }
  return future.get();
}

std::shared_ptr<Batch> BatchStream::build(const EpochOrder& order, uint64_t epoch, uint64_t index) {
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

  auto batch = pool_->acquire();
  batch->size = static_cast<int>(count);
  batch->boardSize = layout.boardSize;
  batch->epoch = epoch;
  batch->index = index;
  batch->planes.assign(count * 3 * cells, 0.0f);
  batch->policy.resize(count);
  batch->value.resize(count);

  const int tailBits = cells - 8 * (layout.planeBytes - 1);
  const unsigned lastByteMask = (1u << tailBits) - 1;
  std::shared_ptr<const Group> current;
  uint64_t currentKey = UINT64_MAX;
  for (uint64_t j = 0; j < count; ++j) {
    Example example = order.at(first + j);
    if (example.group != currentKey) {
      current = group(order, epoch, example.group);
      currentKey = example.group;
    }
    const uint8_t* record = current->records.data() + example.offsetInGroup * layout.recordSize;
    const int* map = symmetryMaps_[example.symmetry].data();
    const bool swap = hex::swapsColours(example.symmetry);
    float* out = batch->planes.data() + j * 3 * cells;
    float* bluePlane = hex::stonePlane(out, cells, swap ? hex::Player::Red : hex::Player::Blue);
    float* redPlane = hex::stonePlane(out, cells, swap ? hex::Player::Blue : hex::Player::Red);
    for (int byte = 0; byte < layout.planeBytes; ++byte) {
      // Bits past the last cell are ignored, so no record can write outside the planes.
      unsigned mask = byte == layout.planeBytes - 1 ? lastByteMask : 0xFFu;
      for (unsigned bits = record[byte] & mask; bits; bits &= bits - 1)
        bluePlane[map[byte * 8 + __builtin_ctz(bits)]] = 1.0f;
      for (unsigned bits = record[layout.planeBytes + byte] & mask; bits; bits &= bits - 1)
        redPlane[map[byte * 8 + __builtin_ctz(bits)]] = 1.0f;
    }
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
  return batch;
}

}  // namespace hextorch::data
