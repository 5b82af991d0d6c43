// Turns validated games into a dataset directory: split by game, positions mixed across
// games, shards written atomically, manifest last.
//
// Memory is bounded whatever the number of positions: games are visited once, in id
// order, from a GameSource that never holds them all (the importer re-reads its files,
// the generator replays its seeds); a split whose records exceed half the budget is
// mixed through temporary bucket files. What stays O(games) is small and listed in
// docs/shard-format.md (about 5 bytes per game here).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/position_record.h"
#include "hex/records.h"

namespace hextorch::data {

struct BuildOptions {
  std::string outDir;
  double valFraction = 0.05;
  uint64_t seed = 1;
  uint64_t shardRecords = uint64_t{1} << 20;  // a multiple of the checksum block size
  // Records held in memory at once, all splits together: a split over half of it is mixed
  // through temporary bucket files (an external two-phase shuffle) of about half of it.
  uint64_t memoryBudgetBytes = uint64_t{512} << 20;
};

struct BuildSummary {
  uint64_t games = 0, trainGames = 0, validationGames = 0;
  uint64_t positions = 0, trainPositions = 0, validationPositions = 0;
  uint64_t blueWins = 0, redWins = 0;
  uint64_t bytes = 0;
  uint64_t shards = 0;
};

// The games of a dataset, visited in id order (0, 1, ...) as often as asked.
class GameSource {
 public:
  virtual ~GameSource() = default;
  virtual uint64_t games() const = 0;
  // An upper bound of game `id`'s positions (moves + 1); exact where known.
  virtual uint64_t maxPositions(uint64_t id) const = 0;
  virtual void forEach(const std::function<void(uint64_t id, const hex::Game& game)>& visit) const = 0;
};

// Games already in memory (tests, small inputs).
class VectorGameSource : public GameSource {
 public:
  explicit VectorGameSource(const std::vector<hex::Game>& games) : games_(games) {}
  uint64_t games() const override { return games_.size(); }
  uint64_t maxPositions(uint64_t id) const override { return games_[id].moves.size() + 1; }
  void forEach(const std::function<void(uint64_t, const hex::Game&)>& visit) const override {
    for (uint64_t i = 0; i < games_.size(); ++i) visit(i, games_[i]);
  }

 private:
  const std::vector<hex::Game>& games_;
};

// Checks the output directory before any work: creates it when missing, refuses one
// that already holds a dataset, removes leftovers of an interrupted write.
void prepareOutputDirectory(const std::string& dir);

// Writes the dataset. On any failure (HEXTORCH_IO for a failed write, ENOSPC included,
// naming the path and the operation) every file it wrote is removed: the directory
// never holds shards without a manifest, nor a manifest without its shards.
BuildSummary writeDataset(const GameSource& games, int boardSize, const BuildOptions& options,
                          const nlohmann::json& source);

// Appends the M+1 positions of a game as records.
void encodeGamePositions(const RecordLayout& layout, const hex::Game& game, uint32_t gameId, std::vector<uint8_t>& out);

}  // namespace hextorch::data
