#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sys/stat.h>

#include "data/dataset.h"
#include "data/importer.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

using namespace hextorch;
using namespace hextorch::data;

namespace {

ImportOptions movesImport(const std::string& out, std::vector<std::string> inputs) {
  ImportOptions options;
  options.format = hex::RecordFormat::Moves;
  options.inputs = std::move(inputs);
  options.build.outDir = out;
  return options;
}

}  // namespace

TEST(Import, NeurohexGivesTheFiguresOfHexMd) {
  std::string data = testsupport::sharedDataDir();
  if (data.empty()) GTEST_SKIP() << "../shared/data is not present";
  testsupport::TempDir dir;
  ImportSummary summary = importRecords(movesImport(dir.path(), {data + "/neurohex/raw_games.dat"}));
  EXPECT_EQ(summary.recordsRead, 10985u);
  EXPECT_EQ(summary.duplicates, 3u);
  EXPECT_EQ(summary.gamesImported, 10982u);
  EXPECT_EQ(summary.build.positions, 561799u);
  EXPECT_EQ(summary.build.blueWins, 5961u);
  EXPECT_EQ(summary.build.redWins, 5021u);
  EXPECT_EQ(summary.build.validationGames, 549u);  // 5 % of 10,982, rounded

  auto train = Dataset::open(dir.path(), Split::Train);
  auto validation = Dataset::open(dir.path(), Split::Validation);
  EXPECT_EQ(train->size() + validation->size(), 561799u);
  // Every record decodes; the split is by game; final positions have no policy target.
  std::set<uint32_t> trainGames, validationGames;
  uint64_t finals = 0;
  std::vector<uint8_t> scratch;
  for (auto* ds : {train.get(), validation.get()}) {
    std::vector<uint8_t> all(ds->size() * ds->layout().recordSize);
    ds->read(0, ds->size(), all.data(), scratch);
    for (uint64_t i = 0; i < ds->size(); ++i) {
      Position p = decodePosition(ds->layout(), all.data() + i * ds->layout().recordSize);
      (ds == train.get() ? trainGames : validationGames).insert(p.game);
      if (p.policy == kNoPolicy) ++finals;
      int stones = 0;
      for (int c = 0; c < 169; ++c) stones += p.cells[c] != 0;
      EXPECT_EQ(stones, p.ply);
      EXPECT_EQ(p.toMove, p.ply % 2 == 0 ? hex::Player::Blue : hex::Player::Red);
      if (p.policy != kNoPolicy) {
        EXPECT_EQ(p.cells[p.policy], 0);
      }
    }
  }
  EXPECT_EQ(finals, 10982u);
  for (uint32_t g : validationGames) EXPECT_EQ(trainGames.count(g), 0u);
  EXPECT_EQ(trainGames.size() + validationGames.size(), 10982u);
}

TEST(Import, PositionsOfAGameAreSpreadAcrossTheShard) {
  testsupport::TempDir dir;
  GenerateOptions options;
  options.games = 200;
  options.boardSize = 7;
  options.build.outDir = dir.path();
  generateDataset(options);
  auto train = Dataset::open(dir.path(), Split::Train);
  std::vector<uint8_t> all(train->size() * train->layout().recordSize), scratch;
  train->read(0, train->size(), all.data(), scratch);
  uint64_t sameGameNeighbours = 0;
  for (uint64_t i = 1; i < train->size(); ++i) {
    sameGameNeighbours += decodePosition(train->layout(), all.data() + i * train->layout().recordSize).game ==
                          decodePosition(train->layout(), all.data() + (i - 1) * train->layout().recordSize).game;
  }
  // With ~190 games mixed uniformly, about 1 in 190 neighbours share a game.
  EXPECT_LT(sameGameNeighbours, train->size() / 50);
}

