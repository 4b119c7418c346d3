// The aggregations are the five standard results of DESIGN.md computed by one task over the key
// groups it owns: likes_per_post, trending_hourly (local top-K; the output stage merges tasks),
// likes_by_region, like_velocity and spam_suspects. Records arrive pre-aggregated per key family
// and slot (see runtime/records.h); each aggregation maps a slot to its own windows.
#pragma once

#include "core/results.h"
#include "state/count_state.h"
#include "state/key_counts.h"
#include "window/aggregation_config.h"
#include "window/keyed_state.h"
#include "window/sliding_counter.h"
#include "window/top_k.h"
#include "window/tumbling_counter.h"

#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace tally {

// Records are combined per key family: every aggregation of a family shares the key and a slot
// length that divides all its window sizes and slides.
enum class KeyFamily : uint8_t { Post, Region, User, kCount };
constexpr size_t kKeyFamilyCount = static_cast<size_t>(KeyFamily::kCount);

struct PaneDelta {
    uint64_t key = 0;
    int64_t slotStartMs = 0;
    int64_t net = 0;   // likes - unlikes
    int64_t likes = 0; // like actions only (spam counts these)
};

// A task's local top-K for one trending window; the output stage merges the tasks' lists.
struct TopKUpdate {
    int64_t windowStartMs = 0;
    int64_t windowEndMs = 0;
    std::vector<KeyValue> entries;
};

// Key group of a key of a family (see state/key_groups.h). A salt per family keeps e.g. post 7
// and user 7 from always landing in the same group.
int keyGroupFor(KeyFamily family, uint64_t key);
uint64_t keyGroupSalt(KeyFamily family);

// Ok when every record of a decoded snapshot is one the windows can restore: a known structure,
// its key in the key group it is filed under, window starts and the watermark within the range
// the window arithmetic is safe for (time/watermark.h). Counts may be negative (net likes). A crafted or damaged
// file with a valid checksum is refused here, naming the first bad record.
Status checkRestorable(const KeyedStateSnapshot &snapshot);

// Files counts under their key groups in `snapshot`, flagged fired when `fired` (sorted) lists
// their namespace: how a task's exported counts become a portable snapshot. Counts come
// namespace by namespace, so the last namespace's flag is remembered. Given how many counts are
// coming, it makes room for them up front in the key groups they go to (a task's own).
class CountRecorder {
public:
    CountRecorder(KeyedStateSnapshot &snapshot, const std::vector<NamespaceRef> &fired, size_t expected = 0)
        : m_snapshot(snapshot), m_fired(fired), m_expected(expected)
    {
    }
    void add(uint8_t structure, int64_t ns, uint64_t key, int64_t value);

private:
    void makeRoom();

    static constexpr size_t kSample = 4096; // records that show which key groups are filled
    KeyedStateSnapshot &m_snapshot;
    const std::vector<NamespaceRef> &m_fired;
    size_t m_expected;
    size_t m_added = 0;
    std::bitset<kMaxParallelism> m_sampled; // key groups the first kSample records went to
    NamespaceRef m_last{0xff, 0};           // no structure is 0xff
    uint8_t m_lastFlags = 0;
};

// One window definition per aggregation (likes_by_region has one per configured size), used by
// the source to classify lateness and by metrics labels.
struct AggregationWindow {
    Aggregation aggregation;
    KeyFamily family;
    WindowSpec spec;
};
std::vector<AggregationWindow> aggregationWindows(const AggregationConfig &config);
// Slot length per family: the gcd of the window sizes and slides of the family's aggregations.
std::array<int64_t, kKeyFamilyCount> familySlotsMs(const AggregationConfig &config);

// spam_suspects: does `likes` in one window stand out, given the user's baseline likes?
bool isSpamSuspect(const SpamSuspectsConfig &config, int64_t likes, int64_t baselineLikes);
// spam_suspects: the baseline of the window starting at windowStart sums the user's likes over
// [from, to): the baselineBuckets buckets that closed at least `lateness` before the window start,
// so the baseline is final when the window fires.
std::pair<int64_t, int64_t> spamBaselineRange(const SpamSuspectsConfig &config, int64_t latenessMs, int64_t windowStart);
// like_velocity: minimum net likes in a window to report it, and to flag it viral.
int64_t velocityReportMin(const LikeVelocityConfig &config);
int64_t velocityViralMin(const LikeVelocityConfig &config);
// like_velocity's flag for a window of `likes` net likes, of which its newest pane (slide) holds
// `newestPaneLikes`, spread over `slides` slides (from the post's first pane with likes in the
// window to its end): at least the viral rate, and accelerating: the newest slide's rate at least
// viral_acceleration times the post's rate over those slides. (Over the slides since its first
// likes, not the whole window: a job that just started, or a post just published, has no history
// to be compared with, and an empty past would make every post look accelerating.)
bool isViral(const LikeVelocityConfig &config, int64_t likes, int64_t newestPaneLikes, int64_t slides);

