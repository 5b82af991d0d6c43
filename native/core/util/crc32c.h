// CRC-32C (Castagnoli): hardware instruction on x86-64 with SSE4.2, table otherwise.
// Fast enough to verify every block on every read.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hextorch {

uint32_t crc32c(const void* data, size_t length, uint32_t crc = 0);

// The checksum of a shard block (format version 2, docs/shard-format.md): for a block of
// L >= 256 bytes, w = 8·floor(L/32); lanes 0-2 are bytes [k·w, (k+1)·w), lane 3 is bytes
// [3w, L); the result is CRC-32C of the four lanes' CRC-32C values, each as 4 bytes
// little-endian. Blocks under 256 bytes use plain CRC-32C. The lanes are computed side
// by side (the hardware instruction has a latency of three cycles but a throughput of
// one, so four independent chains run about three times faster than one).
uint32_t blockChecksum(const void* data, size_t length);

// The same functions on the table path, whatever the CPU: for tests that compare the
// two paths.
uint32_t crc32cPortable(const void* data, size_t length, uint32_t crc = 0);
uint32_t blockChecksumPortable(const void* data, size_t length);
// Whether crc32c/blockChecksum use the SSE4.2 instruction on this CPU.
bool crc32cUsesHardware();

}  // namespace hextorch