TEST(Import, FailModeReportsEveryInvalidRecordAndWritesNothing) {
  testsupport::TempDir dir;
  std::string input = dir.file("games.trmph");
  testsupport::writeText(input, "# header\n#5,c1a1c2a2c3a3c4a4c5 b\n#5,c1c1 b\n#5,c1a1c2a2c3a3c4a4c5 1\n#5,f1 b\n");
  ImportOptions options = movesImport(dir.file("out"), {input});
  options.format = hex::RecordFormat::Trmph;
  try {
    importRecords(options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.code(), ErrorCode::InvalidRecord);
    EXPECT_NE(message.find("3 invalid records"), std::string::npos) << message;
    EXPECT_NE(message.find(input + ":3:"), std::string::npos) << message;
    EXPECT_NE(message.find(input + ":4:"), std::string::npos) << message;
    EXPECT_NE(message.find(input + ":5:"), std::string::npos) << message;
  }
  EXPECT_FALSE(pathExists(dir.file("out/dataset.json")));

  options.onInvalid = OnInvalid::Skip;
  options.build.valFraction = 0;
  ImportSummary summary = importRecords(options);
  EXPECT_EQ(summary.gamesImported, 1u);
  EXPECT_EQ(summary.skippedByReason["played-twice"], 1u);
  EXPECT_EQ(summary.skippedByReason["legacy-winner"], 1u);
  EXPECT_EQ(summary.skippedByReason["off-board"], 1u);
  EXPECT_TRUE(pathExists(dir.file("out/dataset.json")));
  // A second import into a directory that holds a dataset is refused.
  EXPECT_THROW(importRecords(options), Error);
}

TEST(Import, BadInputsAreClearErrors) {
  testsupport::TempDir dir;
  auto expectError = [&](ImportOptions options, const std::string& fragment) {
    try {
      importRecords(options);
      ADD_FAILURE() << "expected an error containing " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectError(movesImport(dir.file("o1"), {dir.file("missing.dat")}), "does not exist");
  testsupport::writeText(dir.file("empty.dat"), "");
  expectError(movesImport(dir.file("o2"), {dir.file("empty.dat")}), "is empty");
  ::mkdir(dir.file("nothing").c_str(), 0755);
  expectError(movesImport(dir.file("o3"), {dir.file("nothing")}), "holds no record files");
  testsupport::writeText(dir.file("ok.dat"),
                         "c1 a1 c2 a2 c3 a3 c4 a4 c5 a5 c6 a6 c7 a7 c8 a8 c9 a9 c10 a10 c11 a11 c12 a12 c13\n");
  testsupport::writeText(dir.file("blocker"), "a file where a directory should be");
  expectError(movesImport(dir.file("blocker/out"), {dir.file("ok.dat")}), "blocker");
}

TEST(Import, SplitsLargerThanTheMemoryBudgetAreMixedThroughBucketFiles) {
  auto build = [](const std::string& out, uint64_t budget) {
    GenerateOptions options;
    options.games = 300;
    options.boardSize = 7;
    options.seed = 8;
    options.build.outDir = out;
    options.build.memoryBudgetBytes = budget;
    options.build.shardRecords = 4096;
    return generateDataset(options);
  };
  testsupport::TempDir dir;
  GenerateSummary inMemory = build(dir.file("memory"), uint64_t{1} << 30);
  GenerateSummary bucketed = build(dir.file("buckets"), 32 << 10);  // far below the ~240 kB of records
  EXPECT_EQ(bucketed.build.positions, inMemory.build.positions);
  EXPECT_EQ(bucketed.build.trainPositions, inMemory.build.trainPositions);
  auto train = Dataset::open(dir.file("buckets"), Split::Train);
  EXPECT_GT(train->shards().size(), 1u);
  std::vector<uint8_t> all(train->size() * train->layout().recordSize), scratch;
  train->read(0, train->size(), all.data(), scratch);
  std::set<std::pair<uint32_t, uint16_t>> seen;
  uint64_t sameGameNeighbours = 0;
  uint32_t previousGame = UINT32_MAX;
  for (uint64_t i = 0; i < train->size(); ++i) {
    Position p = decodePosition(train->layout(), all.data() + i * train->layout().recordSize);
    EXPECT_TRUE(seen.insert({p.game, p.ply}).second) << "game " << p.game << " ply " << p.ply << " twice";
    sameGameNeighbours += p.game == previousGame;
    previousGame = p.game;
  }
  EXPECT_EQ(seen.size(), train->size());
  EXPECT_LT(sameGameNeighbours, train->size() / 50);
  for (const char* leftover : {".bucket-train-0.tmp", ".bucket-validation-0.tmp"}) {
    EXPECT_FALSE(pathExists(dir.file(std::string("buckets/") + leftover)));
  }
  // Deterministic: the same inputs give the same bytes.
  build(dir.file("again"), 32 << 10);
  EXPECT_EQ(readTextFile(dir.file("buckets/train-00000.hxs")), readTextFile(dir.file("again/train-00000.hxs")));
}
