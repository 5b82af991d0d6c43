#include "data/shard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/crc32c.h"
#include "util/error.h"
#include "util/file.h"

namespace hextorch::data {
namespace {

constexpr char kMagic[8] = {'H', 'E', 'X', 'S', 'H', 'A', 'R', 'D'};

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t get64(const uint8_t* p) {
  return static_cast<uint64_t>(get32(p)) | (static_cast<uint64_t>(get32(p + 4)) << 32);
}

void encodeHeader(const ShardHeader& h, uint8_t out[kShardHeaderSize]) {
  std::memset(out, 0, kShardHeaderSize);
  std::memcpy(out, kMagic, 8);
  put32(out + 8, h.version);
  put32(out + 12, static_cast<uint32_t>(h.boardSize));
  put32(out + 16, h.recordSize);
  put32(out + 20, h.blockRecords);
  put64(out + 24, h.recordCount);
  put32(out + 32, h.flags);
  put32(out + 60, crc32c(out, 60));
}

uint64_t blockCount(const ShardHeader& h) { return (h.recordCount + h.blockRecords - 1) / h.blockRecords; }

Error corrupt(const std::string& path, const std::string& reason) {
  return Error(ErrorCode::CorruptData, "shard " + path + ": " + reason);
}

}  // namespace

ShardWriter::ShardWriter(std::string path, int boardSize, uint32_t flags, uint32_t blockRecords)
    : path_(std::move(path)), tmpPath_(path_ + ".tmp"), layout_(layoutFor(boardSize)) {
  if (blockRecords == 0) throw Error(ErrorCode::InvalidArgument, "block size must be at least one record");
  header_.boardSize = boardSize;
  header_.recordSize = static_cast<uint32_t>(layout_.recordSize);
  header_.blockRecords = blockRecords;
  header_.flags = flags;
  fd_ = UniqueFd::open(tmpPath_, O_WRONLY | O_CREAT | O_TRUNC, "cannot create shard");
  uint8_t head[kShardHeaderSize];
  encodeHeader(header_, head);  // rewritten with the final count by finish()
  buffer_.reserve(1 << 20);
  writeAll(head, sizeof head);
}

ShardWriter::~ShardWriter() {
  if (!finished_) {
    fd_.reset();
    ::unlink(tmpPath_.c_str());
  }
}

void ShardWriter::writeAll(const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  buffer_.insert(buffer_.end(), p, p + size);
  bytes_ += size;
  if (buffer_.size() >= (1 << 20)) flushBuffer();
}

void ShardWriter::flushBuffer() {
  writeFully(fd_.get(), buffer_.data(), buffer_.size(), tmpPath_);
  buffer_.clear();
}

void ShardWriter::append(const uint8_t* records, uint64_t count) {
  if (finished_) throw Error(ErrorCode::Internal, "shard " + path_ + " is already finished");
  const uint64_t blockBytes = uint64_t{header_.blockRecords} * layout_.recordSize;
  const uint8_t* p = records;
  const uint8_t* end = records + count * layout_.recordSize;
  while (p < end) {
    uint64_t take = std::min<uint64_t>(blockBytes - pending_.size(), end - p);
    pending_.insert(pending_.end(), p, p + take);
    p += take;
    if (pending_.size() == blockBytes) {
      blockCrcs_.push_back(blockChecksum(pending_.data(), pending_.size()));
      pending_.clear();
    }
  }
  writeAll(records, count * layout_.recordSize);
  header_.recordCount += count;
}

void ShardWriter::finish() {
  if (finished_) return;
  if (!pending_.empty()) blockCrcs_.push_back(blockChecksum(pending_.data(), pending_.size()));
  pending_.clear();
  std::vector<uint8_t> table(blockCrcs_.size() * 4 + 4);
  for (size_t i = 0; i < blockCrcs_.size(); ++i) put32(table.data() + 4 * i, blockCrcs_[i]);
  digest_ = crc32c(table.data(), 4 * blockCrcs_.size());
  put32(table.data() + 4 * blockCrcs_.size(), digest_);
  writeAll(table.data(), table.size());
  flushBuffer();
  uint8_t head[kShardHeaderSize];
  encodeHeader(header_, head);
  ssize_t written = ::pwrite(fd_.get(), head, sizeof head, 0);
  if (written != static_cast<ssize_t>(sizeof head)) {
    if (written >= 0) errno = EIO;
    throwIoError("cannot write shard header", tmpPath_);
  }
  if (::fsync(fd_.get()) != 0) throwIoError("cannot flush shard", tmpPath_);
  fd_.close(tmpPath_);
  if (::rename(tmpPath_.c_str(), path_.c_str()) != 0) throwIoError("cannot rename shard into place", path_);
  finished_ = true;  // the destructor removes the temporary on every path above
}

ShardReader::ShardReader(std::string path) : path_(std::move(path)) {
  // fd_ owns the descriptor: every throw below closes it.
  fd_ = UniqueFd::open(path_, O_RDONLY, "cannot open shard");
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throwIoError("cannot stat shard", path_);
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  uint8_t head[kShardHeaderSize];
  auto fail = [&](const std::string& reason) { throw corrupt(path_, reason); };
  if (fileSize < kShardHeaderSize) {
    fail("file is " + std::to_string(fileSize) + " bytes, shorter than the header: truncated or not a shard");
  }
  readFully(fd_.get(), head, sizeof head, 0, path_);
  if (std::memcmp(head, kMagic, 8) != 0) fail("not a hextorch shard (bad magic)");
  if (get32(head + 60) != crc32c(head, 60)) fail("header checksum mismatch");
  header_.version = get32(head + 8);
  header_.boardSize = static_cast<int>(get32(head + 12));
  header_.recordSize = get32(head + 16);
  header_.blockRecords = get32(head + 20);
  header_.recordCount = get64(head + 24);
  header_.flags = get32(head + 32);
  if (header_.version == 1) {
    fail(
        "format version 1 (plain CRC-32C block checksums) is no longer read; re-create the dataset with "
        "`hextorch import` or `hextorch generate`");
  }
  if (header_.version != kShardVersion)
    fail("format version " + std::to_string(header_.version) + " is not supported (expected " +
         std::to_string(kShardVersion) + ")");
  if (!hex::isValidSize(header_.boardSize))
    fail("board size " + std::to_string(header_.boardSize) + " is out of range");
  layout_ = layoutFor(header_.boardSize);
  if (header_.recordSize != static_cast<uint32_t>(layout_.recordSize))
    fail("record size does not match the board size");
  if (header_.blockRecords == 0 || header_.blockRecords > (1u << 24)) fail("block size is out of range");
  if (header_.recordCount > (uint64_t{1} << 40)) fail("record count is out of range");
  uint64_t blocks = blockCount(header_);
  uint64_t expected = kShardHeaderSize + header_.recordCount * header_.recordSize + blocks * 4 + 4;
  if (fileSize != expected) {
    fail("file is " + std::to_string(fileSize) + " bytes but its header describes " + std::to_string(expected) + " (" +
         std::to_string(header_.recordCount) + " records): " + (fileSize < expected ? "truncated" : "trailing bytes"));
  }
  std::vector<uint8_t> table(blocks * 4 + 4);
  readFully(fd_.get(), table.data(), table.size(), expected - table.size(), path_);
  tableCrc_ = crc32c(table.data(), blocks * 4);
  if (get32(table.data() + blocks * 4) != tableCrc_) fail("checksum table is corrupt");
  blockCrcs_.resize(blocks);
  for (uint64_t b = 0; b < blocks; ++b) blockCrcs_[b] = get32(table.data() + 4 * b);
}

uint64_t ShardReader::blocksBytes(uint64_t firstBlock, uint64_t lastBlock) const {
  uint64_t firstRecord = firstBlock * header_.blockRecords;
  uint64_t endRecord = std::min<uint64_t>((lastBlock + 1) * header_.blockRecords, header_.recordCount);
  return (endRecord - firstRecord) * header_.recordSize;
}

void ShardReader::readBlocks(uint64_t firstBlock, uint64_t lastBlock, uint8_t* dest) const {
  uint64_t firstRecord = firstBlock * header_.blockRecords;
  readFully(fd_.get(), dest, blocksBytes(firstBlock, lastBlock), kShardHeaderSize + firstRecord * header_.recordSize,
            path_);
  for (uint64_t b = firstBlock; b <= lastBlock; ++b) {
    uint64_t start = b * header_.blockRecords;
    uint64_t end = std::min<uint64_t>(start + header_.blockRecords, header_.recordCount);
    uint32_t crc = blockChecksum(dest + (start - firstRecord) * header_.recordSize, (end - start) * header_.recordSize);
    if (crc != blockCrcs_[b]) {
      throw corrupt(path_, "checksum mismatch in records " + std::to_string(start) + "-" + std::to_string(end - 1) +
                               " (block " + std::to_string(b) + "): the file is corrupt");
    }
  }
}

void ShardReader::read(uint64_t first, uint64_t count, uint8_t* out, std::vector<uint8_t>& scratch) const {
  if (count == 0) return;
  if (first + count > header_.recordCount || first + count < first) {
    throw Error(ErrorCode::InvalidArgument, "shard " + path_ + ": records " + std::to_string(first) + "+" +
                                                std::to_string(count) + " are past its " +
                                                std::to_string(header_.recordCount) + " records");
  }
  uint64_t firstBlock = first / header_.blockRecords;
  uint64_t lastBlock = (first + count - 1) / header_.blockRecords;
  uint64_t offset = (first - firstBlock * header_.blockRecords) * header_.recordSize;
  uint64_t bytes = count * header_.recordSize;
  if (offset == 0 && bytes == blocksBytes(firstBlock, lastBlock)) {
    readBlocks(firstBlock, lastBlock, out);  // whole blocks: straight into place
    return;
  }
  scratch.resize(blocksBytes(firstBlock, lastBlock));
  readBlocks(firstBlock, lastBlock, scratch.data());
  std::memcpy(out, scratch.data() + offset, bytes);
}

void ShardReader::verifyAll() const {
  std::vector<uint8_t> scratch;
  uint64_t blocks = blockCrcs_.size();
  const uint64_t step = std::max<uint64_t>(1, (8u << 20) / (uint64_t{header_.blockRecords} * header_.recordSize));
  for (uint64_t b = 0; b < blocks; b += step) {
    uint64_t last = std::min(blocks, b + step) - 1;
    scratch.resize(blocksBytes(b, last));
    readBlocks(b, last, scratch.data());
  }
}

}  // namespace hextorch::data
