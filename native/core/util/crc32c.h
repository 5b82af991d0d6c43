// CRC-32C (Castagnoli): hardware instruction on x86-64 with SSE4.2, table otherwise.
// Fast enough to verify every block on every read.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hextorch {

uint32_t crc32c(const void* data, size_t length, uint32_t crc = 0);

// The checksum of a shard block: CRC-32C over four lanes computed side by side (the
// hardware instruction has a latency of three cycles but a throughput of one, so four
// independent chains run about three times faster than one), then CRC-32C of the four
// lane values. Short inputs use plain CRC-32C.
uint32_t blockChecksum(const void* data, size_t length);

}  // namespace hextorch
