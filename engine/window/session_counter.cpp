#include "window/session_counter.h"

#include <algorithm>

namespace tally {

SessionCounter::SessionCounter(int64_t gapMs, int64_t latenessMs) : m_gapMs(gapMs), m_latenessMs(latenessMs) {}

bool SessionCounter::add(uint64_t key, int64_t t, int64_t count, int64_t watermark)
{
    if (isDropped(t, watermark))
        return false;
    std::vector<Session> &list = m_sessions[key];
    Session merged{t, t + m_gapMs, count, false};
    bool mergedFired = false;
    // Sessions overlapping [t, t + gap) merge with it; the list is sorted and non-overlapping.
    auto first = std::find_if(list.begin(), list.end(), [&](const Session &s) { return s.end > merged.start; });
    auto last = first;
    while (last != list.end() && last->start < merged.end) {
        merged.start = std::min(merged.start, last->start);
        merged.end = std::max(merged.end, last->end);
        merged.count += last->count;
        if (last->fired) {
            mergedFired = true;
            m_fired.erase({last->end, key});
            m_pending.emplace_back(Update::Delete, key, last->start, last->end, last->count);
        } else {
            m_unfired.erase({last->end, key});
        }
        ++last;
    }
    auto pos = list.erase(first, last);
    // A session that had fired re-fires at once if the watermark already passed its new end.
    if (mergedFired && watermark >= merged.end - 1) {
        merged.fired = true;
        m_fired.insert({merged.end, key});
        m_pending.emplace_back(Update::Upsert, key, merged.start, merged.end, merged.count);
    } else {
        m_unfired.insert({merged.end, key});
    }
    list.insert(pos, merged);
    return true;
}

void SessionCounter::drainUpdates(const Emit &emit)
{
    // A session deleted and re-created by the same batch nets out to its final row.
    for (const auto &[update, key, start, end, count] : m_pending)
        emit(update, key, start, end, count);
    m_pending.clear();
}

void SessionCounter::advance(int64_t watermark, const Emit &emit)
{
    while (!m_unfired.empty() && m_unfired.begin()->first - 1 <= watermark) {
        const auto [end, key] = *m_unfired.begin();
        m_unfired.erase(m_unfired.begin());
        for (Session &s : m_sessions[key]) {
            if (s.end == end && !s.fired) {
                s.fired = true;
                emit(Update::Upsert, key, s.start, s.end, s.count);
                break;
            }
        }
        m_fired.insert({end, key});
    }
    while (!m_fired.empty() && m_fired.begin()->first - 1 + m_latenessMs <= watermark) {
        // Not a structured binding: the lambda below captures `end`, which clang before 16 refuses.
        const int64_t end = m_fired.begin()->first;
        const uint64_t key = m_fired.begin()->second;
        m_fired.erase(m_fired.begin());
        auto it = m_sessions.find(key);
        if (it == m_sessions.end())
            continue;
        std::erase_if(it->second, [&](const Session &s) { return s.fired && s.end == end; });
        if (it->second.empty())
            m_sessions.erase(it);
    }
}

size_t SessionCounter::sessionCount() const
{
    size_t n = 0;
    for (const auto &[key, list] : m_sessions)
        n += list.size();
    return n;
}

} // namespace tally
