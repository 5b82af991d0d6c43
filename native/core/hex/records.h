// Parsers for game records, one game per line: trmph (`#13,a1b2c3 b`, optionally as a
// trmph.com URL) and move lists (`a1 b2 c3`, winner = whoever connected).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hex/board.h"

namespace hextorch::hex {

enum class RecordFormat { Trmph, Moves, Sgf };  // Sgf: games are read by hex/sgf.h, not by line
std::optional<RecordFormat> parseRecordFormat(std::string_view name);
const char* recordFormatName(RecordFormat format);
// Whether a file found in an input directory (or archive) holds records of `format`:
// for SGF the .sgf and .txt files, for the line formats every file.
bool isRecordFileName(RecordFormat format, std::string_view name);

struct Game {
  int size = 0;
  std::vector<uint16_t> moves;
  Player winner = Player::Blue;
  bool connected = true;
};

struct LineResult {
  // Skip: blank line or comment. Excluded: a well-formed record not imported by rule
  // (SGF: another size, no stone, unfinished, adjudicated), counted by reasonKind.
  enum Kind { Skip, Valid, Invalid, Excluded } kind = Skip;
  Game game;
  std::string reasonKind;  // for Invalid and Excluded: short stable name of the reason
  std::string reason;      // for Invalid and Excluded: the message
};

// `size`: for move lists the board size (they carry none); for trmph the size fixed for
// the file so far, or 0 when the first record fixes it.
LineResult parseRecordLine(RecordFormat format, std::string_view line, int size);

}  // namespace hextorch::hex
