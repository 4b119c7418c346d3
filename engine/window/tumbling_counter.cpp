#include "window/tumbling_counter.h"

namespace tally {

TumblingCounter::TumblingCounter(int64_t sizeMs, int64_t latenessMs)
    : m_spec{sizeMs, sizeMs}, m_latenessMs(latenessMs)
{
}

void TumblingCounter::add(uint64_t key, int64_t slotStartMs, int64_t delta, int64_t watermark)
{
    // The window depends on (slot, watermark) only, which repeat from record to record.
    if (slotStartMs != m_slot.slot || watermark != m_slot.watermark || m_slot.window == nullptr) {
        const int64_t start = alignDown(slotStartMs, m_spec.sizeMs);
        m_slot.slot = slotStartMs;
        m_slot.watermark = watermark;
        m_slot.expired = m_spec.expired(start, watermark, m_latenessMs);
        if (m_slot.expired)
            return; // counted as dropped by the source, which applies the same rule
        auto [it, created] = m_windows.try_emplace(start);
        if (created && m_slot.window != nullptr)
            it->second.counts.reserve(m_slot.window->counts.size()); // windows are alike: skip the rehash ladder
        m_slot.window = &it->second;
    }
    if (m_slot.expired)
        return;
    Window &w = *m_slot.window;
    w.counts[key] += delta;
    if (w.fired) {
        w.pendingRefire[key] += delta;
        m_anyRefire = true;
    }
}

void TumblingCounter::drainRefires(const std::function<void(int64_t, uint64_t, int64_t, int64_t)> &emit)
{
    if (!m_anyRefire)
        return;
    m_anyRefire = false;
    for (auto &[start, w] : m_windows) {
        for (const auto &[key, delta] : w.pendingRefire)
            emit(start, key, w.counts.at(key), delta);
        w.pendingRefire.clear();
    }
}

void TumblingCounter::advance(int64_t watermark, const std::function<void(int64_t, const KeyCounts &)> &fire)
{
    m_slot = {};
    for (auto it = m_windows.begin(); it != m_windows.end();) {
        const int64_t start = it->first;
        if (!m_spec.fired(start, watermark))
            break; // later windows cannot have fired either
        if (!it->second.fired) {
            it->second.fired = true;
            fire(start, it->second.counts);
        }
        if (m_spec.expired(start, watermark, m_latenessMs)) {
            it = m_windows.erase(it);
        }
        else
            ++it;
    }
}

void TumblingCounter::exportState(const std::function<void(int64_t, uint64_t, int64_t, bool)> &emit) const
{
    for (const auto &[start, w] : m_windows)
        for (const auto &[key, value] : w.counts)
            emit(start, key, value, w.fired);
}

void TumblingCounter::importEntry(int64_t windowStart, uint64_t key, int64_t value, bool fired)
{
    auto [it, created] = m_windows.try_emplace(windowStart);
    it->second.fired = created ? fired : it->second.fired && fired;
    it->second.counts[key] += value;
    m_slot = {};
}

const KeyCounts *TumblingCounter::window(int64_t windowStart) const
{
    auto it = m_windows.find(windowStart);
    return it == m_windows.end() ? nullptr : &it->second.counts;
}

size_t TumblingCounter::stateEntries() const
{
    size_t n = 0;
    for (const auto &[start, w] : m_windows)
        n += w.counts.size();
    return n;
}

} // namespace tally