// Not thread-safe: owned by one task thread. Every count lives in `state` (heap or RocksDB).
class TaskAggregations {
public:
    // `allowedLatenessMs`: windows accept late updates this long after firing.
    TaskAggregations(const AggregationConfig &config, int64_t allowedLatenessMs, std::unique_ptr<TaskState> state);

    // Applies one pre-aggregated record at the task's current watermark.
    void apply(KeyFamily family, const PaneDelta &d, int64_t watermark);

    // Hints that `d` will be applied soon: call it a few records ahead of apply(), so the hash
    // table loads of several records overlap (the state is far larger than the caches).
    void prefetch(KeyFamily family, const PaneDelta &d) const;

    // Ends a batch: emits re-fires caused by the batch's late records, then moves the watermark,
    // firing and expiring windows. Appends to rows and topK.
    void finishBatch(int64_t newWatermark, std::vector<OutputRow> &rows, std::vector<TopKUpdate> &topK);

    size_t stateEntries() const;

    // Takes this task's state at the barrier (between batches: after finishBatch()) and returns
    // the function that adds it to the barrier's changes. The function may run on another thread
    // while the task goes on (see TaskState::exportCounts: the heap shares its tables now,
    // RocksDB pins a database snapshot; both are read later). `changesOnly` (after trackChanges() returned true): what changed since the previous
    // such snapshot; else all of it (`complete`).
    std::function<void(KeyedStateChanges &)> snapshot(bool changesOnly);
    // Takes this task's state at the barrier as the files of its database and its cache's part
    // (TaskState::exportFiles), where the backend can (canExportFiles); `writeCacheFirst`: with
    // the cache written into the files first.
    std::function<void(KeyedStateChanges &)> snapshotFiles(bool writeCacheFirst);
    bool canExportFiles() const { return m_state->canExportFiles(); }
    // Starts tracking changes for incremental checkpoints (after a restore), where the state
    // backend can (TaskState::canTrackChanges).
    void trackChanges() { m_state->trackChanges(); }
    bool canTrackChanges() const { return m_state->canTrackChanges(); }
    // Restores the key groups that task `task` of `parallelism` owns from a snapshot (of any
    // parallelism) into this fresh task. `topK` receives the local top-K of every trending window
    // that has fired and can still change, so the output stage can rebuild its merge.
    void restore(const KeyedStateSnapshot &in, int task, int parallelism, std::vector<TopKUpdate> &topK);
    // The same for a task whose state was opened from its files (openTaskStateFromFiles): the
    // counts are there; the windows learn which namespaces exist, `fired` (sorted) and the
    // watermark and sliding flags of `meta`.
    void restoreFromFiles(const KeyedStateSnapshot &meta, const std::vector<NamespaceRef> &fired, std::vector<TopKUpdate> &topK);

private:
    // Adds what the counts alone do not say (watermark, sliding flags, fired windows) to a part.
    std::function<void(KeyedStateChanges &)> snapshotMeta() const;
    // After a restore: the local top-K of fired trending windows that can still re-fire.
    void rebuildTrendingTopK(std::vector<TopKUpdate> &topK);
    void emitTrendingRefires(std::vector<TopKUpdate> &topK);
    void pruneBaseline(int64_t watermark);
    int64_t baselineLikes(uint64_t user, int64_t windowStart) const;
    // like_velocity's flag for `key` in the window starting at windowStart, worth `likes`.
    bool velocityFlag(int64_t windowStart, uint64_t key, int64_t likes) const;

    CountStateId stateId(StateStructure structure, KeyFamily family) const;

    AggregationConfig m_config;
    int64_t m_latenessMs;
    int64_t m_watermark;
    std::unique_ptr<TaskState> m_state; // outlives the counters' CountStates

    TumblingCounter m_likesPerPost;
    TumblingCounter m_trending;
    std::map<int64_t, std::vector<KeyValue>> m_trendingLastTopK; // fired windows' local top-K
    std::vector<TumblingCounter> m_regions;                      // one per configured window size
    SlidingCounter m_velocity;
    int64_t m_velocityReportMin;
    int64_t m_velocityViralMin; // below it no flag: the newest pane is not read
    SlidingCounter m_spam;
    std::unique_ptr<CountState> m_spamBaseline; // bucket start -> user -> likes
    std::set<int64_t> m_baselineBuckets;        // bucket starts that hold counts
    int64_t m_lastBucketStart = INT64_MIN;      // the bucket the previous record hit
};

} // namespace tally
