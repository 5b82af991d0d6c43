#include "hex/board.h"

#include "util/error.h"

namespace hextorch::hex {

const char* playerName(Player p) { return p == Player::Blue ? "Blue" : "Red"; }

bool isValidSize(int size) { return size >= kMinSize && size <= kMaxSize; }

void checkSize(int size, const std::string& what) {
  if (!isValidSize(size)) {
    throw Error(ErrorCode::InvalidArgument, what + " " + std::to_string(size) + " is out of range: board sizes " +
                                                std::to_string(kMinSize) + " to " + std::to_string(kMaxSize) +
                                                " are supported");
  }
}

std::string cellName(int size, int index) {
  return std::string(1, static_cast<char>('a' + index % size)) + std::to_string(index / size + 1);
}

std::optional<int> parseCell(int size, std::string_view text, bool* offBoard) {
  if (offBoard) *offBoard = false;
  if (text.size() < 2 || text.size() > 3) return std::nullopt;
  char letter = text[0];
  if (letter >= 'A' && letter <= 'Z') letter = static_cast<char>(letter - 'A' + 'a');
  if (letter < 'a' || letter > 'z') return std::nullopt;
  int row = 0;
  for (size_t i = 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    row = row * 10 + (text[i] - '0');
  }
  int col = letter - 'a';
  if (row < 1 || row > size || col >= size) {
    if (offBoard) *offBoard = true;
    return std::nullopt;
  }
  return (row - 1) * size + col;
}

int neighbours(int size, int index, int out[6]) {
  static const int dr[6] = {0, 0, -1, 1, -1, 1};
  static const int dc[6] = {-1, 1, 0, 0, 1, -1};
  int r = index / size, c = index % size, count = 0;
  for (int k = 0; k < 6; ++k) {
    int nr = r + dr[k], nc = c + dc[k];
    if (nr >= 0 && nr < size && nc >= 0 && nc < size) out[count++] = nr * size + nc;
  }
  return count;
}

int mapIndex(int size, int symmetry, int index) {
  int r = index / size, c = index % size;
  switch (symmetry) {
    case 0:
      return index;
    case 1:
      return (size - 1 - r) * size + (size - 1 - c);
    case 2:
      return c * size + r;
    case 3:
      return (size - 1 - c) * size + (size - 1 - r);
  }
  throw Error(ErrorCode::InvalidArgument, "symmetry " + std::to_string(symmetry) + " is not one of 0..3");
}

// Virtual nodes after the cells: Blue top, Blue bottom, Red left, Red right.
Board::Board(int size) : size_(size), cells_(size * size, 0), parent_(size * size + 4) {
  checkSize(size, "board size");
  for (size_t i = 0; i < parent_.size(); ++i) parent_[i] = static_cast<int>(i);
}

int Board::find(int node) const {
  while (parent_[node] != node) {
    parent_[node] = parent_[parent_[node]];
    node = parent_[node];
  }
  return node;
}

void Board::unite(int a, int b) {
  a = find(a);
  b = find(b);
  if (a != b) parent_[a] = b;
}

void Board::place(int index, Player player) {
  uint8_t colour = player == Player::Blue ? 1 : 2;
  cells_[index] = colour;
  int cells = size_ * size_;
  int r = index / size_, c = index % size_;
  if (player == Player::Blue) {
    if (r == 0) unite(index, cells + 0);
    if (r == size_ - 1) unite(index, cells + 1);
  } else {
    if (c == 0) unite(index, cells + 2);
    if (c == size_ - 1) unite(index, cells + 3);
  }
  int around[6];
  int count = neighbours(size_, index, around);
  for (int k = 0; k < count; ++k) {
    if (cells_[around[k]] == colour) unite(index, around[k]);
  }
}

bool Board::hasConnected(Player player) const {
  int cells = size_ * size_;
  return player == Player::Blue ? find(cells + 0) == find(cells + 1) : find(cells + 2) == find(cells + 3);
}

GameOutcome replayGame(int size, const std::vector<uint16_t>& moves, std::optional<Player> statedWinner) {
  Board board(size);
  std::vector<int> playedAt(size * size, 0);
  std::optional<Player> connected;
  for (size_t k = 0; k < moves.size(); ++k) {
    int cell = moves[k];
    Player mover = (k % 2 == 0) ? Player::Blue : Player::Red;
    if (connected) {
      throw InvalidRecordError("moves-after-connection", "moves continue after " + std::string(playerName(*connected)) +
                                                             " connected at move " + std::to_string(k) +
                                                             " (next move " + cellName(size, cell) + ")");
    }
    if (!board.isEmpty(cell)) {
      throw InvalidRecordError("played-twice", "cell " + cellName(size, cell) + " is played twice (moves " +
                                                   std::to_string(playedAt[cell]) + " and " + std::to_string(k + 1) +
                                                   ")");
    }
    board.place(cell, mover);
    playedAt[cell] = static_cast<int>(k + 1);
    if (board.hasConnected(mover)) connected = mover;
  }
  if (connected) {
    if (statedWinner && *statedWinner != *connected) {
      throw InvalidRecordError("winner-contradicts-connection",
                               "the stated winner " + std::string(playerName(*statedWinner)) +
                                   " contradicts the connection completed by " + playerName(*connected));
    }
    return {*connected, true};
  }
  if (!statedWinner) {
    throw InvalidRecordError("no-winner", "the game ends without a connection after " + std::to_string(moves.size()) +
                                              " moves, so it has no winner");
  }
  return {*statedWinner, false};
}

}  // namespace hextorch::hex
