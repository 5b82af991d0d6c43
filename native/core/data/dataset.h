// A dataset directory: shards per split plus `dataset.json`, the manifest written last.
// A directory without a valid manifest holds no dataset.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/shard.h"

namespace hextorch::data {

constexpr const char* kManifestName = "dataset.json";
constexpr int kManifestVersion = 1;

enum class Split { Train, Validation };
const char* splitName(Split split);

struct ManifestShard {
  std::string file;  // name inside the dataset directory
  uint64_t records = 0;
  uint32_t digest = 0;
};

struct ManifestSplit {
  uint64_t games = 0, positions = 0;
  std::vector<ManifestShard> shards;
};

// dataset.json, parsed and checked in one place (TypeScript asks for it through the
// addon rather than reading the file itself).
struct Manifest {
  int boardSize = 0;
  uint64_t seed = 0;
  double valFraction = 0;
  uint64_t games = 0, blueWins = 0, redWins = 0;
  ManifestSplit train, validation;
  nlohmann::json source;  // where the data came from (import or synthetic)

  const ManifestSplit& split(Split s) const { return s == Split::Train ? train : validation; }
};

// Reads `dir`/dataset.json: HEXTORCH_IO when the directory or manifest is missing,
// HEXTORCH_CORRUPT_DATA when it is not a valid manifest.
Manifest readManifest(const std::string& dir);

// The shards of one split seen as one array of records.
class Dataset {
 public:
  static std::shared_ptr<Dataset> open(const std::string& dir, Split split);
  static std::shared_ptr<Dataset> fromShards(const std::vector<std::string>& paths);

  int boardSize() const { return layout_.boardSize; }
  const RecordLayout& layout() const { return layout_; }
  uint64_t size() const { return total_; }
  // Hex digest of the shards' contents and counts: restoring a reader state against
  // another dataset is caught by comparing it.
  const std::string& fingerprint() const { return fingerprint_; }
  const std::vector<std::unique_ptr<ShardReader>>& shards() const { return shards_; }

  // Reads records [first, first+count), across shard boundaries, verifying checksums.
  void read(uint64_t first, uint64_t count, uint8_t* out, std::vector<uint8_t>& scratch) const;

 private:
  void add(std::unique_ptr<ShardReader> shard);
  void finishOpening();

  RecordLayout layout_;
  std::vector<std::unique_ptr<ShardReader>> shards_;
  std::vector<uint64_t> starts_;
  uint64_t total_ = 0;
  std::string fingerprint_;
};

}  // namespace hextorch::data
