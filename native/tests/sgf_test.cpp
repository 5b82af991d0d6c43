// Little Golem SGF, one test per rule of HEX.md's section "Little Golem SGF".
#include "hex/sgf.h"

#include <gtest/gtest.h>

#include <sstream>

#include "hex/board.h"

using namespace hextorch::hex;

namespace {

SgfResult parse(const std::string& text, int size = 0, bool onlyResignOrConnection = false) {
  return parseSgfGame(text, {size, onlyResignOrConnection});
}

std::vector<std::string> cells(const Game& game) {
  std::vector<std::string> out;
  for (uint16_t m : game.moves) out.push_back(cellName(game.size, m));
  return out;
}

std::string kindOf(const SgfResult& r) { return r.kind == SgfResult::Valid ? "valid" : r.reasonKind; }

// Plays an SGF move list on a board with Little Golem's own geometry, independently of
// the importer: W joins rows 1..N, B joins columns; `W[xy]` is column x, row y; after
// `B[swap]` a B stone stands on the reflected cell (column y, row x). Returns who
// connected: 'W', 'B' or 0.
char connectedInSiteGeometry(int size, const std::vector<std::string>& moves) {
  Board board(size);  // Blue plays the part of W (rows), Red of B (columns)
  auto at = [&](const std::string& v, bool reflect) {
    int x = v[0] - 'a', y = v[1] - 'a';
    return reflect ? x * size + y : y * size + x;  // row * size + column
  };
  for (size_t k = 0; k < moves.size(); ++k) {
    Player p = k % 2 == 0 ? Player::Blue : Player::Red;
    if (moves[k] == "swap") {
      Board fresh(size);
      fresh.place(at(moves[0], true), Player::Red);
      board = fresh;
      continue;
    }
    board.place(at(moves[k], false), p);
  }
  if (board.hasConnected(Player::Blue)) return 'W';
  if (board.hasConnected(Player::Red)) return 'B';
  return 0;
}

std::string game(const std::string& root, const std::vector<std::string>& moves) {
  std::string text = "(;FF[4]EV[hex.test]PB[bob]PW[wendy]" + root;
  for (size_t k = 0; k < moves.size(); ++k) text += std::string(";") + (k % 2 == 0 ? "W" : "B") + "[" + moves[k] + "]";
  return text + ")";
}

}  // namespace

TEST(Sgf, FirstLetterIsTheColumnAndWIsBlueWithoutSwap) {
  // HEX.md's examples: W[ak] -> a11, B[md] -> m4.
  SgfResult r = parse(game("SZ[13]GC[game #1]RE[W]", {"ak", "md", "resign"}));
  ASSERT_EQ(r.kind, SgfResult::Valid) << r.reason;
  EXPECT_EQ(cells(r.game), (std::vector<std::string>{"a11", "m4"}));
  EXPECT_EQ(r.game.size, 13);
  EXPECT_EQ(r.label, "game #1");
}

TEST(Sgf, REnamesTheLoser) {
  // Without swap: RE[B] -> Blue (W) won, RE[W] -> Red (B) won.
  SgfResult blue = parse(game("SZ[5]RE[B]", {"aa", "bb", "cc"}));
  SgfResult red = parse(game("SZ[5]RE[W]", {"aa", "bb", "cc"}));
  ASSERT_EQ(blue.kind, SgfResult::Valid) << blue.reason;
  ASSERT_EQ(red.kind, SgfResult::Valid) << red.reason;
  EXPECT_EQ(blue.game.winner, Player::Blue);
  EXPECT_EQ(red.game.winner, Player::Red);
  EXPECT_FALSE(blue.game.connected);
}

TEST(Sgf, WMovesFirstAndJoinsTheRows) {
  // W plays column c top to bottom (rows a..e) and connects rows 1..5; B lost.
  std::vector<std::string> moves = {"ca", "aa", "cb", "ab", "cc", "ac", "cd", "ad", "ce"};
  ASSERT_EQ(connectedInSiteGeometry(5, moves), 'W');
  SgfResult r = parse(game("SZ[5]RE[B]", moves));
  ASSERT_EQ(r.kind, SgfResult::Valid) << r.reason;
  EXPECT_EQ(r.game.winner, Player::Blue);
  EXPECT_TRUE(r.game.connected);
  EXPECT_EQ(cells(r.game).front(), "c1");
  // The connected colour is never the RE colour.
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[W]", moves))), "winner-contradicts-connection");
  // B joins the columns: B plays row c left to right.
  std::vector<std::string> bMoves = {"aa", "ac", "ab", "bc", "ad", "cc", "ae", "dc", "ee", "ec"};
  ASSERT_EQ(connectedInSiteGeometry(5, bMoves), 'B');
  SgfResult b = parse(game("SZ[5]RE[W]", bMoves));
  ASSERT_EQ(b.kind, SgfResult::Valid) << b.reason;
  EXPECT_EQ(b.game.winner, Player::Red);
  EXPECT_TRUE(b.game.connected);
}

