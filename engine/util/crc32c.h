// CRC-32C (Castagnoli), the checksum of the keyed-state and savepoint formats.
#pragma once

#include <cstdint>
#include <string_view>

namespace tally {

// CRC-32C of bytes, continuing from `crc` (0 to start).
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);

} // namespace tally
