#include "data/dataset_builder.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/shard.h"
#include "util/error.h"
#include "util/file.h"
#include "util/permutation.h"
#include "util/random.h"

namespace hextorch::data {
namespace {

void makeDirectories(const std::string& dir) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) throwIoError("cannot create directory", partial);
  }
}

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
  makeDirectories(dir);
  if (pathExists(joinPath(dir, kManifestName))) {
    throw Error(ErrorCode::InvalidArgument, "output directory " + dir +
                                                " already holds a dataset; choose another directory or remove it first");
  }
  if (::access(dir.c_str(), W_OK) != 0) throwIoError("cannot write to output directory", dir);
  // Shards without a manifest are what an interrupted import left behind.
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) throwIoError("cannot list output directory", dir);
  std::vector<std::string> leftovers;
  while (dirent* entry = ::readdir(handle)) {
    std::string name = entry->d_name;
    bool bucket = name.rfind(".bucket-", 0) == 0;
    if (isShardLeftover(name) || bucket || name == std::string(kManifestName) + ".tmp") leftovers.push_back(name);
  }
  ::closedir(handle);
  for (const auto& name : leftovers) ::unlink(joinPath(dir, name).c_str());
}

void encodeGamePositions(const RecordLayout& layout, const hex::Game& game, uint32_t gameId, std::vector<uint8_t>& out) {
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

// Writes a stream of records as shards of at most `shardRecords` each.
class ShardSequence {
 public:
  ShardSequence(const BuildOptions& options, Split split, int boardSize)
      : options_(options), split_(split), boardSize_(boardSize), recordSize_(layoutFor(boardSize).recordSize) {}

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
    std::snprintf(name, sizeof name, "%s-%05llu.hxs", splitName(split_), static_cast<unsigned long long>(result_.shards.size()));
    name_ = name;
    writer_ = std::make_unique<ShardWriter>(joinPath(options_.outDir, name_), boardSize_,
                                            split_ == Split::Validation ? kShardFlagValidation : 0);
    inShard_ = 0;
  }

  void close() {
    writer_->finish();
    ShardReader check(joinPath(options_.outDir, name_));
    result_.shards.push_back({{"file", name_}, {"records", inShard_}, {"digest", check.contentDigest()}});
    result_.bytes += writer_->bytesWritten();
    result_.positions += inShard_;
    writer_.reset();
  }

  const BuildOptions& options_;
  Split split_;
  int boardSize_;
  int recordSize_;
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
  const uint64_t chunkRecords = 1 << 16;
  for (uint64_t first = 0; first < count; first += chunkRecords) {
    uint64_t n = std::min(chunkRecords, count - first);
    chunk.resize(n * recordSize);
    for (uint64_t i = 0; i < n; ++i) {
      std::memcpy(chunk.data() + i * recordSize, records.data() + order(first + i) * recordSize, recordSize);
    }
    out.append(chunk.data(), n);
  }
}

// Temporary bucket files of a two-phase shuffle; removed when this goes away.
class BucketFiles {
 public:
  BucketFiles(const std::string& dir, Split split, uint64_t count) {
    for (uint64_t i = 0; i < count; ++i) {
      paths_.push_back(joinPath(dir, std::string(".bucket-") + splitName(split) + "-" + std::to_string(i) + ".tmp"));
      FILE* f = std::fopen(paths_.back().c_str(), "wb");
      if (!f) throwIoError("cannot create temporary file", paths_.back());
      files_.push_back(f);
    }
  }
  ~BucketFiles() {
    closeAll();
    for (const auto& p : paths_) ::unlink(p.c_str());
  }
  void write(uint64_t bucket, const uint8_t* data, size_t size) {
    if (std::fwrite(data, 1, size, files_[bucket]) != size) throwIoError("cannot write temporary file", paths_[bucket]);
  }
  void closeAll() {
    for (size_t i = 0; i < files_.size(); ++i) {
      if (files_[i] && std::fclose(files_[i]) != 0) {
        files_[i] = nullptr;
        throwIoError("cannot write temporary file", paths_[i]);
      }
      files_[i] = nullptr;
    }
  }
  std::vector<uint8_t> read(uint64_t bucket) const {
    std::string text = readTextFile(paths_[bucket]);
    return std::vector<uint8_t>(text.begin(), text.end());
  }
  void remove(uint64_t bucket) const { ::unlink(paths_[bucket].c_str()); }

 private:
  std::vector<std::string> paths_;
  std::vector<FILE*> files_;
};

