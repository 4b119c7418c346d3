// A SlidingCounter counts per key over sliding windows built from panes: an event updates one
// pane (a slice of the slide length), never every overlapping window. A running sum per key for
// the newest fired window moves forward one pane at a time, so firing costs O(keys that changed),
// and a candidate set keeps the keys whose sum reaches a reporting threshold, so emitting a window
// costs O(reported keys). Pane counts live in a CountState (namespace = pane start); the sums and
// candidates are derived from them and kept in memory. Not thread-safe: owned by one task.
#pragma once

#include "state/count_state.h"
#include "state/key_counts.h"
#include "window/window_spec.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <utility>

namespace tally {

class SlidingCounter {
public:
    using Candidates = absl::flat_hash_set<uint64_t>;

    // candidateMin (>= 1): keys whose window sum is at least this are reported by advance().
    SlidingCounter(WindowSpec spec, int64_t latenessMs, int64_t candidateMin, std::unique_ptr<CountState> panes);

    void add(uint64_t key, int64_t slotStartMs, int64_t delta, int64_t watermark);

    // Hints that `key` of `slotStartMs` comes soon (see TumblingCounter::prefetch).
    void prefetch(uint64_t key, int64_t slotStartMs) const
    {
        if (slotStartMs == m_slot.slot && m_slot.valid) {
            m_counts->prefetch(m_slot.paneStart, key);
            if (m_slot.inSums)
                m_sums.prefetch(key);
        }
    }

    // Late updates since the last call to windows that already fired and still accept them:
    // (windowStart, key, newValue, deltaSinceLastFire).
    void drainRefires(const std::function<void(int64_t, uint64_t, int64_t, int64_t)> &emit);

    // Fires every window whose end the watermark passed, in order: (windowStart, sums, candidates),
    // where candidates are the keys with sums[key] >= candidateMin. Then drops expired panes.
    void advance(int64_t watermark,
                 const std::function<void(int64_t, const KeyCounts &, const Candidates &)> &fire);

    // Sum of `key` over the panes of the window starting at windowStart.
    int64_t windowValue(uint64_t key, int64_t windowStart) const;
    // Of `key` in the window starting at windowStart: the count in its newest pane, and how many
    // slides its counts span (from its first pane with a non-zero count to the window's end; 0
    // when it has none).
    struct Recent {
        int64_t newestPane = 0;
        int64_t slides = 0;
    };
    Recent recent(uint64_t key, int64_t windowStart) const;
    const WindowSpec &spec() const { return m_spec; }

    // Whether the counter has started sliding (its sums describe a fired window), for snapshots.
    bool sliding() const { return m_sumWindow != kNoWindow; }
    // Restores panes entry by entry, then derives the sums and candidates of the newest fired
    // window at `watermark` (between batches, a sliding counter's sums are exactly that window).
    void importEntry(int64_t paneStart, uint64_t key, int64_t value);
    // Restores a pane whose counts are already in the CountState (a restore from its files).
    void importPane(int64_t paneStart)
    {
        m_panes.insert(paneStart);
        m_slot = {};
    }
    void finishImport(int64_t watermark, bool wasSliding);

private:
    void addToSums(uint64_t key, int64_t delta);
    void addPaneToSums(int64_t paneStart, int sign);
    bool hasPaneIn(int64_t from, int64_t to) const; // any pane in [from, to)

    static constexpr int64_t kNoWindow = INT64_MIN;

    WindowSpec m_spec;
    int64_t m_latenessMs;
    int64_t m_candidateMin;
    std::unique_ptr<CountState> m_counts; // pane start -> key -> count
    std::set<int64_t> m_panes;            // pane starts that hold counts
    // What add() worked out for the previous (slot, watermark); reset by advance().
    struct SlotPlan {
        int64_t slot = INT64_MIN;
        int64_t watermark = INT64_MIN;
        bool expired = false;
        bool inSums = false;
        int64_t paneStart = 0;
        int64_t firstWindow = 0; // first window holding the pane
        int64_t lastFired = 0;   // last window holding the pane that has fired
        bool valid = false;
    };
    SlotPlan m_slot;
    int64_t m_sumWindow = kNoWindow;      // start of the window m_sums describes (fired)
    int64_t m_addWatermark = INT64_MIN;   // watermark of the latest add()
    KeyCounts m_sums;
    Candidates m_candidates;
    absl::flat_hash_map<std::pair<int64_t, uint64_t>, int64_t> m_pendingRefire; // (start, key) -> delta
};

} // namespace tally
