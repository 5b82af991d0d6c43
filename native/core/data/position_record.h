// One training position as a fixed-size record: two stone bitplanes, then flags,
// policy target, ply and game id. Fixed size gives O(1) seek to any position.
#pragma once
#include <array>
#include <cstdint>

#include "hex/board.h"

namespace hextorch::data {

constexpr int kNoPolicy = -1;

struct RecordLayout {
  int boardSize = 0;
  int cells = 0;
  int planeBytes = 0;  // bytes of one bitplane
  int recordSize = 0;  // 2 * planeBytes + 10
};
RecordLayout layoutFor(int boardSize);

struct Position {
  int boardSize = 0;
  std::array<uint8_t, hex::kMaxCells> cells{};  // 0 empty, 1 Blue, 2 Red
  hex::Player toMove = hex::Player::Blue;
  int policy = kNoPolicy;  // index of the next move, kNoPolicy for a final position
  uint8_t value = 0;       // 0 = Blue won the game, 1 = Red won
  uint32_t game = 0;
  uint16_t ply = 0;
};

// Flag bits in the byte after the planes.
constexpr uint8_t kFlagRedToMove = 1;
constexpr uint8_t kFlagRedWon = 2;
constexpr uint8_t kFlagHasPolicy = 4;

void encodePosition(const RecordLayout& layout, const Position& position, uint8_t* out);
Position decodePosition(const RecordLayout& layout, const uint8_t* in);

// Field access on an encoded record, for the hot path.
inline const uint8_t* bluePlane(const uint8_t* record) { return record; }
inline const uint8_t* redPlane(const RecordLayout& layout, const uint8_t* record) { return record + layout.planeBytes; }
inline uint8_t recordFlags(const RecordLayout& layout, const uint8_t* record) { return record[2 * layout.planeBytes]; }
inline int recordPolicy(const RecordLayout& layout, const uint8_t* record) {
  const uint8_t* p = record + 2 * layout.planeBytes;
  return (p[0] & kFlagHasPolicy) ? (p[2] | (p[3] << 8)) : kNoPolicy;
}

}  // namespace hextorch::data
