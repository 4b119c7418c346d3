// Fast, stable 64-bit mixing used for partitioning and key groups; stable across runs and
// platforms because key groups are part of savepoints.
#pragma once

#include <cstdint>

namespace tally {

// The finalizer of SplitMix64: a bijection with good avalanche, cheap enough for the hot path.
constexpr uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

} // namespace tally
