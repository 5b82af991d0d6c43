#include <gtest/gtest.h>

#include <vector>

#include "util/crc32c.h"
#include "util/random.h"

using namespace hextorch;

namespace {

std::vector<uint8_t> pattern(size_t length) {
  std::vector<uint8_t> bytes(length);
  for (size_t i = 0; i < length; ++i) bytes[i] = static_cast<uint8_t>((i * 31 + 7) & 0xFF);
  return bytes;
}

}  // namespace

TEST(Crc32c, StandardCheckValue) {
  const char* check = "123456789";
  EXPECT_EQ(crc32c(check, 9), 0xE3069283u);
  EXPECT_EQ(crc32cPortable(check, 9), 0xE3069283u);
  // Continuing from a previous value equals one pass over the whole input.
  EXPECT_EQ(crc32c(check + 4, 5, crc32c(check, 4)), 0xE3069283u);
  EXPECT_EQ(crc32c(check, 0), 0u);
}

// Known answers of the four-lane block checksum of docs/shard-format.md, for byte i =
// (31·i + 7) mod 256, computed by an independent implementation of the description.
TEST(Crc32c, BlockChecksumKnownAnswers) {
  struct Case {
    size_t length;
    uint32_t block, plain;
  };
  for (Case c : {Case{4096, 0x54BB5A89u, 0xE1C2F7E8u}, Case{1000, 0xDDD443BCu, 0xFF52EE97u},
                 Case{255, 0x0FD95F5Eu, 0x0FD95F5Eu}}) {
    std::vector<uint8_t> bytes = pattern(c.length);
    EXPECT_EQ(crc32c(bytes.data(), bytes.size()), c.plain) << c.length;
    EXPECT_EQ(blockChecksum(bytes.data(), bytes.size()), c.block) << c.length;
    EXPECT_EQ(blockChecksumPortable(bytes.data(), bytes.size()), c.block) << c.length;
  }
}

TEST(Crc32c, HardwareAndTablePathsAgreeOnRandomBuffers) {
  if (!crc32cUsesHardware()) GTEST_SKIP() << "this CPU has no SSE4.2 CRC instruction: only the table path runs";
  Rng rng(17);
  for (int trial = 0; trial < 300; ++trial) {
    size_t length = trial < 40 ? static_cast<size_t>(trial) * 9 : static_cast<size_t>(rng.below(300000));
    std::vector<uint8_t> bytes(length);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng.below(256));
    ASSERT_EQ(crc32c(bytes.data(), length), crc32cPortable(bytes.data(), length)) << length;
    ASSERT_EQ(blockChecksum(bytes.data(), length), blockChecksumPortable(bytes.data(), length)) << length;
  }
}
