// Ingest is the sequencing half of the job's source, run by the ingest thread on decoded batches:
// it advances per-partition watermarks, classifies late events, and pre-aggregates events per key
// family and slot before they cross threads, so a celebrity post at 500K likes/s becomes a few
// records per batch instead of 500K.
#pragma once

#include "checkpoint/checkpoint_coordinator.h"
#include "runtime/job_config.h"
#include "event/codec.h"
#include "sink/output.h"
#include "source/source.h"
#include "time/watermark.h"
#include "window/aggregations.h"

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstdint>
#include <vector>

namespace tally {

// What the source sends one task per batch. Records were combined at `watermarkBefore`; the task
// applies them at that watermark and then advances to watermarkAfter.
struct TaskBatch {
    std::array<std::vector<PaneDelta>, kKeyFamilyCount> records;
    int64_t watermarkBefore = 0;
    int64_t watermarkAfter = 0;
    uint64_t epoch = 0; // the epoch these records belong to (see CheckpointConfig)
    TaskSnapshot snapshot = TaskSnapshot::None; // a barrier: what the task snapshots before this batch
    int64_t barrierSentNs = 0; // steady clock when the ingest stage sent the barrier (alignment time)
    bool endOfInput = false;
};

// Decodes a batch's serialized records into batch.events (appended after any decoded ones) and
// clears the records. A record that fails becomes a dead letter with its reason; `rejected`
// counts them per reason.
void decodeBatch(SourceBatch &batch, RecordDecoder &decoder, std::vector<DeadLetter> &deadLetters,
                 std::array<uint64_t, kRejectReasonCount> &rejected);

// Per-batch counts for metrics, reset by takeCounts().
struct IngestCounts {
    uint64_t events = 0;
    uint64_t lateEvents = 0;       // events that re-fired at least one window
    uint64_t droppedEvents = 0;    // events too late for at least one window (the late_events rows)
    std::vector<uint64_t> late;    // per aggregationWindows() entry: (event, window) pairs
    std::vector<uint64_t> dropped; // per aggregationWindows() entry: (event, window) pairs
};

// Not thread-safe: owned by the source thread.
class Ingest {
public:
    Ingest(const JobConfig &config, int partitions, const Clock &clock);

    // Combines the decoded events of one polled batch of `partition`. Events later than the
    // allowed lateness for some window also become late events (the late side output).
    void add(int partition, const std::vector<LikeEvent> &events, std::vector<LateEvent> &lateEvents);

    // Recomputes the watermark (also with no data: idleness) and moves the combined records into
    // one TaskBatch per task. Returns false when there is nothing to send (no records, same watermark).
    bool flush(std::vector<TaskBatch> &perTask, bool endOfInput);

    // Partitions the source reads now (empty: all); the others do not hold the watermark back.
    void setOwnedPartitions(const std::vector<int> &owned);

    int64_t watermark() const { return m_watermark; }

    // What a savepoint keeps of the ingest stage (taken between batches, when nothing is combined).
    using State = WatermarkState;
    State state() const;
    void restore(const State &state);
    const WatermarkTracker &watermarks() const { return m_tracker; }
    IngestCounts takeCounts();

private:
    void combine(const LikeEvent &e);

    struct SlotKey {
        uint64_t key;
        int64_t slot;
        bool operator==(const SlotKey &) const = default;
        template <typename H>
        friend H AbslHashValue(H h, const SlotKey &k) { return H::combine(std::move(h), k.key, k.slot); }
    };

    int m_parallelism;
    int64_t m_latenessMs;
    std::vector<AggregationWindow> m_windows;
    std::array<int64_t, kKeyFamilyCount> m_slotMs;
    WatermarkTracker m_tracker;
    int64_t m_watermark = kMinWatermark;
    int64_t m_sentWatermark = kMinWatermark;
    std::array<absl::flat_hash_map<SlotKey, PaneDelta>, kKeyFamilyCount> m_combined;
    IngestCounts m_counts;
};

// Task that owns `key` of `family` at parallelism p.
int taskForKey(KeyFamily family, uint64_t key, int parallelism);

} // namespace tally
