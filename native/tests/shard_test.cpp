#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/dataset_builder.h"
#include "data/shard.h"
#include "hex/synthetic.h"
#include "test_support.h"
#include "util/crc32c.h"
#include "util/error.h"
#include "util/unique_fd.h"
#include "util/file.h"
#include "util/random.h"

using hextorch::testsupport::writeText;

using namespace hextorch;
using namespace hextorch::data;

namespace {

std::vector<uint8_t> somePositions(const RecordLayout& layout, int games) {
  std::vector<uint8_t> records;
  for (int g = 0; g < games; ++g)
    encodeGamePositions(layout, hex::playSyntheticGame(layout.boardSize, 3, g), g, records);
  return records;
}

void flipByte(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR);
  uint8_t b;
  ASSERT_EQ(::pread(fd, &b, 1, offset), 1);
  b ^= 0x5A;
  ASSERT_EQ(::pwrite(fd, &b, 1, offset), 1);
  ::close(fd);
}

}  // namespace

TEST(PositionRecord, RoundTrips) {
  for (int size : {5, 13, 19}) {
    RecordLayout layout = layoutFor(size);
    hex::Game game = hex::playSyntheticGame(size, 1, 0);
    std::vector<uint8_t> records;
    encodeGamePositions(layout, game, 42, records);
    ASSERT_EQ(records.size(), (game.moves.size() + 1) * layout.recordSize);
    std::array<uint8_t, hex::kMaxCells> cells{};
    for (size_t k = 0; k <= game.moves.size(); ++k) {
      Position p = decodePosition(layout, records.data() + k * layout.recordSize);
      EXPECT_EQ(p.cells, cells);
      EXPECT_EQ(p.ply, k);
      EXPECT_EQ(p.game, 42u);
      EXPECT_EQ(p.toMove, k % 2 == 0 ? hex::Player::Blue : hex::Player::Red);
      EXPECT_EQ(p.policy, k < game.moves.size() ? game.moves[k] : kNoPolicy);
      EXPECT_EQ(p.value, game.winner == hex::Player::Red ? 1 : 0);
      if (k < game.moves.size()) cells[game.moves[k]] = k % 2 == 0 ? 1 : 2;
    }
  }
}

TEST(Shard, WritesAndReadsAcrossBlocks) {
  testsupport::TempDir dir;
  RecordLayout layout = layoutFor(7);
  std::vector<uint8_t> records = somePositions(layout, 60);
  uint64_t count = records.size() / layout.recordSize;
  ShardWriter writer(dir.file("a.hxs"), 7, 0, 64);
  writer.append(records.data(), count);
  writer.finish();
  ShardReader reader(dir.file("a.hxs"));
  EXPECT_EQ(reader.recordCount(), count);
  std::vector<uint8_t> out(records.size()), scratch;
  reader.read(0, count, out.data(), scratch);
  EXPECT_EQ(out, records);
  reader.read(63, 70, out.data(), scratch);
  EXPECT_EQ(0, memcmp(out.data(), records.data() + 63 * layout.recordSize, 70 * layout.recordSize));
  reader.verifyAll();
}

TEST(Shard, AnUnfinishedWriterLeavesNothing) {
  testsupport::TempDir dir;
  {
    ShardWriter writer(dir.file("b.hxs"), 7, 0);
    std::vector<uint8_t> records = somePositions(layoutFor(7), 2);
    writer.append(records.data(), 3);
  }
  EXPECT_FALSE(pathExists(dir.file("b.hxs")));
  EXPECT_FALSE(pathExists(dir.file("b.hxs.tmp")));
}

TEST(Shard, DetectsEveryFlippedByteAndTruncation) {
  testsupport::TempDir dir;
  RecordLayout layout = layoutFor(9);
  std::vector<uint8_t> records = somePositions(layout, 30);
  uint64_t count = records.size() / layout.recordSize;
  std::string path = dir.file("c.hxs");
  ShardWriter writer(path, 9, 0, 128);
  writer.append(records.data(), count);
  writer.finish();
  std::string pristine = readTextFile(path);
  Rng rng(5);
  for (int trial = 0; trial < 400; ++trial) {
    writeText(path, pristine);
    uint64_t offset = rng.below(pristine.size());
    flipByte(path, offset);
    bool detected = false;
    try {
      ShardReader reader(path);
      reader.verifyAll();
    } catch (const Error& e) {
      detected = e.code() == ErrorCode::CorruptData;
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    }
    EXPECT_TRUE(detected) << "flipped byte at " << offset;
  }
  for (uint64_t cut : {uint64_t{0}, uint64_t{10}, uint64_t{100}, pristine.size() - 1, pristine.size() - 5}) {
    writeText(path, pristine.substr(0, cut));
    EXPECT_THROW(ShardReader{path}, Error) << "truncated to " << cut;
  }
}