TEST(Sgf, SwapTransposesTheGameAndExchangesColours) {
  // HEX.md's example: ;W[ak];B[swap];W[ed];B[di] -> a11 d5 i4.
  SgfResult r = parse(game("SZ[13]RE[W]", {"ak", "swap", "ed", "di", "resign"}));
  ASSERT_EQ(r.kind, SgfResult::Valid) << r.reason;
  EXPECT_EQ(cells(r.game), (std::vector<std::string>{"a11", "d5", "i4"}));
  // With swap SGF W = Red: W resigned, RE[W] -> Blue won.
  EXPECT_EQ(r.game.winner, Player::Blue);
  EXPECT_TRUE(r.resigned);
}

TEST(Sgf, SwappedGameReplaysToTheRecordedWinnersChain) {
  // In the site's geometry: after W[ab];B[swap] the B stone stands on (column b, row a);
  // W then joins the rows along column e and wins; RE[B] (B lost).
  std::vector<std::string> moves = {"ab", "swap", "ea", "cc", "eb", "cd", "ec", "ce", "ed", "da", "ee"};
  ASSERT_EQ(connectedInSiteGeometry(5, moves), 'W');
  SgfResult r = parse(game("SZ[5]RE[B]", moves));
  ASSERT_EQ(r.kind, SgfResult::Valid) << r.reason;
  EXPECT_EQ(r.game.moves.size(), 10u);    // the swap is not a move
  EXPECT_EQ(r.game.winner, Player::Red);  // after the swap SGF W is Red
  EXPECT_TRUE(r.game.connected);
  // Replay our swap-free record: the final position's winning chain is the winner's.
  Board board(5);
  for (size_t k = 0; k < r.game.moves.size(); ++k)
    board.place(r.game.moves[k], k % 2 == 0 ? Player::Blue : Player::Red);
  EXPECT_TRUE(board.hasConnected(r.game.winner));
  EXPECT_FALSE(board.hasConnected(opponent(r.game.winner)));
  EXPECT_EQ(cells(r.game).front(), "a2");  // the first stone as written, now Blue
  // The swap stone itself (SGF-B's) became Blue's first move; the recorded loser
  // contradicting the connection is refused as for unswapped games.
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[W]", moves))), "winner-contradicts-connection");
}

TEST(Sgf, GameEndingRightAfterTheSwapIsAOneMoveGame) {
  SgfResult r = parse(game("SZ[13]RE[W]", {"gg", "swap", "resign"}));
  ASSERT_EQ(r.kind, SgfResult::Valid) << r.reason;
  EXPECT_EQ(cells(r.game), (std::vector<std::string>{"g7"}));
  EXPECT_EQ(r.game.winner, Player::Blue);
}

TEST(Sgf, ResignIsTheLastNodeAndNamesTheLoser) {
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"aa", "resign", "cc"}))), "resign-not-last");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"aa", "bb", "resign"}))), "winner-contradicts-resign");  // W resigned
  SgfResult noRe = parse(game("SZ[5]", {"aa", "bb", "resign"}));  // W resigned: B (Red) won
  ASSERT_EQ(noRe.kind, SgfResult::Valid) << noRe.reason;
  EXPECT_EQ(noRe.game.winner, Player::Red);
}

TEST(Sgf, UnfinishedAndEmptyGamesAreSkippedByName) {
  SgfResult unfinished = parse(game("SZ[13]", {"aa", "bb"}));
  EXPECT_EQ(unfinished.kind, SgfResult::Skipped);
  EXPECT_EQ(unfinished.reasonKind, "unfinished");
  SgfResult empty = parse(game("SZ[13]RE[B]", {}));
  EXPECT_EQ(empty.kind, SgfResult::Skipped);
  EXPECT_EQ(empty.reasonKind, "no-stones");
  EXPECT_EQ(kindOf(parse(game("SZ[13]RE[W]", {"resign"}))), "no-stones");
}

TEST(Sgf, OtherBoardSizesAreSkipped) {
  SgfResult r = parse(game("SZ[11]RE[B]", {"aa", "resign"}), 13);
  EXPECT_EQ(r.kind, SgfResult::Skipped);
  EXPECT_EQ(r.reasonKind, "board-size");
  EXPECT_EQ(parse(game("SZ[25]RE[B]", {"aa", "resign"})).reasonKind, "board-size");
  EXPECT_EQ(parse(game("RE[B]", {"aa", "resign"})).kind, SgfResult::Invalid);  // no SZ
  EXPECT_EQ(kindOf(parse(game("SZ[11]RE[B]", {"aa", "resign"}), 11)), "valid");
}

