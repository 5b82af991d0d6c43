#include "hex/records.h"

#include <cctype>

#include "util/error.h"

namespace hextorch::hex {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 24)) out += (c >= 32 && c < 127) ? c : '?';
  if (s.size() > 24) out += "...";
  return out;
}

LineResult invalid(std::string kind, std::string reason) {
  LineResult r;
  r.kind = LineResult::Invalid;
  r.reasonKind = std::move(kind);
  r.reason = std::move(reason);
  return r;
}

// Appends one coordinate; returns the invalid result on failure.
std::optional<LineResult> addMove(std::vector<uint16_t>& moves, int size, std::string_view token) {
  bool offBoard = false;
  auto cell = parseCell(size, token, &offBoard);
  if (cell) {
    moves.push_back(static_cast<uint16_t>(*cell));
    return std::nullopt;
  }
  if (offBoard) {
    return invalid("off-board", "coordinate " + printable(token) + " is off the " + std::to_string(size) + "x" +
                                    std::to_string(size) + " board (move " + std::to_string(moves.size() + 1) + ")");
  }
  return invalid("syntax",
                 "'" + printable(token) + "' is not a coordinate (move " + std::to_string(moves.size() + 1) + ")");
}

LineResult finish(Game game, std::optional<Player> stated) {
  try {
    GameOutcome outcome = replayGame(game.size, game.moves, stated);
    game.winner = outcome.winner;
    game.connected = outcome.connected;
  } catch (const InvalidRecordError& e) {
    return invalid(e.kind(), e.what());
  }
  LineResult r;
  r.kind = LineResult::Valid;
  r.game = std::move(game);
  return r;
}

LineResult parseTrmph(std::string_view line, int fixedSize) {
  size_t hash = line.find('#');
  if (hash == std::string_view::npos) return invalid("syntax", "not a trmph record (expected '#N,moves winner')");
  std::string_view prefix = line.substr(0, hash);
  std::string_view rest = line.substr(hash + 1);
  size_t digits = 0;
  while (digits < rest.size() && isDigit(rest[digits])) ++digits;
  bool looksLikeRecord = digits > 0 && digits < rest.size() && rest[digits] == ',';
  if (!looksLikeRecord) {
    if (prefix.empty()) return LineResult{};  // a '#' header or comment
    return invalid("syntax", "not a trmph record (expected '#N,moves winner' after the URL)");
  }
  if (!prefix.empty() && prefix.rfind("http", 0) != 0)
    return invalid("syntax", "unexpected text before '#': " + printable(prefix));
  if (digits > 2) return invalid("board-size", "board size " + printable(rest.substr(0, digits)) + " is out of range");
  int size = std::stoi(std::string(rest.substr(0, digits)));
  if (!isValidSize(size)) {
    return invalid("board-size", "board size " + std::to_string(size) + " is out of range (" +
                                     std::to_string(kMinSize) + " to " + std::to_string(kMaxSize) + ")");
  }
  if (fixedSize != 0 && size != fixedSize) {
    return invalid("board-size", "board size " + std::to_string(size) + " differs from the size " +
                                     std::to_string(fixedSize) + " fixed for this import");
  }
  rest.remove_prefix(digits + 1);
  size_t space = rest.find_first_of(" \t");
  std::string_view moveText = rest.substr(0, space);
  std::string_view winnerText = space == std::string_view::npos ? std::string_view{} : trim(rest.substr(space));

  Game game;
  game.size = size;
  size_t i = 0;
  while (i < moveText.size()) {
    size_t start = i;
    if (!isLetter(moveText[i]))
      return invalid("syntax", "'" + printable(moveText.substr(i)) + "' is not a coordinate (move " +
                                   std::to_string(game.moves.size() + 1) + ")");
    ++i;
    while (i < moveText.size() && isDigit(moveText[i])) ++i;
    if (auto bad = addMove(game.moves, size, moveText.substr(start, i - start))) return *bad;
  }

  if (winnerText.empty())
    return invalid("missing-winner", "the winner is missing (expected 'b' or 'r' after the moves)");
  std::optional<Player> stated;
  if (winnerText == "b" || winnerText == "B")
    stated = Player::Blue;
  else if (winnerText == "r" || winnerText == "R")
    stated = Player::Red;
  else if (winnerText == "1" || winnerText == "2") {
    return invalid("legacy-winner",
                   "legacy winner token '" + std::string(winnerText) +
                       "' is ambiguous (it meant different colours in different tools); use 'b' or 'r'");
  } else {
    return invalid("syntax", "winner '" + printable(winnerText) + "' is not 'b' or 'r'");
  }
  return finish(std::move(game), stated);
}

LineResult parseMoves(std::string_view line, int size) {
  Game game;
  game.size = size;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) {
      if (auto bad = addMove(game.moves, size, line.substr(start, i - start))) return *bad;
    }
  }
  if (game.moves.empty()) return LineResult{};
  return finish(std::move(game), std::nullopt);
}

}  // namespace

std::optional<RecordFormat> parseRecordFormat(std::string_view name) {
  if (name == "trmph") return RecordFormat::Trmph;
  if (name == "moves") return RecordFormat::Moves;
  if (name == "sgf") return RecordFormat::Sgf;
  return std::nullopt;
}

const char* recordFormatName(RecordFormat format) {
  switch (format) {
    case RecordFormat::Trmph:
      return "trmph";
    case RecordFormat::Moves:
      return "moves";
    case RecordFormat::Sgf:
      return "sgf";
  }
  return "?";
}

bool isRecordFileName(RecordFormat format, std::string_view name) {
  if (format != RecordFormat::Sgf) return true;
  auto endsWith = [&](std::string_view suffix) {
    if (name.size() < suffix.size()) return false;
    for (size_t k = 0; k < suffix.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(name[name.size() - suffix.size() + k])) != suffix[k]) return false;
    return true;
  };
  return endsWith(".sgf") || endsWith(".txt");
}

LineResult parseRecordLine(RecordFormat format, std::string_view line, int size) {
  line = trim(line);
  if (line.empty()) return LineResult{};
  if (format == RecordFormat::Trmph) return parseTrmph(line, size);
  if (format == RecordFormat::Sgf) return invalid("syntax", "SGF games span lines: read them with hex::SgfReader");
  if (line.front() == '#') return LineResult{};
  return parseMoves(line, size);
}

}  // namespace hextorch::hex