SplitResult writeSplit(const std::vector<hex::Game>& games, const std::vector<uint32_t>& gameIds, Split split,
                       int boardSize, const BuildOptions& options) {
  RecordLayout layout = layoutFor(boardSize);
  const uint64_t mixSeed = mixKeys(options.seed, 0x4D4958ULL, static_cast<uint64_t>(split));
  uint64_t positions = 0;
  for (uint32_t id : gameIds) positions += games[id].moves.size() + 1;
  const uint64_t bytes = positions * layout.recordSize;
  ShardSequence shards(options, split, boardSize);

  if (bytes <= options.memoryBudgetBytes) {
    // Mix positions across games: a seeded permutation of the whole split.
    std::vector<uint8_t> records;
    records.reserve(bytes);
    for (uint32_t id : gameIds) encodeGamePositions(layout, games[id], id, records);
    appendPermuted(records, layout.recordSize, mixSeed, shards);
    return shards.finish();
  }

  // Two phases when the split does not fit the budget: every position goes to a random
  // bucket file, then each bucket (about half the budget) is permuted in memory.
  const uint64_t buckets = 2 * ((bytes + options.memoryBudgetBytes - 1) / options.memoryBudgetBytes);
  BucketFiles files(options.outDir, split, buckets);
  Rng rng(mixSeed);
  std::vector<uint8_t> gameRecords;
  for (uint32_t id : gameIds) {
    gameRecords.clear();
    encodeGamePositions(layout, games[id], id, gameRecords);
    for (size_t offset = 0; offset < gameRecords.size(); offset += layout.recordSize) {
      files.write(rng.below(buckets), gameRecords.data() + offset, layout.recordSize);
    }
  }
  files.closeAll();
  for (uint64_t b = 0; b < buckets; ++b) {
    appendPermuted(files.read(b), layout.recordSize, mixKeys(mixSeed, b), shards);
    files.remove(b);
  }
  return shards.finish();
}

}  // namespace

BuildSummary writeDataset(const std::vector<hex::Game>& games, int boardSize, const BuildOptions& options,
                          const nlohmann::json& source) {
  if (!(options.valFraction >= 0.0 && options.valFraction < 1.0)) {
    throw Error(ErrorCode::InvalidArgument, "validation fraction " + std::to_string(options.valFraction) +
                                                " must be at least 0 and below 1");
  }
  if (games.empty()) throw Error(ErrorCode::InvalidArgument, "there are no valid games to write");
  if (options.shardRecords == 0 || options.shardRecords % kDefaultBlockRecords != 0) {
    throw Error(ErrorCode::InvalidArgument, "shard size must be a multiple of " + std::to_string(kDefaultBlockRecords) + " records");
  }
  prepareOutputDirectory(options.outDir);

  // Split by game, never by position: a seeded shuffle of game ids, the first part validation.
  std::vector<uint32_t> ids(games.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<uint32_t>(i);
  Rng rng(mixKeys(options.seed, 0x53504C4954ULL));
  shuffleInPlace(ids, rng);
  auto validationGames = static_cast<size_t>(std::llround(options.valFraction * static_cast<double>(games.size())));
  if (options.valFraction > 0 && validationGames == 0 && games.size() >= 2) validationGames = 1;
  validationGames = std::min(validationGames, games.size() - 1);
  std::vector<uint32_t> validationIds(ids.begin(), ids.begin() + static_cast<long>(validationGames));
  std::vector<uint32_t> trainIds(ids.begin() + static_cast<long>(validationGames), ids.end());
  std::sort(validationIds.begin(), validationIds.end());
  std::sort(trainIds.begin(), trainIds.end());

  SplitResult train = writeSplit(games, trainIds, Split::Train, boardSize, options);
  SplitResult validation = writeSplit(games, validationIds, Split::Validation, boardSize, options);

  BuildSummary summary;
  summary.games = games.size();
  summary.trainGames = trainIds.size();
  summary.validationGames = validationIds.size();
  summary.trainPositions = train.positions;
  summary.validationPositions = validation.positions;
  summary.positions = train.positions + validation.positions;
  for (const auto& game : games) (game.winner == hex::Player::Blue ? summary.blueWins : summary.redWins) += 1;
  summary.shards = train.shards.size() + validation.shards.size();

  nlohmann::json manifest = {
      {"format", "hextorch-dataset"},
      {"version", kManifestVersion},
      {"boardSize", boardSize},
      {"seed", options.seed},
      {"valFraction", options.valFraction},
      {"games", {{"total", summary.games}, {"blueWins", summary.blueWins}, {"redWins", summary.redWins}}},
      {"splits",
       {{"train", {{"games", summary.trainGames}, {"positions", train.positions}, {"shards", train.shards}}},
        {"validation",
         {{"games", summary.validationGames}, {"positions", validation.positions}, {"shards", validation.shards}}}}},
      {"source", source},
  };
  std::string text = manifest.dump(2) + "\n";
  writeFileAtomic(joinPath(options.outDir, kManifestName), text);
  summary.bytes = train.bytes + validation.bytes + text.size();
  return summary;
}

}  // namespace hextorch::data
