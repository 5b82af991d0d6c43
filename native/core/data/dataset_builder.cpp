#include "data/dataset_builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/shard.h"
#include "util/error.h"
#include "util/file.h"
#include "util/permutation.h"
#include "util/random.h"
#include "util/unique_fd.h"

namespace hextorch::data {
namespace {

namespace fs = std::filesystem;

bool isShardLeftover(const std::string& name) {
  auto startsWith = [&](const char* p) { return name.rfind(p, 0) == 0; };
  auto endsWith = [&](const char* s) {
    size_t n = std::strlen(s);
    return name.size() >= n && name.compare(name.size() - n, n, s) == 0;
  };
  return (startsWith("train-") || startsWith("validation-")) && (endsWith(".hxs") || endsWith(".hxs.tmp"));
}

}  // namespace

void prepareOutputDirectory(const std::string& dir) {
  if (dir.empty()) throw Error(ErrorCode::InvalidArgument, "the output directory is empty");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorCode::Io, "cannot create directory " + dir + ": " + ec.message());
  if (pathExists(joinPath(dir, kManifestName))) {
    throw Error(ErrorCode::InvalidArgument,
                "output directory " + dir + " already holds a dataset; choose another directory or remove it first");
  }
  if (::access(dir.c_str(), W_OK) != 0) throwIoError("cannot write to output directory", dir);
  // Shards without a manifest are what an interrupted import left behind.
  std::vector<std::string> leftovers;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    bool bucket = name.rfind(".bucket-", 0) == 0;
    if (isShardLeftover(name) || bucket || name == std::string(kManifestName) + ".tmp") leftovers.push_back(name);
  }
  if (ec) throw Error(ErrorCode::Io, "cannot list output directory " + dir + ": " + ec.message());
  for (const auto& name : leftovers) ::unlink(joinPath(dir, name).c_str());
}

void encodeGamePositions(const RecordLayout& layout, const hex::Game& game, uint32_t gameId,
                         std::vector<uint8_t>& out) {
  Position position;
  position.boardSize = layout.boardSize;
  position.value = game.winner == hex::Player::Red ? 1 : 0;
  position.game = gameId;
  size_t offset = out.size();
  out.resize(offset + (game.moves.size() + 1) * layout.recordSize);
  for (size_t k = 0; k <= game.moves.size(); ++k) {
    position.ply = static_cast<uint16_t>(k);
    position.toMove = (k % 2 == 0) ? hex::Player::Blue : hex::Player::Red;
    position.policy = k < game.moves.size() ? game.moves[k] : kNoPolicy;
    encodePosition(layout, position, out.data() + offset + k * layout.recordSize);
    if (k < game.moves.size()) position.cells[game.moves[k]] = (k % 2 == 0) ? 1 : 2;
  }
}

namespace {

struct SplitResult {
  nlohmann::json shards = nlohmann::json::array();
  uint64_t positions = 0;
  uint64_t bytes = 0;
};

// Writes a stream of records as shards of at most `shardRecords` each. Remembers every
// shard it put in place, so that a failed build can take them away again.
class ShardSequence {
 public:
  ShardSequence(const BuildOptions& options, Split split, int boardSize, std::vector<std::string>& written)
      : options_(options),
        split_(split),
        boardSize_(boardSize),
        recordSize_(layoutFor(boardSize).recordSize),
        written_(written) {}

  void append(const uint8_t* records, uint64_t count) {
    while (count > 0) {
      if (!writer_) open();
      uint64_t take = std::min(count, options_.shardRecords - inShard_);
      writer_->append(records, take);
      inShard_ += take;
      records += take * recordSize_;
      count -= take;
      if (inShard_ == options_.shardRecords) close();
    }
  }

  SplitResult finish() {
    if (writer_) close();
    return std::move(result_);
  }

 private:
  void open() {
    char name[64];
    std::snprintf(name, sizeof name, "%s-%05llu.hxs", splitName(split_),
                  static_cast<unsigned long long>(result_.shards.size()));
    name_ = name;
    writer_ = std::make_unique<ShardWriter>(joinPath(options_.outDir, name_), boardSize_,
                                            split_ == Split::Validation ? kShardFlagValidation : 0);
    inShard_ = 0;
  }

  void close() {
    writer_->finish();
    written_.push_back(joinPath(options_.outDir, name_));
    result_.shards.push_back({{"file", name_}, {"records", inShard_}, {"digest", writer_->contentDigest()}});
    result_.bytes += writer_->bytesWritten();
    result_.positions += inShard_;
    writer_.reset();
  }

