// The trending merge is the job's one operator with several inputs: it combines the window
// tasks' local top-K lists of each trending window into the global top-K. Like any multi-input
// operator it aligns its inputs at epoch barriers: a task's messages of epoch e wait until every
// task has reached e, so no row of an epoch carries a later epoch's data and a restore rebuilds
// exactly the merge the committed rows show. Runs inside the output stage (not thread-safe).
#pragma once

#include "runtime/stages/stage_context.h"
#include "runtime/trending_merger.h"

#include <deque>
#include <optional>
#include <vector>

namespace tally {

class TrendingMerge {
public:
    TrendingMerge(int tasks, size_t k, int64_t allowedLatenessMs);

    // A task's message enters the alignment.
    void add(OutputMessage message);
    // The oldest message every task has reached the epoch of, if any.
    std::optional<OutputMessage> nextAligned();
    // Merges an aligned task message's top-K updates into message.rows and advances that task's
    // watermark; returns the smallest watermark over the tasks.
    int64_t merge(OutputMessage &message);

private:
    TrendingMerger m_merger;
    std::vector<int64_t> m_taskWatermarks;
    std::vector<std::deque<OutputMessage>> m_waiting; // per task, in epoch order
    std::vector<uint64_t> m_reached;                  // newest epoch per task (max: ended)
};

} // namespace tally
