#include "hex/sgf.h"

#include <utility>
#include <vector>

#include "hex/board.h"
#include "util/error.h"

namespace hextorch::hex {
namespace {

struct Property {
  std::string name;
  std::vector<std::string> values;
};
using Node = std::vector<Property>;

struct Move {
  char colour;  // 'W' or 'B'
  std::string value;
};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 24)) out += (c >= 32 && c < 127) ? c : '?';
  if (s.size() > 24) out += "...";
  return out;
}

SgfResult result(SgfResult::Kind kind, std::string reasonKind, std::string reason) {
  SgfResult r;
  r.kind = kind;
  r.reasonKind = std::move(reasonKind);
  r.reason = std::move(reason);
  return r;
}

struct SyntaxError {
  std::string kind, message;
};

// The game tree's main line as nodes of properties. Variations are refused: the site
// writes none, and a record with branches has no single move list.
std::vector<Node> parseNodes(std::string_view text) {
  size_t i = 0;
  auto skipSpace = [&] {
    while (i < text.size() && isSpace(text[i])) ++i;
  };
  skipSpace();
  if (i >= text.size() || text[i] != '(') throw SyntaxError{"syntax", "a game must start with '('"};
  ++i;
  std::vector<Node> nodes;
  for (;;) {
    skipSpace();
    if (i >= text.size()) throw SyntaxError{"truncated", "the game ends before its closing ')'"};
    char c = text[i];
    if (c == ')') break;
    if (c == '(')
      throw SyntaxError{"variations", "the game has variations (nested '('); only a main line can be imported"};
    if (c != ';')
      throw SyntaxError{"syntax", "unexpected '" + printable(text.substr(i, 1)) + "' where a node ';' was expected"};
    ++i;
    Node node;
    for (;;) {
      skipSpace();
      if (i >= text.size() || !isUpper(text[i])) break;
      Property p;
      while (i < text.size() && (isUpper(text[i]) || (text[i] >= 'a' && text[i] <= 'z'))) p.name += text[i++];
      skipSpace();
      while (i < text.size() && text[i] == '[') {
        ++i;
        std::string value;
        bool closed = false;
        while (i < text.size()) {
          char v = text[i++];
          if (v == '\\' && i < text.size()) {
            value += text[i++];
          } else if (v == ']') {
            closed = true;
            break;
          } else {
            value += v;
          }
        }
        if (!closed) throw SyntaxError{"truncated", "the value of " + printable(p.name) + " is not closed by ']'"};
        p.values.push_back(std::move(value));
        skipSpace();
      }
      if (p.values.empty()) throw SyntaxError{"syntax", "property " + printable(p.name) + " has no value"};
      node.push_back(std::move(p));
    }
    nodes.push_back(std::move(node));
  }
  if (nodes.empty()) throw SyntaxError{"syntax", "the game has no node"};
  return nodes;
}

const std::string* property(const Node& node, std::string_view name) {
  for (const auto& p : node)
    if (p.name == name) return &p.values.front();
  return nullptr;
}

}  // namespace