TEST(Shard, ReaderNeverCrashesOnArbitraryBytes) {
  testsupport::TempDir dir;
  std::string path = dir.file("fuzz.hxs");
  RecordLayout layout = layoutFor(5);
  std::vector<uint8_t> records = somePositions(layout, 3);
  ShardWriter writer(path, 5, 0, 16);
  writer.append(records.data(), records.size() / layout.recordSize);
  writer.finish();
  std::string pristine = readTextFile(path);
  Rng rng(11);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = pristine;
    int mode = static_cast<int>(rng.below(3));
    if (mode == 0) {
      bytes.resize(rng.below(200));
      for (auto& c : bytes) c = static_cast<char>(rng.below(256));
    } else {
      for (int k = 0; k < 1 + static_cast<int>(rng.below(8)); ++k)
        bytes[rng.below(bytes.size())] = static_cast<char>(rng.below(256));
      if (mode == 2) bytes.resize(rng.below(bytes.size() + 1));
    }
    writeText(path, bytes);
    try {
      ShardReader reader(path);
      reader.verifyAll();
      std::vector<uint8_t> out(reader.recordCount() * reader.layout().recordSize), scratch;
      reader.read(0, reader.recordCount(), out.data(), scratch);
    } catch (const Error&) {
    }
  }
}

TEST(Shard, AFailedOpenClosesItsDescriptor) {
  testsupport::TempDir dir;
  // A directory opens read-only and has a size, but reading it fails (EISDIR); a short
  // file, a bad magic and a version-1 header fail at each later check.
  ::mkdir(dir.file("a-directory.hxs").c_str(), 0755);
  writeText(dir.file("short.hxs"), "HEXSHARD");
  writeText(dir.file("magic.hxs"), std::string(200, 'x'));
  RecordLayout layout = layoutFor(5);
  std::vector<uint8_t> records = somePositions(layout, 2);
  {
    ShardWriter writer(dir.file("good.hxs"), 5, 0);
    writer.append(records.data(), records.size() / layout.recordSize);
    writer.finish();
  }
  std::string v1 = readTextFile(dir.file("good.hxs"));
  v1[8] = 1;  // version 1, header CRC recomputed below
  uint32_t crc = crc32c(v1.data(), 60);
  for (int i = 0; i < 4; ++i) v1[60 + i] = static_cast<char>(crc >> (8 * i));
  writeText(dir.file("v1.hxs"), v1);

  const int before = testsupport::openFileDescriptors();
  for (const char* name : {"a-directory.hxs", "short.hxs", "magic.hxs", "v1.hxs", "missing.hxs"}) {
    for (int k = 0; k < 20; ++k) {
      try {
        ShardReader reader(dir.file(name));
        ADD_FAILURE() << name << " opened";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(dir.file(name)), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_EQ(testsupport::openFileDescriptors(), before);
  try {
    ShardReader reader(dir.file("v1.hxs"));
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::CorruptData);
    EXPECT_NE(std::string(e.what()).find("format version 1"), std::string::npos) << e.what();
  }
}

TEST(UniqueFd, OwnsOneDescriptorAndMovesIt) {
  testsupport::TempDir dir;
  writeText(dir.file("f"), "x");
  const int before = testsupport::openFileDescriptors();
  {
    UniqueFd a = UniqueFd::open(dir.file("f"), O_RDONLY, "cannot open");
    EXPECT_EQ(testsupport::openFileDescriptors(), before + 1);
    UniqueFd b = std::move(a);
    EXPECT_FALSE(a);
    EXPECT_TRUE(b);
    UniqueFd c;
    c = std::move(b);
    EXPECT_EQ(testsupport::openFileDescriptors(), before + 1);
  }
  EXPECT_EQ(testsupport::openFileDescriptors(), before);
  try {
    UniqueFd::open(dir.file("missing"), O_RDONLY, "cannot open");
    ADD_FAILURE() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find("cannot open " + dir.file("missing")), std::string::npos) << e.what();
  }
}
