// The shard file: a versioned, checksummed array of fixed-size position records.
//
//   [header: 64 bytes][records: count × recordSize][checksum per block of records][CRC of that table]
//
// The header carries its own CRC; the expected file size follows from the header, so a
// truncation is detected on open and a flipped byte on the first read of its block.
// Full description: docs/shard-format.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/position_record.h"
#include "util/unique_fd.h"

namespace hextorch::data {

// Version 2: block checksums are the four-lane blockChecksum (util/crc32c.h). Version 1
// files are refused with a message to re-create the dataset (docs/shard-format.md).
constexpr uint32_t kShardVersion = 2;
constexpr uint32_t kShardHeaderSize = 64;
constexpr uint32_t kDefaultBlockRecords = 4096;
constexpr uint32_t kShardFlagValidation = 1;

struct ShardHeader {
  uint32_t version = kShardVersion;
  int boardSize = 0;
  uint32_t recordSize = 0;
  uint32_t blockRecords = kDefaultBlockRecords;
  uint64_t recordCount = 0;
  uint32_t flags = 0;
};

// Writes `path` atomically: everything goes to `path.tmp`, which is fsynced and renamed
// by finish(). A writer destroyed before finish() removes its temporary file.
class ShardWriter {
 public:
  ShardWriter(std::string path, int boardSize, uint32_t flags, uint32_t blockRecords = kDefaultBlockRecords);
  ~ShardWriter();
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void append(const uint8_t* records, uint64_t count);
  void finish();
  uint64_t bytesWritten() const { return bytes_; }
  // After finish(): what ShardReader::contentDigest() will read back.
  uint32_t contentDigest() const { return digest_; }

 private:
  void writeAll(const void* data, size_t size);
  void flushBuffer();

  std::string path_, tmpPath_;
  RecordLayout layout_;
  ShardHeader header_;
  UniqueFd fd_;
  bool finished_ = false;
  uint32_t digest_ = 0;
  uint64_t bytes_ = 0;
  std::vector<uint8_t> pending_;  // records of the block being filled
  std::vector<uint32_t> blockCrcs_;
  std::vector<uint8_t> buffer_;
};

class ShardReader {
 public:
  explicit ShardReader(std::string path);  // validates header and size
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  const std::string& path() const { return path_; }
  const ShardHeader& header() const { return header_; }
  const RecordLayout& layout() const { return layout_; }
  uint64_t recordCount() const { return header_.recordCount; }
  // CRC of the block CRC table: changes whenever any record changes.
  uint32_t contentDigest() const { return tableCrc_; }

  // Reads records [first, first+count) into `out`, verifying every block it touches.
  // `scratch` is reused between calls to avoid allocation.
  void read(uint64_t first, uint64_t count, uint8_t* out, std::vector<uint8_t>& scratch) const;
  // Verifies every block; throws CorruptData naming the first bad block.
  void verifyAll() const;

 private:
  uint64_t blocksBytes(uint64_t firstBlock, uint64_t lastBlock) const;
  // Reads whole blocks into `dest` and verifies them.
  void readBlocks(uint64_t firstBlock, uint64_t lastBlock, uint8_t* dest) const;

  std::string path_;
  UniqueFd fd_;
  ShardHeader header_;
  RecordLayout layout_;
  std::vector<uint32_t> blockCrcs_;
  uint32_t tableCrc_ = 0;
};

}  // namespace hextorch::data
