// Top-K selection for trending: the K keys with the largest positive counts, ties broken by the
// smaller key, so every task and the final merge agree on one order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace tally {

using KeyValue = std::pair<uint64_t, int64_t>;

inline bool ranksBefore(const KeyValue &a, const KeyValue &b)
{
    return a.second != b.second ? a.second > b.second : a.first < b.first;
}

// Keeps the top k of `items` (positive values only), sorted best first.
inline void keepTopK(std::vector<KeyValue> &items, size_t k)
{
    std::erase_if(items, [](const KeyValue &kv) { return kv.second <= 0; });
    if (items.size() > k) {
        std::nth_element(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(k), items.end(), ranksBefore);
        items.resize(k);
    }
    std::sort(items.begin(), items.end(), ranksBefore);
}

// The top k of the counts that forEachCount(visit) passes to visit(key, count).
template <typename ForEachCount>
std::vector<KeyValue> selectTopK(ForEachCount &&forEachCount, size_t k)
{
    std::vector<KeyValue> items;
    forEachCount([&](uint64_t key, int64_t count) {
        if (count > 0)
            items.emplace_back(key, count);
    });
    keepTopK(items, k);
    return items;
}

} // namespace tally
