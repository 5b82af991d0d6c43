#include <gtest/gtest.h>

#include "hex/records.h"
#include "util/random.h"

using namespace hextorch::hex;

namespace {
LineResult trmph(const std::string& line, int size = 0) { return parseRecordLine(RecordFormat::Trmph, line, size); }
LineResult moves(const std::string& line) { return parseRecordLine(RecordFormat::Moves, line, 5); }
}  // namespace

TEST(Trmph, ParsesShortAndUrlForms) {
  // Blue c1..c5 wins on 5x5; Red plays a1..a4.
  std::string body = "c1a1c2a2c3a3c4a4c5";
  for (const std::string& line : {"#5," + body + " b", "http://www.trmph.com/hex/board#5," + body + " b"}) {
    LineResult r = trmph(line);
    ASSERT_EQ(r.kind, LineResult::Valid) << r.reason;
    EXPECT_EQ(r.game.size, 5);
    EXPECT_EQ(r.game.moves.size(), 9u);
    EXPECT_EQ(r.game.moves[0], 2);
    EXPECT_EQ(r.game.winner, Player::Blue);
  }
}

TEST(Trmph, SkipsCommentsAndNamesEachInvalidKind) {
  EXPECT_EQ(trmph("# a header line").kind, LineResult::Skip);
  EXPECT_EQ(trmph("").kind, LineResult::Skip);
  auto kind = [](const LineResult& r) { return r.kind == LineResult::Invalid ? r.reasonKind : std::string("?"); };
  EXPECT_EQ(kind(trmph("#5,c1a1c2a2c3a3c4a4c5 1")), "legacy-winner");
  EXPECT_EQ(kind(trmph("#5,c1a1c2a2c3a3c4a4c5 2")), "legacy-winner");
  EXPECT_EQ(kind(trmph("#5,c1a1c2a2c3a3c4a4c5")), "missing-winner");
  EXPECT_EQ(kind(trmph("#5,c1a1c2a2c3a3c4a4c5 r")), "winner-contradicts-connection");
  EXPECT_EQ(kind(trmph("#5,c1a1c2a2c3a3c4a4c5a5 b")), "moves-after-connection");
  EXPECT_EQ(kind(trmph("#5,c1c1 b")), "played-twice");
  EXPECT_EQ(kind(trmph("#5,f1 b")), "off-board");
  EXPECT_EQ(kind(trmph("#5,a6 b")), "off-board");
  EXPECT_EQ(kind(trmph("#4,a1 b")), "board-size");
  EXPECT_EQ(kind(trmph("#20,a1 b")), "board-size");
  EXPECT_EQ(kind(trmph("#7,a1 b", 5)), "board-size");
  EXPECT_EQ(kind(trmph("#5,a1?b2 b")), "syntax");
  EXPECT_NE(trmph("#5,c1c1 b").reason.find("c1"), std::string::npos);
  EXPECT_NE(trmph("#5,c1a1c2a2c3a3c4a4c5 1").reason.find("ambiguous"), std::string::npos);
}

TEST(MoveLists, WinnerIsWhoeverConnected) {
  LineResult r = moves("c1 a1 c2 a2 c3 a3 c4 a4 c5");
  ASSERT_EQ(r.kind, LineResult::Valid) << r.reason;
  EXPECT_EQ(r.game.winner, Player::Blue);
  LineResult red = moves("a1 a2 b1 b2 c1 c2 d1 d2 a4 e2");
  ASSERT_EQ(red.kind, LineResult::Valid) << red.reason;
  EXPECT_EQ(red.game.winner, Player::Red);
  EXPECT_EQ(moves("c1 a1 c2").reasonKind, "no-winner");
  EXPECT_EQ(moves("c1 zz").reasonKind, "syntax");
}

TEST(Parsers, NeverCrashOnArbitraryBytes) {
  hextorch::Rng rng(99);
  const std::string alphabet = "#abcdefghijklmnopqrstuvwxyz0123456789 ,:/.brBR12\t\xff\x00";
  for (int i = 0; i < 100000; ++i) {
    std::string line;
    size_t length = rng.below(40);
    bool structured = rng.below(2) == 0;
    if (structured) line = "#" + std::to_string(rng.below(25)) + ",";
    for (size_t k = 0; k < length; ++k) line += alphabet[rng.below(alphabet.size())];
    for (RecordFormat f : {RecordFormat::Trmph, RecordFormat::Moves}) {
      LineResult r = parseRecordLine(f, line, f == RecordFormat::Moves ? 7 : 0);
      if (r.kind == LineResult::Invalid) {
        EXPECT_FALSE(r.reason.empty());
        EXPECT_FALSE(r.reasonKind.empty());
      }
    }
  }
}