SgfResult parseSgfGame(std::string_view text, const SgfOptions& options) {
  std::vector<Node> nodes;
  try {
    nodes = parseNodes(text);
  } catch (const SyntaxError& e) {
    return result(SgfResult::Invalid, e.kind, e.message);
  }
  const Node& root = nodes.front();
  std::string label;
  if (const std::string* gc = property(root, "GC")) label = *gc;

  // Moves, in order, from every node (the root included, should it hold one).
  std::vector<Move> moves;
  for (const Node& node : nodes) {
    int found = 0;
    for (const auto& p : node) {
      if (p.name != "W" && p.name != "B") continue;
      if (++found > 1 || p.values.size() != 1)
        return result(SgfResult::Invalid, "syntax", "a node holds more than one move");
      moves.push_back({p.name[0], p.values.front()});
    }
  }

  auto finish = [&](SgfResult r) {
    r.label = label;
    return r;
  };

  const std::string* sz = property(root, "SZ");
  if (!sz) return finish(result(SgfResult::Invalid, "board-size", "the board size SZ is missing"));
  int size = 0;
  if (sz->empty() || sz->size() > 3)
    return finish(result(SgfResult::Invalid, "board-size", "SZ[" + printable(*sz) + "] is not a board size"));
  for (char c : *sz) {
    if (c < '0' || c > '9')
      return finish(result(SgfResult::Invalid, "board-size", "SZ[" + printable(*sz) + "] is not a board size"));
    size = size * 10 + (c - '0');
  }
  if (!isValidSize(size)) {
    return finish(result(SgfResult::Skipped, "board-size",
                         "board size " + std::to_string(size) + " is out of range (" + std::to_string(kMinSize) +
                             " to " + std::to_string(kMaxSize) + ")"));
  }
  if (options.size != 0 && size != options.size) {
    return finish(result(SgfResult::Skipped, "board-size",
                         "board size " + std::to_string(size) + " differs from the size " +
                             std::to_string(options.size) + " of this import"));
  }

  int stones = 0;
  for (const Move& m : moves)
    if (m.value != "swap" && m.value != "resign") ++stones;
  if (stones == 0) return finish(result(SgfResult::Skipped, "no-stones", "the game has no stone (a forfeit)"));

  // Order of the nodes: W, B, W, ...; swap only as the second node; resign only last.
  bool swapped = false, resigned = false;
  char resigner = 0;
  for (size_t k = 0; k < moves.size(); ++k) {
    const Move& m = moves[k];
    char expected = k % 2 == 0 ? 'W' : 'B';
    if (m.colour != expected && m.value != "resign") {  // a player may resign out of turn
      return finish(result(SgfResult::Invalid, "turn-order",
                           "move " + std::to_string(k + 1) + " is " + m.colour + "[" + printable(m.value) +
                               "] but it is " + expected + "'s turn"));
    }
    if (m.value == "swap") {
      if (k != 1)
        return finish(result(SgfResult::Invalid, "swap-position",
                             "swap at move " + std::to_string(k + 1) + "; it may only be the second move"));
      swapped = true;
    } else if (m.value == "resign") {
      if (k + 1 != moves.size()) {
        return finish(result(SgfResult::Invalid, "resign-not-last",
                             "resign at move " + std::to_string(k + 1) + " is not the last node"));
      }
      resigned = true;
      resigner = m.colour;
    }
  }

  const std::string* re = property(root, "RE");
  char loser = 0;
  if (re && !re->empty()) {
    if (*re != "W" && *re != "B") {
      return finish(result(SgfResult::Invalid, "syntax", "RE[" + printable(*re) + "] is not W or B (the loser)"));
    }
    loser = (*re)[0];
  } else if (resigned) {
    loser = resigner;
  } else {
    return finish(result(SgfResult::Skipped, "unfinished", "the game has no result RE (unfinished)"));
  }
  if (resigned && resigner != loser) {
    return finish(
        result(SgfResult::Invalid, "winner-contradicts-resign",
               std::string("RE[") + loser + "] names " + loser + " as the loser but " + resigner + " resigned"));
  }

  // Cells: first letter the column, second the row. After a swap every later move is
  // transposed and the colours exchange (SGF B = Blue, SGF W = Red).
  Game game;
  game.size = size;
  for (size_t k = 0; k < moves.size(); ++k) {
    const std::string& v = moves[k].value;
    if (v == "swap" || v == "resign") continue;
    if (v.size() != 2 || v[0] < 'a' || v[0] > 'z' || v[1] < 'a' || v[1] > 'z') {
      return finish(result(SgfResult::Invalid, "syntax",
                           "move " + std::to_string(k + 1) + " " + moves[k].colour + "[" + printable(v) +
                               "] is not a cell (two letters a..)"));
    }
    int first = v[0] - 'a', second = v[1] - 'a';
    if (first >= size || second >= size) {
      return finish(result(SgfResult::Invalid, "off-board",
                           "move " + std::to_string(k + 1) + " " + moves[k].colour + "[" + v + "] is off the " +
                               std::to_string(size) + "x" + std::to_string(size) + " board"));
    }
    bool transpose = swapped && k > 0;
    int column = transpose ? second : first;
    int row = transpose ? first : second;
    game.moves.push_back(static_cast<uint16_t>(row * size + column));
  }
  // W is Blue without swap and Red with it; the winner is the colour RE does not name.
  bool loserIsBlue = (loser == 'W') != swapped;
  Player winner = loserIsBlue ? Player::Red : Player::Blue;
  try {
    GameOutcome outcome = replayGame(size, game.moves, winner);
    game.winner = outcome.winner;
    game.connected = outcome.connected;
  } catch (const InvalidRecordError& e) {
    std::string why = e.what();
    if (swapped) why += " (moves as re-expressed without the swap)";
    return finish(result(SgfResult::Invalid, e.kind(), why));
  }
  if (options.onlyResignOrConnection && !resigned && !game.connected) {
    return finish(
        result(SgfResult::Skipped, "adjudicated", "the game ended neither by resignation nor by a connection"));
  }
  SgfResult r;
  r.kind = SgfResult::Valid;
  r.game = std::move(game);
  r.resigned = resigned;
  return finish(std::move(r));
}

LineResult toLineResult(SgfResult r, uint64_t gameInFile) {
  LineResult out;
  if (r.kind == SgfResult::Valid) {
    out.kind = LineResult::Valid;
    out.game = std::move(r.game);
    return out;
  }
  out.kind = r.kind == SgfResult::Skipped ? LineResult::Excluded : LineResult::Invalid;
  out.reasonKind = std::move(r.reasonKind);
  out.reason = "game " + std::to_string(gameInFile) + (r.label.empty() ? "" : " (" + r.label + ")") + ": " + r.reason;
  return out;
}

int SgfReader::get() {
  if (pos_ == end_) {
    if (!in_.good()) return -1;
    in_.read(buffer_, sizeof buffer_);
    end_ = static_cast<size_t>(in_.gcount());
    pos_ = 0;
    if (end_ == 0) return -1;
  }
  char c = buffer_[pos_++];
  ++bytes_;
  if (c == '\n') ++line_;
  return static_cast<unsigned char>(c);
}

bool SgfReader::next(std::string& text, uint64_t& line) {
  text.clear();
  int c;
  while ((c = get()) != -1 && c != '(') {
  }
  if (c == -1) return false;
  line = line_;
  text.push_back('(');
  int depth = 1;
  bool inValue = false, escaped = false;
  while (depth > 0) {
    c = get();
    if (c == -1) return true;  // truncated: the parser names it
    text.push_back(static_cast<char>(c));
    if (text.size() > kMaxGameBytes) {
      throw InvalidRecordError(
          "too-long", name_ + ":" + std::to_string(line) + ": the game starting here is longer than " +
                          std::to_string(kMaxGameBytes >> 20) + " MiB (an unterminated value?); nothing was written");
    }
    if (inValue) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == ']')
        inValue = false;
    } else if (c == '[') {
      inValue = true;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
  }
  return true;
}

}  // namespace hextorch::hex
