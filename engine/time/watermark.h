// A watermark is the engine's claim that no more events with an earlier event time will arrive.
// WatermarkTracker keeps one per source partition (max event time seen minus the out-of-orderness
// bound) and derives the job watermark: the minimum over partitions that are not idle.
#pragma once

#include "time/clock.h"

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace tally {

struct WatermarkConfig {
    enum class Strategy { Fixed, Adaptive };
    Strategy strategy = Strategy::Fixed;
    int64_t boundMs = 5000;          // fixed out-of-orderness bound (also the adaptive start value)
    double adaptiveQuantile = 0.99;  // adaptive: bound follows this quantile of observed lateness
    int64_t adaptiveMinMs = 1000;    // adaptive clamp, lower end
    int64_t adaptiveMaxMs = 60000;   // adaptive clamp, upper end
    int64_t idleTimeoutMs = 10000;   // a partition silent this long (processing time) stops
                                     // holding the job watermark back; 0 = never idle
};

// Sentinels far from the int64 limits so that "end - 1 + lateness" arithmetic cannot overflow.
constexpr int64_t kMinWatermark = std::numeric_limits<int64_t>::min() / 4;

constexpr int64_t kMaxWatermark = std::numeric_limits<int64_t>::max() / 4;

// Whether an event time read from outside (a savepoint) is one the window arithmetic is safe for.
constexpr bool inEventTimeRange(int64_t t) { return t >= kMinWatermark && t <= kMaxWatermark; }

// What a savepoint keeps of the watermarks: the job watermark and every partition's newest event
// time (the ingest stage's state, taken between batches).
struct WatermarkState {
    int64_t watermark = kMinWatermark;
    std::vector<int64_t> maxEventTimesMs; // per partition
};

struct PartitionWatermark {
    int partition = 0;
    int64_t maxEventTimeMs = kMinWatermark; // kMinWatermark until the first event
    int64_t watermarkMs = kMinWatermark;
    int64_t lastActivityMs = 0;             // processing time of the last record
    bool idle = false;
    bool owned = true;                      // false: another consumer reads it (Kafka group)
};

// Not thread-safe: owned by the source thread. Deterministic for a given sequence of observe()
// and advance() calls and clock readings.
class WatermarkTracker {
public:
    WatermarkTracker(WatermarkConfig config, int partitions, const Clock &clock);

    // Records one event of `partition`. Cheap: called for every event.
    void observe(int partition, int64_t eventTimeMs)
    {
        PartitionWatermark &p = m_partitions[static_cast<size_t>(partition)];
        const int64_t lateness = eventTimeMs > p.maxEventTimeMs ? 0 : p.maxEventTimeMs - eventTimeMs;
        if (eventTimeMs > p.maxEventTimeMs)
            p.maxEventTimeMs = eventTimeMs;
        if (m_adaptive)
            recordLateness(lateness);
    }

    // Marks `partition` active at the current processing time (it delivered records).
    void touch(int partition);

    // Partitions this source does not own (assigned to another consumer of the group) never
    // hold the job watermark back; one that becomes owned again counts from now on.
    void setOwned(int partition, bool owned);

    // Recomputes partition and job watermarks (after a batch). Returns the job watermark, which
    // never decreases. While no partition has seen an event it stays kMinWatermark.
    int64_t advance();

    int64_t jobWatermarkMs() const { return m_jobWatermark; }
    int64_t boundMs() const { return m_boundMs; }
    // max - min watermark over partitions that have seen events and are not idle; 0 if fewer than two.
    int64_t skewMs() const;
    const std::vector<PartitionWatermark> &partitions() const { return m_partitions; }
    // Partition holding the job watermark back, or -1.
    int laggingPartition() const;

    // Continues from a savepoint: each partition's max event time and the job watermark. The
    // adaptive bound starts learning afresh.
    void restore(const std::vector<int64_t> &maxEventTimesMs, int64_t jobWatermarkMs);

private:
    void recordLateness(int64_t latenessMs);
    int64_t latenessQuantileMs() const;

    WatermarkConfig m_config;
    const Clock &m_clock;
    bool m_adaptive;
    int64_t m_boundMs;
    int64_t m_jobWatermark = kMinWatermark;
    std::vector<PartitionWatermark> m_partitions;

    // Adaptive bound: log-linear histogram of observed lateness (8 sub-buckets per power of two),
    // halved periodically so the bound follows the recent distribution.
    static constexpr int kSubBuckets = 8;
    static constexpr int kBuckets = 64 * kSubBuckets;
    std::array<uint64_t, kBuckets> m_lateness{};
    uint64_t m_latenessCount = 0;
};

} // namespace tally
