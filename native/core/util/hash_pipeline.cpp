#include "util/hash_pipeline.h"

#include "util/cpu_time.h"

#include <chrono>
#include <system_error>

namespace hextorch {

HashPipeline::HashPipeline() {
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    // No thread: add* hash inline.
  }
}

HashPipeline::~HashPipeline() {
  {
    // The segments not yet hashed may point into memory about to be freed: dropped.
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HashPipeline::hash(const void* data, size_t size) {
  auto start = std::chrono::steady_clock::now();
  double cpuStart = threadCpuSeconds();
  sha_.update(data, size);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  double cpu = threadCpuSeconds() - cpuStart;
  std::lock_guard<std::mutex> lock(mutex_);
  busy_ += took.count();
  busyCpu_ += cpu;
}

uint64_t HashPipeline::push(const void* data, size_t size, std::vector<char>&& owned) {
  if (!thread_.joinable()) {
    hash(owned.empty() ? data : owned.data(), owned.empty() ? size : owned.size());
    return 0;
  }
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back({static_cast<const char*>(data), size, std::move(owned)});
    ticket = ++pushed_;
  }
  changed_.notify_all();
  return ticket;
}

void HashPipeline::waitFor(uint64_t ticket) {
  if (!thread_.joinable()) return;
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return done_ >= ticket; });
}

void HashPipeline::addStable(const void* data, size_t size) {
  if (size > 0) push(data, size, {});
}

void HashPipeline::addOwned(std::vector<char>&& bytes) {
  if (!bytes.empty()) push(nullptr, 0, std::move(bytes));
}

void HashPipeline::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return closing_ || !queue_.empty(); });
    if (closing_) return;  // destroyed before finish(): what is left is dropped
    Segment s = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    if (s.owned.empty()) {
      hash(s.data, s.size);
    } else {
      hash(s.owned.data(), s.owned.size());
    }
    s.owned = {};
    lock.lock();
    ++done_;
    changed_.notify_all();
  }
}

std::string HashPipeline::finish() {
  waitFor(pushed_);
  return sha_.hexDigest();
}

double HashPipeline::busySeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busy_;
}

double HashPipeline::busyCpuSeconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return busyCpu_;
}

}  // namespace hextorch
