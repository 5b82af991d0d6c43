#include "data/position_record.h"

#include <cstring>
#include <string>

#include "util/error.h"

namespace hextorch::data {

RecordLayout layoutFor(int boardSize) {
  hex::checkSize(boardSize, "board size");
  RecordLayout layout;
  layout.boardSize = boardSize;
  layout.cells = boardSize * boardSize;
  layout.planeBytes = (layout.cells + 7) / 8;
  layout.recordSize = 2 * layout.planeBytes + 10;
  return layout;
}

void encodePosition(const RecordLayout& layout, const Position& position, uint8_t* out) {
  std::memset(out, 0, layout.recordSize);
  uint8_t* blue = out;
  uint8_t* red = out + layout.planeBytes;
  for (int i = 0; i < layout.cells; ++i) {
    if (position.cells[i] == 1) blue[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    if (position.cells[i] == 2) red[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  }
  uint8_t* tail = out + 2 * layout.planeBytes;
  uint8_t flags = 0;
  if (position.toMove == hex::Player::Red) flags |= kFlagRedToMove;
  if (position.value) flags |= kFlagRedWon;
  uint16_t policy = 0;
  if (position.policy != kNoPolicy) {
    flags |= kFlagHasPolicy;
    policy = static_cast<uint16_t>(position.policy);
  }
  tail[0] = flags;
  tail[1] = 0;
  tail[2] = static_cast<uint8_t>(policy);
  tail[3] = static_cast<uint8_t>(policy >> 8);
  tail[4] = static_cast<uint8_t>(position.ply);
  tail[5] = static_cast<uint8_t>(position.ply >> 8);
  for (int b = 0; b < 4; ++b) tail[6 + b] = static_cast<uint8_t>(position.game >> (8 * b));
}

Position decodePosition(const RecordLayout& layout, const uint8_t* in) {
  Position position;
  position.boardSize = layout.boardSize;
  const uint8_t* blue = in;
  const uint8_t* red = in + layout.planeBytes;
  for (int i = 0; i < layout.cells; ++i) {
    bool isBlue = (blue[i >> 3] >> (i & 7)) & 1;
    bool isRed = (red[i >> 3] >> (i & 7)) & 1;
    if (isBlue && isRed) {
      throw Error(ErrorCode::CorruptData, "record holds both colours on cell " + hex::cellName(layout.boardSize, i));
    }
    position.cells[i] = isBlue ? 1 : (isRed ? 2 : 0);
  }
  const uint8_t* tail = in + 2 * layout.planeBytes;
  position.toMove = (tail[0] & kFlagRedToMove) ? hex::Player::Red : hex::Player::Blue;
  position.value = (tail[0] & kFlagRedWon) ? 1 : 0;
  position.policy = recordPolicy(layout, in);
  if (position.policy >= layout.cells) {
    throw Error(ErrorCode::CorruptData,
                "record policy target " + std::to_string(position.policy) + " is off the board");
  }
  position.ply = static_cast<uint16_t>(tail[4] | (tail[5] << 8));
  position.game = static_cast<uint32_t>(tail[6]) | (static_cast<uint32_t>(tail[7]) << 8) |
                  (static_cast<uint32_t>(tail[8]) << 16) | (static_cast<uint32_t>(tail[9]) << 24);
  return position;
}

}  // namespace hextorch::data
