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

Manifest readManifest(const std::string& dir) {
  std::string manifestPath = joinPath(dir, kManifestName);
  if (!pathExists(dir)) throw Error(ErrorCode::Io, "dataset directory " + dir + " does not exist");
  if (!pathExists(manifestPath)) {
    throw Error(ErrorCode::Io, "directory " + dir + " holds no dataset: " + kManifestName +
                                   " is missing (create one with `hextorch import` or `hextorch generate`)");
  }
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(readTextFile(manifestPath));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " is not valid JSON: " + e.what());
  }
  Manifest manifest;
  try {
    if (json.at("format") != "hextorch-dataset" || json.at("version").get<int>() != kManifestVersion) {
      throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " has an unknown format or version");
    }
    manifest.boardSize = json.at("boardSize").get<int>();
    manifest.seed = json.at("seed").get<uint64_t>();
    manifest.valFraction = json.at("valFraction").get<double>();
    const auto& games = json.at("games");
    manifest.games = games.at("total").get<uint64_t>();
    manifest.blueWins = games.at("blueWins").get<uint64_t>();
    manifest.redWins = games.at("redWins").get<uint64_t>();
    for (Split split : {Split::Train, Split::Validation}) {
      const auto& entry = json.at("splits").at(splitName(split));
      ManifestSplit& out = split == Split::Train ? manifest.train : manifest.validation;
      out.games = entry.at("games").get<uint64_t>();
      out.positions = entry.at("positions").get<uint64_t>();
      for (const auto& shard : entry.at("shards")) {
        ManifestShard s{shard.at("file").get<std::string>(), shard.at("records").get<uint64_t>(),
                        shard.at("digest").get<uint32_t>()};
        if (s.file.empty() || s.file.find('/') != std::string::npos || s.file == "." || s.file == "..") {
          throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " names shard '" + s.file +
                                                  "' outside the dataset directory");
        }
        out.shards.push_back(std::move(s));
      }
    }
    manifest.source = json.value("source", nlohmann::json::object());
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " is incomplete: " + e.what());
  }
  if (!hex::isValidSize(manifest.boardSize)) {
    throw Error(ErrorCode::CorruptData, "dataset manifest " + manifestPath + " has board size " +
                                            std::to_string(manifest.boardSize) + ", out of range");
  }
  return manifest;
}

std::shared_ptr<Dataset> Dataset::open(const std::string& dir, Split split) {
  Manifest manifest = readManifest(dir);
  auto dataset = std::make_shared<Dataset>();
  for (const auto& entry : manifest.split(split).shards) {
    auto shard = std::make_unique<ShardReader>(joinPath(dir, entry.file));
    if (shard->recordCount() != entry.records || shard->contentDigest() != entry.digest) {
      throw Error(ErrorCode::CorruptData, "shard " + shard->path() + " does not match the dataset manifest (" +
                                              "replaced or modified after import)");
    }
    if (shard->header().boardSize != manifest.boardSize) {
      throw Error(ErrorCode::CorruptData, "shard " + shard->path() + " has board size " +
                                              std::to_string(shard->header().boardSize) + ", the dataset " +
                                              std::to_string(manifest.boardSize));
    }
    dataset->add(std::move(shard));
  }
  dataset->layout_ = layoutFor(manifest.boardSize);
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
