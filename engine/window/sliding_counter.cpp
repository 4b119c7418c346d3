#include "window/sliding_counter.h"

#include <algorithm>
#include <cassert>

namespace tally {

SlidingCounter::SlidingCounter(WindowSpec spec, int64_t latenessMs, int64_t candidateMin, std::unique_ptr<CountState> panes)
    : m_spec(spec), m_latenessMs(latenessMs), m_candidateMin(std::max<int64_t>(1, candidateMin)),
      m_counts(std::move(panes))
{
    assert(spec.sizeMs % spec.slideMs == 0);
}

void SlidingCounter::add(uint64_t key, int64_t slotStartMs, int64_t delta, int64_t watermark)
{
    // Everything but the key depends on (slot, watermark), which repeat from record to record:
    // work it out once instead of dividing for every record.
    if (slotStartMs != m_slot.slot || watermark != m_slot.watermark || !m_slot.valid) {
        m_slot.slot = slotStartMs;
        m_slot.watermark = watermark;
        const int64_t pane = alignDown(slotStartMs, m_spec.slideMs);
        m_slot.expired = m_spec.expired(pane, watermark, m_latenessMs);
        if (m_slot.expired)
            return; // every window holding the pane is gone; the source counted the event as dropped
        m_panes.insert(pane);
        m_slot.paneStart = pane;
        m_slot.valid = true;
        m_slot.lastFired = std::min(pane, m_spec.lastFiredStart(watermark));
        m_slot.firstWindow = pane - m_spec.sizeMs + m_spec.slideMs;
        m_slot.inSums = m_sumWindow != kNoWindow && pane >= m_sumWindow && pane < m_sumWindow + m_spec.sizeMs;
    }
    if (m_slot.expired)
        return;
    m_counts->add(m_slot.paneStart, key, delta);
    m_addWatermark = watermark;
    for (int64_t start = m_slot.firstWindow; start <= m_slot.lastFired; start += m_spec.slideMs) {
        if (!m_spec.expired(start, watermark, m_latenessMs))
            m_pendingRefire[{start, key}] += delta;
    }
    if (m_slot.inSums)
        addToSums(key, delta);
}

void SlidingCounter::addToSums(uint64_t key, int64_t delta)
{
    auto [it, inserted] = m_sums.try_emplace(key, 0);
    const int64_t before = it->second;
    const int64_t after = before + delta;
    if (after == 0)
        m_sums.erase(it);
    else
        it->second = after;
    if (before < m_candidateMin && after >= m_candidateMin)
        m_candidates.insert(key);
    else if (before >= m_candidateMin && after < m_candidateMin)
        m_candidates.erase(key);
}

void SlidingCounter::addPaneToSums(int64_t paneStart, int sign)
{
    if (m_panes.contains(paneStart))
        m_counts->forEach(paneStart, [&](uint64_t key, int64_t count) { addToSums(key, sign * count); });
}

bool SlidingCounter::hasPaneIn(int64_t from, int64_t to) const
{
    auto it = m_panes.lower_bound(from);
    return it != m_panes.end() && *it < to;
}

void SlidingCounter::drainRefires(const std::function<void(int64_t, uint64_t, int64_t, int64_t)> &emit)
{
    for (const auto &[startKey, delta] : m_pendingRefire)
        emit(startKey.first, startKey.second, windowValue(startKey.second, startKey.first), delta);
    m_pendingRefire.clear();
}

void SlidingCounter::advance(int64_t watermark,
                             const std::function<void(int64_t, const KeyCounts &, const Candidates &)> &fire)
{
    m_slot = {};
    const int64_t target = m_spec.lastFiredStart(watermark);
    if (m_sumWindow == kNoWindow) {
        if (m_panes.empty())
            return;
        // First data: every pane was added at m_addWatermark, and windows that had fired by then
        // were re-fired by drainRefires(). Slide on from the newest of them (or, if none holds
        // data, from the empty window that ends where the first pane starts).
        m_sumWindow = std::max(m_spec.lastFiredStart(m_addWatermark), *m_panes.begin() - m_spec.sizeMs);
        m_sumWindow = std::min(m_sumWindow, target);
        for (auto it = m_panes.lower_bound(m_sumWindow); it != m_panes.end() && *it < m_sumWindow + m_spec.sizeMs; ++it)
            addPaneToSums(*it, +1);
    }
    while (m_sumWindow < target) {
        const int64_t next = m_sumWindow + m_spec.slideMs;
        addPaneToSums(m_sumWindow, -1);
        addPaneToSums(next + m_spec.sizeMs - m_spec.slideMs, +1);
        m_sumWindow = next;
        if (!m_candidates.empty())
            fire(next, m_sums, m_candidates);
        if (!hasPaneIn(m_sumWindow, m_sumWindow + m_spec.sizeMs)) {
            // No data in this window: every sum is zero. Skip to the window just before the next
            // pane instead of sliding through the empty stretch one pane at a time.
            m_sums.clear();
            m_candidates.clear();
            auto it = m_panes.lower_bound(m_sumWindow + m_spec.sizeMs);
            const int64_t jump = it == m_panes.end() ? target : std::min(target, *it - m_spec.sizeMs);
            m_sumWindow = std::max(m_sumWindow, jump);
        }
    }
    // Drop panes whose every window expired; the pane at m_sumWindow stays until the sums move past it.
    for (auto it = m_panes.begin(); it != m_panes.end() && *it < m_sumWindow;) {
        if (!m_spec.expired(*it, watermark, m_latenessMs))
            break;
        m_counts->drop(*it);
        it = m_panes.erase(it);
    }
}

void SlidingCounter::importEntry(int64_t paneStart, uint64_t key, int64_t value)
{
    m_panes.insert(paneStart);
    m_counts->add(paneStart, key, value);
    m_slot = {};
}

void SlidingCounter::finishImport(int64_t watermark, bool wasSliding)
{
    m_slot = {};
    m_sums.clear();
    m_candidates.clear();
    m_pendingRefire.clear();
    m_addWatermark = watermark;
    if (!wasSliding && m_panes.empty()) {
        m_sumWindow = kNoWindow;
        return;
    }
    // After a batch's advance() the sums describe the newest fired window; a batch that added
    // data without moving the watermark left it where the watermark already was.
    m_sumWindow = m_spec.lastFiredStart(watermark);
    for (auto it = m_panes.lower_bound(m_sumWindow); it != m_panes.end() && *it < m_sumWindow + m_spec.sizeMs; ++it)
        addPaneToSums(*it, +1);
}

SlidingCounter::Recent SlidingCounter::recent(uint64_t key, int64_t windowStart) const
{
    Recent r;
    const int64_t end = windowStart + m_spec.sizeMs;
    for (auto it = m_panes.lower_bound(windowStart); it != m_panes.end() && *it < end; ++it) {
        const int64_t count = m_counts->get(*it, key);
        if (count != 0 && r.slides == 0)
            r.slides = (end - *it) / m_spec.slideMs;
        if (*it == end - m_spec.slideMs)
            r.newestPane = count;
    }
    return r;
}

int64_t SlidingCounter::windowValue(uint64_t key, int64_t windowStart) const
{
    int64_t sum = 0;
    for (auto it = m_panes.lower_bound(windowStart); it != m_panes.end() && *it < windowStart + m_spec.sizeMs; ++it)
        sum += m_counts->get(*it, key);
    return sum;
}

} // namespace tally
