#include "runtime/stages/trending_merge.h"

#include <algorithm>

namespace tally {

TrendingMerge::TrendingMerge(int tasks, size_t k, int64_t allowedLatenessMs)
    : m_merger(tasks, k, allowedLatenessMs), m_taskWatermarks(static_cast<size_t>(tasks), kMinWatermark),
      m_waiting(static_cast<size_t>(tasks)), m_reached(static_cast<size_t>(tasks), 0)
{
}

void TrendingMerge::add(OutputMessage message)
{
    const auto task = static_cast<size_t>(message.task);
    uint64_t &r = m_reached[task];
    r = message.endOfInput ? UINT64_MAX : std::max(r, message.epoch);
    m_waiting[task].push_back(std::move(message));
}

std::optional<OutputMessage> TrendingMerge::nextAligned()
{
    const uint64_t all = *std::min_element(m_reached.begin(), m_reached.end());
    std::deque<OutputMessage> *oldest = nullptr;
    for (auto &q : m_waiting)
        if (!q.empty() && q.front().epoch <= all && (!oldest || q.front().epoch < oldest->front().epoch))
            oldest = &q;
    if (!oldest)
        return std::nullopt;
    OutputMessage m = std::move(oldest->front());
    oldest->pop_front();
    return m;
}

int64_t TrendingMerge::merge(OutputMessage &message)
{
    for (const TopKUpdate &u : message.topK)
        m_merger.update(message.task, u, message.rows);
    m_taskWatermarks[static_cast<size_t>(message.task)] = message.watermark;
    const int64_t minWatermark = *std::min_element(m_taskWatermarks.begin(), m_taskWatermarks.end());
    m_merger.expire(minWatermark);
    return minWatermark;
}

} // namespace tally
