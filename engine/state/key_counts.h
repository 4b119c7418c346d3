// KeyCounts is the per-window keyed state of every counting aggregation: key -> count.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>

namespace tally {

using KeyCounts = absl::flat_hash_map<uint64_t, int64_t>;

} // namespace tally
