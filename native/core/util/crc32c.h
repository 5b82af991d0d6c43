// CRC-32C (Castagnoli): hardware instruction on x86-64 with SSE4.2, table otherwise.
// Fast enough to verify every block on every read.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hextorch {

uint32_t crc32c(const void* data, size_t length, uint32_t crc = 0);

}  // namespace hextorch
