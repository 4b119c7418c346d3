// The trending merger turns the tasks' local top-K lists of a window into the global top-K, and
// emits the difference from what it emitted before: upserts for new or changed posts, deletes for
// posts that left the top-K. Correct because every global top-K post is in its own task's top-K.
#pragma once

#include "sink/output.h"
#include "window/aggregations.h"

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace tally {

// Not thread-safe: owned by the output thread.
class TrendingMerger {
public:
    TrendingMerger(int tasks, size_t k, int64_t latenessMs);

    void update(int task, const TopKUpdate &u, std::vector<OutputRow> &rows);
    // Forgets windows that no task can update any more.
    void expire(int64_t minTaskWatermark);

private:
    struct Window {
        int64_t endMs = 0;
        std::vector<std::vector<KeyValue>> perTask;
        std::vector<KeyValue> emitted; // sorted by key
    };
    int m_tasks;
    size_t m_k;
    int64_t m_latenessMs;
    std::map<int64_t, Window> m_windows;
};

} // namespace tally
