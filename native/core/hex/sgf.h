// Little Golem SGF (see shared HEX.md, "Little Golem SGF"): a file holds one or many
// games `(;FF[4]...SZ[13]RE[W];W[fb];B[swap];...)`. W moves first; the first letter of
// a cell is the column; RE names the loser; `B[swap]` is re-expressed by transposing the
// game and exchanging colours, so every record comes out swap-free in our convention.
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <utility>

#include "hex/records.h"

namespace hextorch::hex {

struct SgfOptions {
  int size = 0;                         // board size fixed for the import; 0: any
  bool onlyResignOrConnection = false;  // skip games the site adjudicated (timeouts, forfeits)
};

struct SgfResult {
  // Skipped: a well-formed game that is not imported by rule (another board size, no
  // stone, unfinished, adjudicated when onlyResignOrConnection). Invalid: a malformed one.
  enum Kind { Valid, Skipped, Invalid } kind = Invalid;
  Game game;
  bool resigned = false;   // ended by a resign node
  std::string label;       // the site's game number (GC) when present, for messages
  std::string reasonKind;  // Skipped/Invalid: short stable name of the reason
  std::string reason;      // Skipped/Invalid: the message
};

// Parses one game's text, from its '(' to its ')'.
SgfResult parseSgfGame(std::string_view text, const SgfOptions& options);

// The importer's view of a game: Valid, Excluded (Skipped) or Invalid, the reason
// prefixed with the game's number in its file and the site's label.
LineResult toLineResult(SgfResult result, uint64_t gameInFile);

// Splits a stream into game texts without holding more than one game in memory.
class SgfReader {
 public:
  // `name`: the file, for messages.
  SgfReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {}
  // The next game's text and the line it starts on; false at the end of the stream.
  // Throws InvalidRecord for a game longer than kMaxGameBytes (an unterminated value).
  bool next(std::string& text, uint64_t& line);
  uint64_t bytesRead() const { return bytes_; }
  bool bad() const { return in_.bad(); }
  static constexpr size_t kMaxGameBytes = size_t{1} << 20;

 private:
  int get();
  std::istream& in_;
  std::string name_;
  char buffer_[65536];
  size_t pos_ = 0, end_ = 0;
  uint64_t bytes_ = 0, line_ = 1;
};

}  // namespace hextorch::hex
