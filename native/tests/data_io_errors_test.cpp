// Write failures (a full disk) and a dataset file that goes away while it is streamed:
// named errors, no temporaries, no half dataset, nothing thrown out of a thread.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "data/batch_stream.h"
#include "data/dataset.h"
#include "data/importer.h"
#include "hex/synthetic.h"
#include "test_support.h"
#include "util/error.h"
#include "util/file.h"

using namespace hextorch;
using namespace hextorch::data;

namespace {

// A tmpfs of `bytes` mounted on a fresh directory for the test's lifetime. Mounting
// needs root (CI runs as root); elsewhere `reason` says why it was refused.
class SmallDisk {
 public:
  explicit SmallDisk(uint64_t bytes) {
    std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      reason_ = std::string("mounting a tmpfs was refused: ") + std::strerror(errno);
    }
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& reason() const { return reason_; }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  testsupport::TempDir dir_;
  bool mounted_ = false;
  std::string reason_;
};

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += n + " ";
  return out;
}

void expectFullDiskError(const std::function<void()>& write, const std::string& out) {
  try {
    write();
    FAIL() << "the write into a full disk succeeded";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.code(), ErrorCode::Io) << message;
    EXPECT_NE(message.find(out), std::string::npos) << "the error names no path: " << message;
    EXPECT_NE(message.find("cannot "), std::string::npos) << "the error names no operation: " << message;
    EXPECT_NE(message.find(std::strerror(ENOSPC)), std::string::npos) << message;
  }
  EXPECT_TRUE(entries(out).empty()) << "left behind: " << joined(entries(out));
}

}  // namespace

TEST(DataIoErrors, AFullDiskDuringGenerateLeavesNoFiles) {
  SmallDisk disk(1 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.reason();
  for (uint64_t budget : {uint64_t{512} << 20, uint64_t{64} << 10}) {  // in memory, then through bucket files
    GenerateOptions options;
    options.games = 1500;  // about 11 MB of records at 13x13
    options.boardSize = 13;
    options.build.outDir = disk.file("out");
    options.build.memoryBudgetBytes = budget;
    options.build.shardRecords = 4096;
    expectFullDiskError([&] { generateDataset(options); }, options.build.outDir);
  }
  // With room enough, the same directory takes a dataset afterwards.
  GenerateOptions small;
  small.games = 20;
  small.boardSize = 7;
  small.build.outDir = disk.file("out");
  GenerateSummary written = generateDataset(small);
  EXPECT_EQ(Dataset::open(small.build.outDir, Split::Train)->size() +
                Dataset::open(small.build.outDir, Split::Validation)->size(),
            written.build.positions);
}

TEST(DataIoErrors, AFullDiskDuringImportLeavesNoFiles) {
  SmallDisk disk(1 << 20);
  if (!disk.mounted()) GTEST_SKIP() << disk.reason();
  testsupport::TempDir inputs;
  // The games of a generated set, written back as move lists: a real import input.
  std::string text;
  for (uint64_t i = 0; i < 1500; ++i) {
    hex::Game game = hex::playSyntheticGame(13, 4, i);
    for (size_t k = 0; k < game.moves.size(); ++k) {
      int cell = game.moves[k];
      text += (k ? " " : "") + std::string(1, static_cast<char>('a' + cell % 13)) + std::to_string(cell / 13 + 1);
    }
    text += "\n";
  }
  testsupport::writeText(inputs.file("games.dat"), text);
  ImportOptions options;
  options.format = hex::RecordFormat::Moves;
  options.inputs = {inputs.file("games.dat")};
  options.build.outDir = disk.file("out");
  options.build.memoryBudgetBytes = 64 << 10;
  expectFullDiskError([&] { importRecords(options); }, options.build.outDir);
}

TEST(DataIoErrors, AShardTruncatedWhileStreamingIsANamedErrorFromNext) {
  testsupport::TempDir dir;
  GenerateOptions options;
  options.games = 400;
  options.boardSize = 9;
  options.build.outDir = dir.path();
  options.build.shardRecords = 4096;
  options.build.valFraction = 0;
  generateDataset(options);
  auto dataset = Dataset::open(dir.path(), Split::Train);
  ASSERT_GT(dataset->shards().size(), 2u);
  StreamOptions stream;
  stream.batchSize = 64;
  stream.augment = Augment::None;
  stream.workers = 2;
  // One group holds this whole small dataset, and a stream reads a group once and keeps it
  // for every later pass: a stream over the dataset (still open) that starts after the cut
  // reads the cut file.
  {
    BatchStream before(dataset, stream);
    for (uint64_t b = 0; b < before.batchesPerEpoch(); ++b) before.next();
  }
  const std::string victim = dataset->shards()[1]->path();
  ASSERT_EQ(::truncate(victim.c_str(), 1000), 0);
  BatchStream batches(dataset, stream);
  bool failed = false;
  for (uint64_t b = 0; b <= batches.batchesPerEpoch() && !failed; ++b) {
    try {
      batches.next();
    } catch (const Error& e) {
      failed = true;
      EXPECT_EQ(e.code(), ErrorCode::CorruptData) << e.what();
      EXPECT_NE(std::string(e.what()).find(victim), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(failed) << "an epoch over a truncated shard raised no error";
}

TEST(DataIoErrors, AShardDeletedWhileStreamingIsReadToTheEndThenNamedOnOpen) {
  testsupport::TempDir dir;
  GenerateOptions options;
  options.games = 200;
  options.boardSize = 9;
  options.build.outDir = dir.path();
  options.build.shardRecords = 4096;
  options.build.valFraction = 0;
  generateDataset(options);
  auto dataset = Dataset::open(dir.path(), Split::Train);
  StreamOptions stream;
  stream.batchSize = 64;
  stream.augment = Augment::None;
  stream.workers = 2;
  BatchStream batches(dataset, stream);
  batches.next();
  const std::string victim = dataset->shards()[0]->path();
  ASSERT_EQ(::unlink(victim.c_str()), 0);
  // The open descriptor keeps the data: this epoch completes with every batch.
  for (uint64_t b = 1; b < batches.batchesPerEpoch(); ++b) ASSERT_NE(batches.next(), nullptr);
  try {
    Dataset::open(dir.path(), Split::Train);
    FAIL() << "a dataset with a missing shard opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find(victim), std::string::npos) << e.what();
  }
}
