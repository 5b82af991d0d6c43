// A dataset directory: shards per split plus `dataset.json`, the manifest written last.
// A directory without a valid manifest holds no dataset.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/shard.h"

namespace hextorch::data {

constexpr const char* kManifestName = "dataset.json";
constexpr int kManifestVersion = 1;

enum class Split { Train, Validation };
const char* splitName(Split split);

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
