#include "data/epoch_order.h"

#include <algorithm>

#include "util/random.h"

namespace hextorch::data {

EpochOrder::EpochOrder(uint64_t positions, Augment augment, bool shuffle, uint64_t seed, uint64_t epoch)
    : positions_(positions), augment_(augment), shuffle_(shuffle), seed_(seed), epoch_(epoch) {
  passes_ = sizeFor(1, augment);
  windows_ = (positions + kWindowRecords - 1) / kWindowRecords;
  fullWindows_ = positions / kWindowRecords;
  groupsPerPass_ = (windows_ + kGroupWindows - 1) / kGroupWindows;
  if (shuffle_) {
    for (uint64_t pass = 0; pass < passes_; ++pass) {
      Permutation windows(fullWindows_, mixKeys(seed_, epoch_, pass, 0x57494EULL));
      windowOrder_.emplace_back(fullWindows_);
      for (uint64_t slot = 0; slot < fullWindows_; ++slot)
        windowOrder_.back()[slot] = static_cast<uint32_t>(windows(slot));
      for (uint64_t g = 0; g < groupsPerPass_; ++g) {
        groupOrder_.emplace_back(groupSize(g), mixKeys(seed_, epoch_, pass, 0x475250ULL ^ (g << 8)));
      }
    }
  }
}

uint64_t EpochOrder::windowAt(uint64_t pass, uint64_t slot) const {
  // The partial last window (if any) stays in the last slot; full windows are permuted.
  if (!shuffle_ || slot >= fullWindows_) return slot;
  return windowOrder_[pass][slot];
}

uint64_t EpochOrder::groupSize(uint64_t groupInPass) const {
  uint64_t start = groupInPass * kGroupWindows * kWindowRecords;
  return std::min(kGroupWindows * kWindowRecords, positions_ - start);
}

Example EpochOrder::raw(uint64_t pass, uint64_t offset) const {
  const uint64_t groupRecords = kGroupWindows * kWindowRecords;
  uint64_t g = offset / groupRecords;
  uint64_t local = offset - g * groupRecords;
  if (shuffle_) local = groupOrder_[pass * groupsPerPass_ + g](local);
  uint64_t slot = g * kGroupWindows + local / kWindowRecords;
  uint64_t record = windowAt(pass, slot) * kWindowRecords + local % kWindowRecords;
  int symmetry = 0;
  if (augment_ == Augment::Random) {
    symmetry = static_cast<int>(mixKeys(seed_, epoch_, record, 0x53594DULL) & 3);
  } else if (augment_ == Augment::All) {
    uint64_t shift = shuffle_ ? mixKeys(seed_, epoch_, record, 0x53594DULL) : 0;
    symmetry = static_cast<int>((pass + shift) & 3);
  }
  return {record, symmetry, pass * groupsPerPass_ + g, local};
}

Example EpochOrder::at(uint64_t k) const {
  uint64_t pass = k / positions_;
  uint64_t offset = k % positions_;
  if (augment_ == Augment::All && shuffle_ && pass > 0 && positions_ >= 3 && offset < 2 &&
      raw(pass, 0).record == raw(pass - 1, positions_ - 1).record) {
    offset = 1 - offset;  // keep the two copies of one position apart
  }
  return raw(pass, offset);
}

std::vector<std::pair<uint64_t, uint64_t>> EpochOrder::groupRanges(uint64_t group) const {
  uint64_t pass = group / groupsPerPass_;
  uint64_t g = group % groupsPerPass_;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (uint64_t slot = g * kGroupWindows; slot < std::min(windows_, (g + 1) * kGroupWindows); ++slot) {
    uint64_t first = windowAt(pass, slot) * kWindowRecords;
    ranges.emplace_back(first, std::min(first + kWindowRecords, positions_));
  }
  return ranges;
}

}  // namespace hextorch::data
