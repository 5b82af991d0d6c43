#include "data/dataset.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "util/crc32c.h"
#include "util/error.h"
#include "util/file.h"
#include "util/random.h"

namespace hextorch::data {

const char* splitName(Split split) { return split == Split::Train ? "train" : "validation"; }

std::shared_ptr<Dataset> Dataset::open(const std::string& dir, Split split) {
  std::string manifestPath = joinPath(dir, kManifestName);
  if (!pathExists(dir)) throw Error(ErrorCode::Io, "dataset directory " + dir + " does not exist");
  if (!pathExists(manifestPath)) {
    throw Error(ErrorCode::Io, "directory " + dir + " holds no dataset: " + kManifestName +
                                   " is missing (create one with `hextorch import` or `hextorch generate`)");
  }
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(readTextFile(manifestPath));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " is not valid JSON: " + e.what());
  }
  auto dataset = std::make_shared<Dataset>();
  try {
    if (manifest.at("format") != "hextorch-dataset" || manifest.at("version").get<int>() != kManifestVersion) {
      throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " has an unknown format or version");
    }
    int boardSize = manifest.at("boardSize").get<int>();
    const auto& shards = manifest.at("splits").at(splitName(split)).at("shards");
    for (const auto& entry : shards) {
      auto shard = std::make_unique<ShardReader>(joinPath(dir, entry.at("file").get<std::string>()));
      if (shard->recordCount() != entry.at("records").get<uint64_t>() ||
          shard->contentDigest() != entry.at("digest").get<uint32_t>()) {
        throw Error(ErrorCode::CorruptData, "shard " + shard->path() + " does not match the dataset manifest (" +
                                                "replaced or modified after import)");
      }
      if (shard->header().boardSize != boardSize) {
        throw Error(ErrorCode::CorruptData, "shard " + shard->path() + " has board size " +
                                                std::to_string(shard->header().boardSize) + ", the dataset " +
                                                std::to_string(boardSize));
      }
      dataset->add(std::move(shard));
    }
    dataset->layout_ = layoutFor(boardSize);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " is incomplete: " + e.what());
  }
  dataset->finishOpening();
  return dataset;
}

std::shared_ptr<Dataset> Dataset::fromShards(const std::vector<std::string>& paths) {
  if (paths.empty()) throw Error(ErrorCode::InvalidArgument, "no shard files given");
  auto dataset = std::make_shared<Dataset>();
  for (const auto& path : paths) {
    auto shard = std::make_unique<ShardReader>(path);
    if (!dataset->shards_.empty() && shard->header().boardSize != dataset->layout_.boardSize) {
      throw Error(ErrorCode::InvalidArgument, "shard " + path + " has board size " +
                                                  std::to_string(shard->header().boardSize) + ", the others " +
                                                  std::to_string(dataset->layout_.boardSize));
    }
    dataset->layout_ = shard->layout();
    dataset->add(std::move(shard));
  }
  dataset->finishOpening();
  return dataset;
}

void Dataset::add(std::unique_ptr<ShardReader> shard) {
  starts_.push_back(total_);
  total_ += shard->recordCount();
  shards_.push_back(std::move(shard));
}

void Dataset::finishOpening() {
  uint64_t digest = mixKeys(0x48455844ULL, static_cast<uint64_t>(layout_.boardSize), total_);
  for (const auto& shard : shards_) digest = mixKeys(digest, shard->contentDigest(), shard->recordCount());
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(digest));
  fingerprint_ = text;
}

void Dataset::read(uint64_t first, uint64_t count, uint8_t* out, std::vector<uint8_t>& scratch) const {
  if (first + count > total_) {
    throw Error(ErrorCode::InvalidArgument, "records " + std::to_string(first) + "+" + std::to_string(count) +
                                                " are past the dataset's " + std::to_string(total_));
  }
  size_t shard = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), first) - starts_.begin()) - 1;
  while (count > 0) {
    uint64_t local = first - starts_[shard];
    uint64_t take = std::min(count, shards_[shard]->recordCount() - local);
    shards_[shard]->read(local, take, out, scratch);
    out += take * layout_.recordSize;
    first += take;
    count -= take;
    ++shard;
  }
}

}  // namespace hextorch::data
