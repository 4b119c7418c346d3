// Checksummed files (util/checksummed.h) end with a CRC-32C of everything before it, which random
// mutations almost never keep right: the decoders would stop at the checksum and the fuzzer
// would never reach the sections behind it. reseal() rewrites the last four bytes to the right
// checksum, so every input reaches the decoding proper; the checksum check itself is covered by
// the inputs too short to reseal and by the tests.
#pragma once

#include "util/crc32c.h"

#include <cstdint>
#include <cstring>
#include <string>

namespace tally::fuzz {

inline std::string reseal(const uint8_t *data, size_t size)
{
    std::string bytes(reinterpret_cast<const char *>(data), size);
    if (bytes.size() >= 4) {
        const uint32_t crc = crc32c(std::string_view(bytes.data(), bytes.size() - 4));
        std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
    }
    return bytes;
}

} // namespace tally::fuzz
