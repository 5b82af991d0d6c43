// Checkpoint files: digest computed while writing equals the file's; a wrong digest is
// refused before anything is parsed; I/O failures are Io errors naming the file, with
// nothing left behind.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <torch/torch.h>

#include <fstream>
#include <iterator>

#include "test_support.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/hash_pipeline.h"
#include "util/run_lock.h"
#include "util/sha256.h"

using namespace hextorch;

namespace {

train::TrainerOptions tiny() {
  train::TrainerOptions o;
  o.preset = "tiny";
  o.boardSize = 5;
  o.device = "cpu";
  o.threads = 1;
  return o;
}

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 split;
  split.update("a", 1);
  split.update("bc", 2);
  EXPECT_EQ(split.hexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(CheckpointIo, DigestWhileWritingMatchesTheFileAndLoadChecksIt) {
  testsupport::TempDir dir;
  train::Trainer trainer(tiny());
  std::string path = dir.file("model.pt");
  train::FileDigest d = trainer.save(path, "{\"x\":1}");
  std::string bytes = readAll(path);
  EXPECT_EQ(d.bytes, bytes.size());
  EXPECT_EQ(d.sha256, sha256Hex(bytes.data(), bytes.size()));

  train::Trainer other(tiny());
  EXPECT_EQ(other.load(path, &d), "{\"x\":1}");
  EXPECT_EQ(other.weightsDigest(), trainer.weightsDigest());

  train::FileDigest wrong = d;
  wrong.sha256[0] = wrong.sha256[0] == '0' ? '1' : '0';
  try {
    other.load(path, &wrong);
    FAIL() << "a wrong digest was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::CorruptData);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

TEST(HashPipeline, HashesEverythingInOrderWhateverTheWayItCame) {
  std::vector<char> data(5 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + (i >> 9));
  HashPipeline pipeline;
  pipeline.addStable(data.data(), 3 << 20);
  pipeline.addOwned(std::vector<char>(data.begin() + (3 << 20), data.begin() + (3 << 20) + 100));
  std::vector<char> scratch(data.begin() + (3 << 20) + 100, data.end());
  bool ran = false;
  pipeline.addAndWait(scratch.data(), scratch.size(), [&] { ran = true; });
  std::fill(scratch.begin(), scratch.end(), 0);  // hashed already: changing it is allowed
  EXPECT_TRUE(ran);
  EXPECT_EQ(pipeline.finish(), sha256Hex(data.data(), data.size()));
  EXPECT_GT(pipeline.busySeconds(), 0);
}

TEST(HashPipeline, DestroyedBeforeFinishStopsWithoutHashingTheRest) {
  std::vector<char> data(1 << 20, 'x');
  {
    HashPipeline pipeline;
    for (int i = 0; i < 64; ++i) pipeline.addStable(data.data(), data.size());
  }
  SUCCEED();
}

// Large records in tensor storages (hashed later, no copy), large ones elsewhere (hashed
// while written) and small ones (gathered): the digest is the file's, the bytes are the
// ones LibTorch writes itself, the file loads back.
TEST(CheckpointIo, ArchiveWithLargeAndSmallRecordsHashesToTheFile) {
  testsupport::TempDir dir;
  torch::manual_seed(3);
  torch::Tensor stable = torch::randn({512, 300});     // 600 KB, declared stable
  torch::Tensor unlisted = torch::randn({200, 1000});  // 800 KB, not declared
  torch::Tensor small = torch::arange(10, torch::kInt64);
  torch::serialize::OutputArchive archive, inner;
  inner.write("unlisted", unlisted);
  archive.write("stable", stable);
  archive.write("inner", inner);
  archive.write("small", small);
  std::string path = dir.file("archive.pt");
  train::FileDigest d = train::writeArchiveFile(archive, path, {{stable.data_ptr(), stable.nbytes()}});
  std::string bytes = readAll(path);
  EXPECT_EQ(d.bytes, bytes.size());
  EXPECT_EQ(d.sha256, sha256Hex(bytes.data(), bytes.size()));
  EXPECT_GT(d.profile.totalSeconds, 0);
  EXPECT_GT(d.profile.hashSeconds, 0);
  EXPECT_GE(d.profile.totalSeconds, d.profile.syncSeconds);
  // The same bytes as LibTorch's own writer gives: the format is LibTorch's archive.
  std::string plain;
  archive.save_to([&plain](const void* data, size_t size) {
    plain.append(static_cast<const char*>(data), size);
    return size;
  });
  EXPECT_TRUE(plain == bytes) << "differs from LibTorch's own output";

  torch::serialize::InputArchive in, innerIn;
  train::readArchiveFile(in, path, torch::Device(torch::kCPU), &d);
  torch::Tensor a, b, c;
  in.read("stable", a);
  in.read("inner", innerIn);
  innerIn.read("unlisted", b);
  in.read("small", c);
  EXPECT_TRUE(torch::equal(a, stable));
  EXPECT_TRUE(torch::equal(b, unlisted));
  EXPECT_TRUE(torch::equal(c, small));
}

TEST(CheckpointIo, UnwritablePathIsAnIoErrorNamingTheFile) {
  testsupport::TempDir dir;
  train::Trainer trainer(tiny());
  std::string path = dir.file("missing/model.pt");
  try {
    trainer.save(path, "null");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find("cannot create checkpoint file " + path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(exists(path));
}

TEST(CheckpointIo, FullDeviceIsAnIoErrorAndTheFileIsRemoved) {
  // /dev/full fails every write with ENOSPC; a symlink makes the checkpoint path point there.
  if (!exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  testsupport::TempDir dir;
  std::string path = dir.file("model.pt");
  ASSERT_EQ(::symlink("/dev/full", path.c_str()), 0);
  train::Trainer trainer(tiny());
  try {
    trainer.save(path, "null");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find("cannot write checkpoint file " + path + ": the disk is full"),
              std::string::npos)
        << e.what();
  }
  struct stat st;
  EXPECT_NE(::lstat(path.c_str(), &st), 0) << "the failed file is removed";
}

TEST(RunLock, SecondLockOnTheSameFileSeesTheHolder) {
  testsupport::TempDir dir;
  std::string path = dir.file("train.lock");
  LockResult first = tryLockFile(path, "holder-1");
  ASSERT_GE(first.fd, 0);
  // flock locks belong to open file descriptions: a second open in this process conflicts too.
  LockResult second = tryLockFile(path, "holder-2");
  EXPECT_LT(second.fd, 0);
  EXPECT_EQ(second.holder, "holder-1");
  unlockFile(first.fd);
  LockResult third = tryLockFile(path, "holder-3");
  ASSERT_GE(third.fd, 0);
  EXPECT_EQ(readAll(path), "holder-3");
  unlockFile(third.fd);
}
