#include "util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace tally {

namespace {

uint32_t crc32cTable(std::string_view bytes, uint32_t crc)
{
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    for (unsigned char b : bytes)
        crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
// SSE 4.2's CRC32 instruction computes CRC-32C: eight bytes per instruction, where the table
// takes one. Checkpoints and savepoints checksum hundreds of MB.
__attribute__((target("sse4.2"))) uint32_t crc32cHardware(std::string_view bytes, uint32_t crc)
{
    const char *p = bytes.data();
    size_t n = bytes.size();
    uint64_t c = crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t word;
        std::memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
    }
    auto c32 = static_cast<uint32_t>(c);
    for (; n > 0; ++p, --n)
        c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p));
    return c32;
}
#endif

} // namespace

uint32_t crc32c(std::string_view bytes, uint32_t crc)
{
    crc = ~crc;
#if defined(__x86_64__)
    static const bool hardware = __builtin_cpu_supports("sse4.2");
    if (hardware)
        return ~crc32cHardware(bytes, crc);
#endif
    return ~crc32cTable(bytes, crc);
}

} // namespace tally
