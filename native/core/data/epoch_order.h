// The order of one epoch's examples: a pure function of (seed, epoch, dataset size,
// augmentation), computable at any index in O(1) once the epoch's window table is built
// (one entry per 4096 records), so a reader can jump to sample k without replaying
// 0..k-1 and the order never depends on the number of threads.
//
// Records are cut into windows of kWindowRecords consecutive records (one pread each).
// Each pass over the data permutes the windows, gathers kGroupWindows of them into a
// group, and permutes the records inside the group. Import already mixed positions
// across games, so a group is a random sample of the whole dataset; reading it costs
// a few sequential reads, never one read per record.
//
// Augmentation 'all' makes 4 passes per epoch; each position gets each symmetry exactly
// once (symmetry = pass + a per-position offset, mod 4), and its copies are a pass apart,
// never adjacent (the only place they could meet, a pass boundary, is checked).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "util/permutation.h"

namespace hextorch::data {

enum class Augment { None, Random, All };

struct Example {
  uint64_t record;
  int symmetry;
  uint64_t group;          // key of the group the record is read with
  uint64_t offsetInGroup;  // index in that group's concatenated windows
};

class EpochOrder {
 public:
  static constexpr uint64_t kWindowRecords = 4096;
  static constexpr uint64_t kGroupWindows = 64;

  EpochOrder(uint64_t positions, Augment augment, bool shuffle, uint64_t seed, uint64_t epoch);

  // Examples per epoch, without building an order.
  static uint64_t sizeFor(uint64_t positions, Augment augment) { return (augment == Augment::All ? 4 : 1) * positions; }
  uint64_t size() const { return passes_ * positions_; }
  uint64_t epoch() const { return epoch_; }
  Example at(uint64_t k) const;
  // The record ranges [first, end) of a group, in the order its buffer concatenates them.
  std::vector<std::pair<uint64_t, uint64_t>> groupRanges(uint64_t group) const;

 private:
  Example raw(uint64_t pass, uint64_t offset) const;
  uint64_t windowAt(uint64_t pass, uint64_t slot) const;
  uint64_t groupSize(uint64_t groupInPass) const;

  uint64_t positions_;
  Augment augment_;
  bool shuffle_;
  uint64_t seed_, epoch_;
  uint64_t passes_;
  uint64_t windows_, fullWindows_, groupsPerPass_;
  // Built once per epoch (a few keys each), so at() only evaluates them.
  std::vector<std::vector<uint32_t>> windowOrder_;  // per pass: slot → window (a table: cycle walking is costly)
  std::vector<Permutation> groupOrder_;             // per pass and group
};

}  // namespace hextorch::data