  const BuildOptions& options_;
  Split split_;
  int boardSize_;
  int recordSize_;
  std::vector<std::string>& written_;
  std::unique_ptr<ShardWriter> writer_;
  std::string name_;
  uint64_t inShard_ = 0;
  SplitResult result_;
};

// Appends records to `out` in the order of a seeded permutation of `records`.
void appendPermuted(const std::vector<uint8_t>& records, int recordSize, uint64_t seed, ShardSequence& out) {
  uint64_t count = records.size() / recordSize;
  Permutation order(count, seed);
  std::vector<uint8_t> chunk;
  const uint64_t chunkRecords = 1 << 14;
  for (uint64_t first = 0; first < count; first += chunkRecords) {
    uint64_t n = std::min(chunkRecords, count - first);
    chunk.resize(n * recordSize);
    for (uint64_t i = 0; i < n; ++i) {
      std::memcpy(chunk.data() + i * recordSize, records.data() + order(first + i) * recordSize, recordSize);
    }
    out.append(chunk.data(), n);
  }
}

// Temporary bucket files of a two-phase shuffle, each written through its own buffer;
// removed when this goes away, whatever happened.
class BucketFiles {
 public:
  static constexpr size_t kBufferBytes = 1 << 16;

  BucketFiles(const std::string& dir, Split split, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) {
      paths_.push_back(joinPath(dir, std::string(".bucket-") + splitName(split) + "-" + std::to_string(i) + ".tmp"));
      fds_.push_back(UniqueFd::open(paths_.back(), O_WRONLY | O_CREAT | O_TRUNC, "cannot create temporary file"));
      buffers_.emplace_back();
      buffers_.back().reserve(kBufferBytes);
    }
  }
  ~BucketFiles() {
    fds_.clear();
    for (const auto& p : paths_) ::unlink(p.c_str());
  }
  void write(uint64_t bucket, const uint8_t* data, size_t size) {
    auto& buffer = buffers_[bucket];
    buffer.insert(buffer.end(), data, data + size);
    if (buffer.size() >= kBufferBytes) flush(bucket);
  }
  // Flushes and closes every file (a deferred write error shows up here).
  void closeAll() {
    for (size_t i = 0; i < fds_.size(); ++i) {
      flush(i);
      fds_[i].close(paths_[i]);
      std::vector<uint8_t>().swap(buffers_[i]);
    }
  }
  std::vector<uint8_t> read(uint64_t bucket) const { return readBinaryFile(paths_[bucket]); }
  void remove(uint64_t bucket) const { ::unlink(paths_[bucket].c_str()); }

 private:
  void flush(uint64_t bucket) {
    writeFully(fds_[bucket].get(), buffers_[bucket].data(), buffers_[bucket].size(), paths_[bucket]);
    buffers_[bucket].clear();
  }

  std::vector<std::string> paths_;
  std::vector<UniqueFd> fds_;
  std::vector<std::vector<uint8_t>> buffers_;
};

// Collects one split's records, in memory when they fit half the budget, else spread
// over bucket files at random; finish() writes them out mixed.
class SplitSink {
 public:
  SplitSink(const BuildOptions& options, Split split, int boardSize, uint64_t maxBytes,
            std::vector<std::string>& written)
      : layout_(layoutFor(boardSize)),
        mixSeed_(mixKeys(options.seed, 0x4D4958ULL, static_cast<uint64_t>(split))),
        shards_(options, split, boardSize, written),
        rng_(mixSeed_) {
    const uint64_t half = std::max<uint64_t>(1, options.memoryBudgetBytes / 2);
    if (maxBytes <= half) {
      records_.reserve(maxBytes);
    } else {
      buckets_ = std::max<uint64_t>(2, (maxBytes + half - 1) / half);
      files_ = std::make_unique<BucketFiles>(options.outDir, split, buckets_);
    }
  }

  void add(const std::vector<uint8_t>& gameRecords) {
    positions_ += gameRecords.size() / layout_.recordSize;
    if (!files_) {
      records_.insert(records_.end(), gameRecords.begin(), gameRecords.end());
      return;
    }
    for (size_t offset = 0; offset < gameRecords.size(); offset += layout_.recordSize) {
      files_->write(rng_.below(buckets_), gameRecords.data() + offset, layout_.recordSize);
    }
  }

  SplitResult finish() {
    if (!files_) {
      // Mix positions across games: a seeded permutation of the whole split.
      appendPermuted(records_, layout_.recordSize, mixSeed_, shards_);
      std::vector<uint8_t>().swap(records_);
      return shards_.finish();
    }
    // Two phases: every position went to a random bucket file; each bucket is now
    // permuted in memory and appended to the shards.
    files_->closeAll();
    for (uint64_t b = 0; b < buckets_; ++b) {
      appendPermuted(files_->read(b), layout_.recordSize, mixKeys(mixSeed_, b), shards_);
      files_->remove(b);
    }
    files_.reset();
    return shards_.finish();
  }

 private:
  RecordLayout layout_;
  uint64_t mixSeed_;
  ShardSequence shards_;
  Rng rng_;
  uint64_t positions_ = 0;
  std::vector<uint8_t> records_;
  uint64_t buckets_ = 0;
  std::unique_ptr<BucketFiles> files_;
};

}  // namespace