TEST(Sgf, AdjudicatedGamesAreKeptUnlessOnlyResignOrConnectionIsAsked) {
  std::string adjudicated = game("SZ[5]RE[W]", {"aa", "bb", "cc"});
  EXPECT_EQ(kindOf(parse(adjudicated)), "valid");
  EXPECT_EQ(kindOf(parse(adjudicated, 0, true)), "adjudicated");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[W]", {"aa", "bb", "resign"}), 0, true)), "valid");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"ca", "aa", "cb", "ab", "cc", "ac", "cd", "ad", "ce"}), 0, true)),
            "valid");
}

TEST(Sgf, MalformedGamesAreInvalidByName) {
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"aa", "bb", "cc", "swap"}))), "swap-position");
  EXPECT_EQ(kindOf(parse("(;SZ[5]RE[B];W[aa];W[bb])")), "turn-order");
  EXPECT_EQ(kindOf(parse("(;SZ[5]RE[B];B[aa];W[bb])")), "turn-order");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"fa", "bb"}))), "off-board");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"aa", "aa"}))), "played-twice");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"ca", "aa", "cb", "ab", "cc", "ac", "cd", "ad", "ce", "ae"}))),
            "moves-after-connection");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[B]", {"a1"}))), "syntax");
  EXPECT_EQ(kindOf(parse(game("SZ[5]RE[X]", {"aa"}))), "syntax");
  EXPECT_EQ(kindOf(parse("(;SZ[5]RE[B];W[aa](;B[bb])(;B[cc]))")), "variations");
  EXPECT_EQ(kindOf(parse("(;SZ[5]RE[B];W[aa]")), "truncated");
  EXPECT_EQ(kindOf(parse("(;SZ[5]RE[B];W[a")), "truncated");
}

TEST(Sgf, ReaderSplitsManyGamesAndHonoursEscapedBrackets) {
  std::string text =
      "(;FF[4]SZ[5]RE[B]C[a comment with \\] and ( and ) inside];W[aa];B[resign])\n\n"
      "(;FF[4]SZ[5]\nRE[W];W[bb]\n;B[cc];W[resign])\r\n junk\n(;SZ[5]";
  std::istringstream in(text);
  SgfReader reader(in, "test.sgf");
  std::string game;
  uint64_t line = 0;
  std::vector<uint64_t> lines;
  std::vector<std::string> kinds;
  while (reader.next(game, line)) {
    lines.push_back(line);
    kinds.push_back(kindOf(parse(game)));
  }
  EXPECT_EQ(lines, (std::vector<uint64_t>{1, 3, 7}));
  EXPECT_EQ(kinds, (std::vector<std::string>{"valid", "valid", "truncated"}));
  EXPECT_EQ(reader.bytesRead(), text.size());
}

TEST(Sgf, ReaderBoundsTheMemoryOfOneGame) {
  // An unterminated value would otherwise swallow the rest of the file.
  std::string text = "(;SZ[13]RE[B];W[aa];B[resign]) (;SZ[13]C[" + std::string(SgfReader::kMaxGameBytes, 'x');
  std::istringstream in(text);
  SgfReader reader(in, "big.sgf");
  std::string game;
  uint64_t line = 0;
  ASSERT_TRUE(reader.next(game, line));
  try {
    reader.next(game, line);
    FAIL() << "expected an error";
  } catch (const InvalidRecordError& e) {
    EXPECT_EQ(e.kind(), "too-long");
    EXPECT_NE(std::string(e.what()).find("big.sgf:1:"), std::string::npos) << e.what();
  }
}

TEST(Sgf, DirectoriesAndArchivesContributeTheirSgfAndTxtFiles) {
  EXPECT_TRUE(isRecordFileName(RecordFormat::Sgf, "hex13-2019.sgf"));
  EXPECT_TRUE(isRecordFileName(RecordFormat::Sgf, "HEX.SGF"));
  EXPECT_TRUE(isRecordFileName(RecordFormat::Sgf, "games.txt"));
  EXPECT_FALSE(isRecordFileName(RecordFormat::Sgf, "README.md"));
  EXPECT_FALSE(isRecordFileName(RecordFormat::Sgf, "sgf"));
  EXPECT_TRUE(isRecordFileName(RecordFormat::Moves, "raw_games.dat"));
}
