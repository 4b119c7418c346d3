#include "runtime/recent_dead_letters.h"

namespace tally {

void RecentDeadLetters::note(std::span<const DeadLetter> letters, int64_t nowMs)
{
    if (letters.empty())
        return;
    std::lock_guard lock(m_mutex);
    for (const DeadLetter &d : letters) {
        ++m_totals[static_cast<size_t>(d.reason)];
        m_kept.push_back({++m_sequence, nowMs, d.reason, d.detail, d.partition, d.offset,
                          d.payload.substr(0, kPayloadBytes), d.payload.size()});
        if (m_kept.size() > kKept)
            m_kept.pop_front();
    }
}

std::vector<BrowsedDeadLetter> RecentDeadLetters::newest(std::optional<RejectReason> reason, size_t limit,
                                                        uint64_t before) const
{
    std::vector<BrowsedDeadLetter> out;
    std::lock_guard lock(m_mutex);
    for (auto it = m_kept.rbegin(); it != m_kept.rend() && out.size() < limit; ++it)
        if (it->sequence < before && (!reason || it->reason == *reason))
            out.push_back(*it);
    return out;
}

std::array<uint64_t, kRejectReasonCount> RecentDeadLetters::totals() const
{
    std::lock_guard lock(m_mutex);
    return m_totals;
}

} // namespace tally
