#include "window/tumbling_counter.h"

namespace tally {

TumblingCounter::TumblingCounter(int64_t sizeMs, int64_t latenessMs, std::unique_ptr<CountState> counts)
    : m_spec{sizeMs, sizeMs}, m_latenessMs(latenessMs), m_counts(std::move(counts))
{
}

void TumblingCounter::add(uint64_t key, int64_t slotStartMs, int64_t delta, int64_t watermark)
{
    // The window depends on (slot, watermark) only, which repeat from record to record.
    if (slotStartMs != m_slot.slot || watermark != m_slot.watermark || m_slot.window == nullptr) {
        const int64_t start = alignDown(slotStartMs, m_spec.sizeMs);
        m_slot.slot = slotStartMs;
        m_slot.watermark = watermark;
        m_slot.start = start;
        m_slot.expired = m_spec.expired(start, watermark, m_latenessMs);
        if (m_slot.expired)
            return; // counted as dropped by the source, which applies the same rule
        m_slot.window = &m_windows[start];
    }
    if (m_slot.expired)
        return;
    m_counts->add(m_slot.start, key, delta);
    Window &w = *m_slot.window;
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
            emit(start, key, m_counts->get(start, key), delta);
        w.pendingRefire.clear();
    }
}

void TumblingCounter::advance(int64_t watermark, const std::function<void(int64_t)> &fire)
{
    m_slot = {};
    for (auto it = m_windows.begin(); it != m_windows.end();) {
        const int64_t start = it->first;
        if (!m_spec.fired(start, watermark))
            break; // later windows cannot have fired either
        if (!it->second.fired) {
            it->second.fired = true;
            fire(start);
        }
        if (m_spec.expired(start, watermark, m_latenessMs)) {
            m_counts->drop(start);
            it = m_windows.erase(it);
        }
        else
            ++it;
    }
}

std::vector<int64_t> TumblingCounter::firedWindows() const
{
    std::vector<int64_t> starts;
    for (const auto &[start, w] : m_windows)
        if (w.fired)
            starts.push_back(start);
    return starts;
}

void TumblingCounter::importEntry(int64_t windowStart, uint64_t key, int64_t value, bool fired)
{
    auto [it, created] = m_windows.try_emplace(windowStart);
    it->second.fired = created ? fired : it->second.fired && fired;
    m_counts->add(windowStart, key, value);
    m_slot = {};
}

void TumblingCounter::importWindow(int64_t windowStart, bool fired)
{
    m_windows[windowStart].fired = fired;
    m_slot = {};
}

} // namespace tally
