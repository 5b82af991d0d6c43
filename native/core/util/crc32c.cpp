#include "util/crc32c.h"

#include <array>
#include <cstring>

namespace hextorch {
namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;

std::array<uint32_t, 256> makeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPolynomial : c >> 1;
    table[i] = c;
  }
  return table;
}

uint32_t crc32cTable(const uint8_t* p, size_t n, uint32_t crc) {
  static const std::array<uint32_t, 256> table = makeTable();
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32cHardware(const uint8_t* p, size_t n, uint32_t crc) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = __builtin_ia32_crc32di(c, word);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n > 0) {
    c32 = __builtin_ia32_crc32qi(c32, *p++);
    --n;
  }
  return c32;
}

__attribute__((target("sse4.2"))) void crc32cFourLanes(const uint8_t* p, size_t laneBytes, uint32_t out[4]) {
  uint64_t c0 = ~0u, c1 = ~0u, c2 = ~0u, c3 = ~0u;
  const uint8_t* l1 = p + laneBytes;
  const uint8_t* l2 = p + 2 * laneBytes;
  const uint8_t* l3 = p + 3 * laneBytes;
  for (size_t i = 0; i < laneBytes; i += 8) {
    uint64_t w0, w1, w2, w3;
    std::memcpy(&w0, p + i, 8);
    std::memcpy(&w1, l1 + i, 8);
    std::memcpy(&w2, l2 + i, 8);
    std::memcpy(&w3, l3 + i, 8);
    c0 = __builtin_ia32_crc32di(c0, w0);
    c1 = __builtin_ia32_crc32di(c1, w1);
    c2 = __builtin_ia32_crc32di(c2, w2);
    c3 = __builtin_ia32_crc32di(c3, w3);
  }
  out[0] = ~static_cast<uint32_t>(c0);
  out[1] = ~static_cast<uint32_t>(c1);
  out[2] = ~static_cast<uint32_t>(c2);
  out[3] = ~static_cast<uint32_t>(c3);
}

bool hasSse42() {
  static const bool supported = __builtin_cpu_supports("sse4.2");
  return supported;
}
#endif

uint32_t crc32cWith(bool hardware, const uint8_t* p, size_t length, uint32_t crc) {
  crc = ~crc;
#if defined(__x86_64__)
  if (hardware) return ~crc32cHardware(p, length, crc);
#endif
  return ~crc32cTable(p, length, crc);
}

uint32_t blockChecksumWith(bool hardware, const uint8_t* p, size_t length) {
  if (length < 256) return crc32cWith(hardware, p, length, 0);
  // Lanes 0-2 hold laneBytes each (a multiple of 8); lane 3 holds the rest.
  const size_t laneBytes = (length / 32) * 8;
  uint32_t lanes[4];
#if defined(__x86_64__)
  if (hardware) {
    crc32cFourLanes(p, laneBytes, lanes);
  } else
#endif
  {
    for (int k = 0; k < 4; ++k) lanes[k] = crc32cWith(false, p + k * laneBytes, laneBytes, 0);
  }
  lanes[3] = crc32cWith(hardware, p + 4 * laneBytes, length - 4 * laneBytes, lanes[3]);
  uint8_t bytes[16];
  for (int k = 0; k < 4; ++k)
    for (int b = 0; b < 4; ++b) bytes[4 * k + b] = static_cast<uint8_t>(lanes[k] >> (8 * b));
  return crc32cWith(hardware, bytes, sizeof bytes, 0);
}

}  // namespace

bool crc32cUsesHardware() {
#if defined(__x86_64__)
  return hasSse42();
#else
  return false;
#endif
}

uint32_t crc32c(const void* data, size_t length, uint32_t crc) {
  return crc32cWith(crc32cUsesHardware(), static_cast<const uint8_t*>(data), length, crc);
}

uint32_t crc32cPortable(const void* data, size_t length, uint32_t crc) {
  return crc32cWith(false, static_cast<const uint8_t*>(data), length, crc);
}

uint32_t blockChecksum(const void* data, size_t length) {
  return blockChecksumWith(crc32cUsesHardware(), static_cast<const uint8_t*>(data), length);
}

uint32_t blockChecksumPortable(const void* data, size_t length) {
  return blockChecksumWith(false, static_cast<const uint8_t*>(data), length);
}

}  // namespace hextorch
