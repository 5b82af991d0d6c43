// Turns validated games into a dataset directory: split by game, positions mixed across
// games, shards written atomically, manifest last.
#pragma once
#include <cstdint>
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
  // Positions of a split beyond this many bytes are mixed through temporary bucket
  // files (an external two-phase shuffle) instead of in memory.
  uint64_t memoryBudgetBytes = uint64_t{1} << 30;
};

struct BuildSummary {
  uint64_t games = 0, trainGames = 0, validationGames = 0;
  uint64_t positions = 0, trainPositions = 0, validationPositions = 0;
  uint64_t blueWins = 0, redWins = 0;
  uint64_t bytes = 0;
  uint64_t shards = 0;
};

// Checks the output directory before any work: creates it when missing, refuses one
// that already holds a dataset, removes leftovers of an interrupted write.
void prepareOutputDirectory(const std::string& dir);

BuildSummary writeDataset(const std::vector<hex::Game>& games, int boardSize, const BuildOptions& options,
                          const nlohmann::json& source);

// Appends the M+1 positions of a game as records.
void encodeGamePositions(const RecordLayout& layout, const hex::Game& game, uint32_t gameId, std::vector<uint8_t>& out);

}  // namespace hextorch::data
