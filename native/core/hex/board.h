// Hex rules (see shared HEX.md): N×N rhombus, index i = r*N + c, Blue moves first and
// joins rows 1↔N, Red joins columns a↔last. No N-API and no LibTorch here.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace hextorch::hex {

constexpr int kMinSize = 5;
constexpr int kMaxSize = 19;
constexpr int kMaxCells = kMaxSize * kMaxSize;

enum class Player : uint8_t { Blue = 0, Red = 1 };
inline Player opponent(Player p) { return p == Player::Blue ? Player::Red : Player::Blue; }
const char* playerName(Player p);

bool isValidSize(int size);
// Throws InvalidArgument naming `what` when the size is outside [kMinSize, kMaxSize].
void checkSize(int size, const std::string& what);

// "a1" ↔ index. parseCell returns nullopt for text that is not a coordinate at all and
// sets `offBoard` when it is a coordinate outside the board.
std::string cellName(int size, int index);
std::optional<int> parseCell(int size, std::string_view text, bool* offBoard);

// A board that knows when a player has connected, by union-find with one virtual node
// per edge.
class Board {
 public:
  explicit Board(int size);
  int size() const { return size_; }
  // 0 = empty, 1 = Blue, 2 = Red.
  uint8_t at(int index) const { return cells_[index]; }
  bool isEmpty(int index) const { return cells_[index] == 0; }
  // All cells in index order (0 = empty, 1 = Blue, 2 = Red).
  const uint8_t* cellData() const { return cells_.data(); }
  void place(int index, Player player);
  bool hasConnected(Player player) const;

 private:
  int find(int node) const;
  void unite(int a, int b);

  int size_;
  std::vector<uint8_t> cells_;
  mutable std::vector<int> parent_;
};

// The neighbours of a cell, in HEX.md's order; returns how many were written.
int neighbours(int size, int index, int out[6]);

// The four rule-preserving symmetries, in HEX.md's order.
constexpr int kSymmetries = 4;
int mapIndex(int size, int symmetry, int index);
inline bool swapsColours(int symmetry) { return symmetry >= 2; }

// Validates a finished game and returns who won. `statedWinner` comes from formats
// that carry one (trmph); without it the game must end on a connection. Throws
// InvalidRecord with the reason (cell played twice, moves after a connection, stated
// winner contradicting the connection, no winner).
// An invalid record: `kind` is a short stable name for counting skips by reason.
class InvalidRecordError : public Error {
 public:
  InvalidRecordError(std::string kind, const std::string& message)
      : Error(ErrorCode::InvalidRecord, message), kind_(std::move(kind)) {}
  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
};

struct GameOutcome {
  Player winner;
  bool connected;  // false: the game ended without a connection (resignation)
};
GameOutcome replayGame(int size, const std::vector<uint16_t>& moves, std::optional<Player> statedWinner);

}  // namespace hextorch::hex
