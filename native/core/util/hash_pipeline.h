// SHA-256 of a byte stream computed on a thread of its own, so that a writer hands
// bytes over and goes on (serialising, writing) while they are hashed. Bytes are hashed
// in the order they were handed over. Without a thread (none could be started) every
// call hashes inline.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "util/sha256.h"

namespace hextorch {

class HashPipeline {
 public:
  HashPipeline();
  ~HashPipeline();  // stops the thread; what was not hashed yet is dropped
  HashPipeline(const HashPipeline&) = delete;
  HashPipeline& operator=(const HashPipeline&) = delete;

  // `data` stays valid and unchanged until finish(): hashed later, no copy, no wait.
  void addStable(const void* data, size_t size);
  // A buffer the pipeline takes over (freed once hashed).
  void addOwned(std::vector<char>&& bytes);
  // Memory that may change once this returns: hashed while the caller does `during`
  // (e.g. writes the same bytes), then waited for.
  template <typename F>
  void addAndWait(const void* data, size_t size, F&& during) {
    uint64_t ticket = push(data, size, {});
    during();
    waitFor(ticket);
  }

  // Waits until everything handed over is hashed; returns the lower-case hex digest.
  std::string finish();
  // Seconds the hashing itself took (on its thread, or inline): wall clock, and the CPU
  // time of the thread doing it.
  double busySeconds() const;
  double busyCpuSeconds() const;

 private:
  struct Segment {
    const char* data;
    size_t size;
    std::vector<char> owned;
  };
  uint64_t push(const void* data, size_t size, std::vector<char>&& owned);
  void waitFor(uint64_t ticket);
  void run();
  void hash(const void* data, size_t size);

  Sha256 sha_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Segment> queue_;
  uint64_t pushed_ = 0, done_ = 0;
  bool closing_ = false;
  double busy_ = 0, busyCpu_ = 0;
  std::thread thread_;
};

}  // namespace hextorch