BuildSummary writeDataset(const GameSource& games, int boardSize, const BuildOptions& options,
                          const nlohmann::json& source) {
  if (!(options.valFraction >= 0.0 && options.valFraction < 1.0)) {
    throw Error(ErrorCode::InvalidArgument,
                "validation fraction " + std::to_string(options.valFraction) + " must be at least 0 and below 1");
  }
  const uint64_t gameCount = games.games();
  if (gameCount == 0) throw Error(ErrorCode::InvalidArgument, "there are no valid games to write");
  if (gameCount > UINT32_MAX) throw Error(ErrorCode::InvalidArgument, "more than 2^32 games in one dataset");
  if (options.shardRecords == 0 || options.shardRecords % kDefaultBlockRecords != 0) {
    throw Error(ErrorCode::InvalidArgument,
                "shard size must be a multiple of " + std::to_string(kDefaultBlockRecords) + " records");
  }
  prepareOutputDirectory(options.outDir);
  const RecordLayout layout = layoutFor(boardSize);

  // Split by game, never by position: a seeded shuffle of game ids, the first part
  // validation. Kept as one bit per game.
  auto validationGames = static_cast<uint64_t>(std::llround(options.valFraction * static_cast<double>(gameCount)));
  if (options.valFraction > 0 && validationGames == 0 && gameCount >= 2) validationGames = 1;
  validationGames = std::min(validationGames, gameCount - 1);
  std::vector<bool> isValidation(gameCount, false);
  {
    std::vector<uint32_t> ids(gameCount);
    for (uint64_t i = 0; i < gameCount; ++i) ids[i] = static_cast<uint32_t>(i);
    Rng rng(mixKeys(options.seed, 0x53504C4954ULL));
    shuffleInPlace(ids, rng);
    for (uint64_t i = 0; i < validationGames; ++i) isValidation[ids[i]] = true;
  }
  uint64_t maxBytes[2] = {0, 0};
  for (uint64_t id = 0; id < gameCount; ++id)
    maxBytes[isValidation[id] ? 1 : 0] += games.maxPositions(id) * layout.recordSize;

  std::vector<std::string> written;  // shards in place: removed again if anything fails
  try {
    SplitSink train(options, Split::Train, boardSize, maxBytes[0], written);
    SplitSink validation(options, Split::Validation, boardSize, maxBytes[1], written);
    BuildSummary summary;
    summary.games = gameCount;
    summary.validationGames = validationGames;
    summary.trainGames = gameCount - validationGames;
    std::vector<uint8_t> gameRecords;
    uint64_t visited = 0;
    games.forEach([&](uint64_t id, const hex::Game& game) {
      if (id != visited || id >= gameCount) {
        throw Error(ErrorCode::Internal, "game source visited game " + std::to_string(id) + " out of order");
      }
      ++visited;
      if (game.moves.size() + 1 > games.maxPositions(id)) {
        throw Error(ErrorCode::Internal, "game " + std::to_string(id) + " is longer than its source announced");
      }
      (game.winner == hex::Player::Blue ? summary.blueWins : summary.redWins) += 1;
      gameRecords.clear();
      encodeGamePositions(layout, game, static_cast<uint32_t>(id), gameRecords);
      (isValidation[id] ? validation : train).add(gameRecords);
    });
    if (visited != gameCount) {
      throw Error(ErrorCode::Internal,
                  "game source gave " + std::to_string(visited) + " of " + std::to_string(gameCount) + " games");
    }
    std::vector<bool>().swap(isValidation);
    // The smaller split first: its memory is free before the larger one's buckets are read.
    SplitResult validationResult = validation.finish();
    SplitResult trainResult = train.finish();

    summary.trainPositions = trainResult.positions;
    summary.validationPositions = validationResult.positions;
    summary.positions = trainResult.positions + validationResult.positions;
    summary.shards = trainResult.shards.size() + validationResult.shards.size();

    nlohmann::json manifest = {
        {"format", "hextorch-dataset"},
        {"version", kManifestVersion},
        {"boardSize", boardSize},
        {"seed", options.seed},
        {"valFraction", options.valFraction},
        {"games", {{"total", summary.games}, {"blueWins", summary.blueWins}, {"redWins", summary.redWins}}},
        {"splits",
         {{"train",
           {{"games", summary.trainGames}, {"positions", trainResult.positions}, {"shards", trainResult.shards}}},
          {"validation",
           {{"games", summary.validationGames},
            {"positions", validationResult.positions},
            {"shards", validationResult.shards}}}}},
        {"source", source},
    };
    std::string text = manifest.dump(2) + "\n";
    writeFileAtomic(joinPath(options.outDir, kManifestName), text);
    summary.bytes = trainResult.bytes + validationResult.bytes + text.size();
    return summary;
  } catch (...) {
    for (const auto& path : written) ::unlink(path.c_str());
    throw;
  }
}

}  // namespace hextorch::data
