#include <gtest/gtest.h>

#include "hex/board.h"
#include "hex/synthetic.h"
#include "util/error.h"

using namespace hextorch;
using namespace hextorch::hex;

TEST(Coordinates, MatchHexMd) {
  EXPECT_EQ(parseCell(13, "a1", nullptr), 0);
  EXPECT_EQ(parseCell(13, "m13", nullptr), 168);
  EXPECT_EQ(parseCell(13, "c2", nullptr), 1 * 13 + 2);
  EXPECT_EQ(cellName(13, 168), "m13");
  bool off = false;
  EXPECT_FALSE(parseCell(13, "n1", &off));
  EXPECT_TRUE(off);
  EXPECT_FALSE(parseCell(13, "a14", &off));
  EXPECT_TRUE(off);
  EXPECT_FALSE(parseCell(13, "1a", &off));
  EXPECT_FALSE(off);
}

TEST(Board, BlueJoinsTopAndBottomRedJoinsLeftAndRight) {
  Board blue(5);
  for (int r = 0; r < 5; ++r) {
    EXPECT_FALSE(blue.hasConnected(Player::Blue));
    blue.place(r * 5 + 2, Player::Blue);
  }
  EXPECT_TRUE(blue.hasConnected(Player::Blue));
  EXPECT_FALSE(blue.hasConnected(Player::Red));

  Board red(5);
  for (int c = 0; c < 5; ++c) red.place(3 * 5 + c, Player::Red);
  EXPECT_TRUE(red.hasConnected(Player::Red));
  EXPECT_FALSE(red.hasConnected(Player::Blue));
}

TEST(Board, ConnectsAlongTheHexDiagonalOnly) {
  // (r,c) and (r+1,c-1) touch; (r,c) and (r+1,c+1) do not.
  Board board(5);
  for (int r = 0; r < 5; ++r) board.place(r * 5 + (4 - r), Player::Blue);
  EXPECT_TRUE(board.hasConnected(Player::Blue));
  Board other(5);
  for (int r = 0; r < 5; ++r) other.place(r * 5 + r, Player::Blue);
  EXPECT_FALSE(other.hasConnected(Player::Blue));
}

TEST(Symmetries, MatchTheTableAndWorkedExample) {
  const int n = 13;
  int blue = 0, red = 1 * n + 1;
  EXPECT_EQ(mapIndex(n, 1, blue), 12 * n + 12);
  EXPECT_EQ(mapIndex(n, 1, red), 11 * n + 11);
  EXPECT_EQ(mapIndex(n, 2, blue), 0);
  EXPECT_EQ(mapIndex(n, 2, red), 1 * n + 1);
  EXPECT_EQ(mapIndex(n, 3, blue), 12 * n + 12);
  EXPECT_EQ(mapIndex(n, 3, red), 11 * n + 11);
  for (int size = kMinSize; size <= kMaxSize; ++size) {
    for (int i = 0; i < size * size; ++i) {
      EXPECT_EQ(mapIndex(size, 1, mapIndex(size, 1, i)), i);
      EXPECT_EQ(mapIndex(size, 2, mapIndex(size, 2, i)), i);
      EXPECT_EQ(mapIndex(size, 3, i), mapIndex(size, 1, mapIndex(size, 2, i)));
      int r = i / size, c = i % size;
      EXPECT_EQ(mapIndex(size, 2, i), c * size + r);
    }
  }
}

TEST(Symmetries, MapFinishedGamesToFinishedGamesWithTheStatedWinner) {
  for (int size : {5, 7, 13}) {
    for (uint64_t g = 0; g < 40; ++g) {
      Game game = playSyntheticGame(size, 7, g);
      for (int s = 0; s < kSymmetries; ++s) {
        // Colour-swapping symmetries also swap who moves first, so the mapped game is
        // replayed with the colours exchanged: each player's stones keep their owner.
        Board board(size);
        std::optional<Player> connected;
        for (size_t k = 0; k < game.moves.size(); ++k) {
          Player mover = (k % 2 == 0) ? Player::Blue : Player::Red;
          if (swapsColours(s)) mover = opponent(mover);
          ASSERT_FALSE(connected);
          int cell = mapIndex(size, s, game.moves[k]);
          ASSERT_TRUE(board.isEmpty(cell));
          board.place(cell, mover);
          if (board.hasConnected(mover)) connected = mover;
        }
        ASSERT_TRUE(connected);
        Player expected = swapsColours(s) ? opponent(game.winner) : game.winner;
        EXPECT_EQ(*connected, expected) << "size " << size << " game " << g << " symmetry " << s;
      }
    }
  }
}

TEST(ReplayGame, RejectsEachInvalidKind) {
  auto kindOf = [](const std::vector<uint16_t>& moves, std::optional<Player> stated) {
    try {
      replayGame(5, moves, stated);
    } catch (const InvalidRecordError& e) {
      return e.kind();
    }
    return std::string("valid");
  };
  // Blue plays column c, Red plays column a.
  std::vector<uint16_t> blueWins = {2, 0, 7, 5, 12, 10, 17, 15, 22};
  EXPECT_EQ(kindOf(blueWins, std::nullopt), "valid");
  EXPECT_EQ(kindOf(blueWins, Player::Blue), "valid");
  EXPECT_EQ(kindOf(blueWins, Player::Red), "winner-contradicts-connection");
  auto after = blueWins;
  after.push_back(20);
  EXPECT_EQ(kindOf(after, std::nullopt), "moves-after-connection");
  EXPECT_EQ(kindOf({2, 0, 2}, Player::Blue), "played-twice");
  EXPECT_EQ(kindOf({2, 0, 7}, std::nullopt), "no-winner");
  EXPECT_EQ(kindOf({2, 0, 7}, Player::Red), "valid");  // a resignation
}
