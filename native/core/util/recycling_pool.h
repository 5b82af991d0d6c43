// Recycles objects that own large buffers: a fresh allocation of megabytes is paid for
// in page faults each time it is touched (glibc maps and unmaps blocks that large), a
// recycled one is already mapped and often still in cache. acquire() hands out a
// shared_ptr; an object comes back to the pool when its last owner lets go (a batch held
// by JS or a training step, a group of records still read by a worker), and the pool
// keeps at most `keep` of them. Objects come back as they were left: the user resizes.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace hextorch {

template <typename T>
class RecyclingPool : public std::enable_shared_from_this<RecyclingPool<T>> {
 public:
  explicit RecyclingPool(size_t keep) : keep_(keep) {}

  std::shared_ptr<T> acquire() {
    std::unique_ptr<T> object;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        object = std::move(free_.back());  // the most recently used: likeliest in cache
        free_.pop_back();
      }
    }
    if (!object) object = std::make_unique<T>();
    auto self = this->shared_from_this();
    return std::shared_ptr<T>(object.release(), [self](T* o) { self->release(o); });
  }

 private:
  void release(T* object) {
    std::unique_ptr<T> owned(object);
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.size() < keep_) free_.push_back(std::move(owned));
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<T>> free_;
  size_t keep_;
};

}  // namespace hextorch
