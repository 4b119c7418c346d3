// A TumblingCounter keeps one count per key and tumbling window, fires each window when the
// watermark passes its end, re-fires it for late updates within the allowed lateness, and drops
// it after that. The counts live in a CountState (namespace = window start); the counter keeps
// which windows exist, whether they fired and their pending re-fires. Not thread-safe: owned by
// one task.
#pragma once

#include "state/count_state.h"
#include "state/key_counts.h"
#include "window/window_spec.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

namespace tally {

class TumblingCounter {
public:
    TumblingCounter(int64_t sizeMs, int64_t latenessMs, std::unique_ptr<CountState> counts);

    // Adds `delta` for `key` to the window holding the slot starting at `slotStartMs` (slots are
    // aligned to a divisor of the window size). `watermark` is the task's current watermark.
    void add(uint64_t key, int64_t slotStartMs, int64_t delta, int64_t watermark);

    // Hints that `key` of `slotStartMs` comes soon: starts loading its slot of the hash table, so
    // the cache miss overlaps the work on the records before it.
    void prefetch(uint64_t key, int64_t slotStartMs) const
    {
        if (slotStartMs == m_slot.slot && m_slot.window != nullptr)
            m_counts->prefetch(m_slot.start, key);
    }

    // Late updates since the last call: (windowStart, key, newValue, deltaSinceLastFire).
    void drainRefires(const std::function<void(int64_t, uint64_t, int64_t, int64_t)> &emit);

    // Moves the watermark: fires every window it passes (in window order; read its counts with
    // forEach() inside `fire`) and drops expired ones.
    void advance(int64_t watermark, const std::function<void(int64_t)> &fire);

    // Every (key, count) of a window.
    void forEach(int64_t windowStart, const CountState::Visit &visit) const { m_counts->forEach(windowStart, visit); }

    // Start of every window that has fired and is still kept (for snapshots, between batches).
    std::vector<int64_t> firedWindows() const;
    // Restores one entry. A window is fired only if every entry restored into it says so (tasks
    // merged by a rescale may disagree: an unfired window fires, and so emits, at the next advance).
    void importEntry(int64_t windowStart, uint64_t key, int64_t value, bool fired);
    // Restores a window whose counts are already in the CountState (a restore from its files).
    void importWindow(int64_t windowStart, bool fired);
    const WindowSpec &spec() const { return m_spec; }

private:
    struct Window {
        KeyCounts pendingRefire; // key -> delta accumulated since the window last fired
        bool fired = false;
    };

    WindowSpec m_spec;
    int64_t m_latenessMs;
    std::unique_ptr<CountState> m_counts;
    std::map<int64_t, Window> m_windows; // by window start
    // What add() worked out for the previous (slot, watermark); reset by advance().
    struct SlotPlan {
        int64_t slot = INT64_MIN;
        int64_t watermark = INT64_MIN;
        int64_t start = 0;
        bool expired = false;
        Window *window = nullptr;
    };
    SlotPlan m_slot;
    bool m_anyRefire = false;
};

} // namespace tally
