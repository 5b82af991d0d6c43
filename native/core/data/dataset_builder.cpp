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
    if (isShardLeftover(name) || name == std::string(kManifestName) + ".tmp") leftovers.push_back(name);
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

SplitResult writeSplit(const std::vector<hex::Game>& games, const std::vector<uint32_t>& gameIds, Split split,
                       int boardSize, const BuildOptions& options) {
  RecordLayout layout = layoutFor(boardSize);
  std::vector<uint8_t> records;
  for (uint32_t id : gameIds) encodeGamePositions(layout, games[id], id, records);
  uint64_t count = records.size() / layout.recordSize;

  // Mix positions across games: a seeded permutation of the whole split.
  Permutation order(count, mixKeys(options.seed, 0x4D4958ULL, static_cast<uint64_t>(split)));
  SplitResult result;
  result.positions = count;
  uint64_t shardRecords = std::max<uint64_t>(options.shardRecords, 1);
  std::vector<uint8_t> chunk;
  for (uint64_t first = 0, index = 0; first < count; first += shardRecords, ++index) {
    uint64_t n = std::min(shardRecords, count - first);
    char name[64];
    std::snprintf(name, sizeof name, "%s-%05llu.hxs", splitName(split), static_cast<unsigned long long>(index));
    ShardWriter writer(joinPath(options.outDir, name), boardSize,
                       split == Split::Validation ? kShardFlagValidation : 0);
    chunk.resize(n * layout.recordSize);
    for (uint64_t i = 0; i < n; ++i) {
      std::memcpy(chunk.data() + i * layout.recordSize, records.data() + order(first + i) * layout.recordSize,
                  layout.recordSize);
    }
    writer.append(chunk.data(), n);
    writer.finish();
    ShardReader check(joinPath(options.outDir, name));
    result.shards.push_back({{"file", name}, {"records", n}, {"digest", check.contentDigest()}});
    result.bytes += writer.bytesWritten();
  }
  return result;
}

}  // namespace

BuildSummary writeDataset(const std::vector<hex::Game>& games, int boardSize, const BuildOptions& options,
                          const nlohmann::json& source) {
  if (!(options.valFraction >= 0.0 && options.valFraction < 1.0)) {
    throw Error(ErrorCode::InvalidArgument, "validation fraction " + std::to_string(options.valFraction) +
                                                " must be at least 0 and below 1");
  }
  if (games.empty()) throw Error(ErrorCode::InvalidArgument, "there are no valid games to write");
  if (options.shardRecords % kDefaultBlockRecords != 0) {
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
