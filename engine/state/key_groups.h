// Key groups are the unit of keyed-state ownership: key group = hash(key) mod 128, and task i of P
// owns a contiguous range of key groups (Flink's assignment), so rescaling reassigns ranges.
#pragma once

#include "util/hash.h"

#include <cstdint>

namespace tally {

constexpr int kMaxParallelism = 128;

constexpr int keyGroupOf(uint64_t key, uint64_t salt)
{
    return static_cast<int>(mix64(key ^ salt) % kMaxParallelism);
}

// Task that owns `keyGroup` at parallelism p: floor(keyGroup * p / maxParallelism).
constexpr int taskForKeyGroup(int keyGroup, int parallelism) { return keyGroup * parallelism / kMaxParallelism; }

} // namespace tally
