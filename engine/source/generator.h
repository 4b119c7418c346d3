// The generator is the built-in source: a deterministic, seeded stream of like events shaped like
// real traffic (Zipf-skewed posts, celebrity bursts, skewed regions, spam users, unlikes) and
// delivered out of order, with a tail of late events, over several partitions.
#pragma once

#include "event/codec.h"
#include "source/source.h"

#include <cstdint>
#include <memory>

namespace tally {

struct GeneratorConfig {
    uint64_t seed = 42;
    uint64_t totalEvents = 0;        // 0 = unbounded
    double eventsPerSecond = 0;      // wall-clock pacing; 0 = as fast as possible
    int partitions = 4;              // source partitions (>= 1)
    int64_t startTimeMs = 1767225600000LL; // event time of the first event (2026-01-01T00:00:00Z);
                                           // 0 = the wall clock when the source is created
    double eventTimeRate = 10000;    // events per second of event time (density of the stream)

    uint64_t posts = 100000;         // distinct posts, ids 1..posts
    double postSkew = 1.1;           // Zipf exponent over posts (> 0)
    uint64_t users = 1000000;        // distinct users, ids 1..users
    double spamUserFraction = 0.00005; // share of users that are spammers (50 of 1M)
    double spamShare = 0.02;         // share of all events produced by spammers
    double unlikeFraction = 0.05;    // share of events that are unlikes
    double regionSkew = 1.2;         // Zipf exponent over the built-in region list
    double v2Fraction = 0.5;         // share of events in schema v2 (those carry a device type)

    int64_t burstEveryMs = 600000;   // event time between celebrity bursts; 0 = no bursts
    int64_t burstDurationMs = 60000; // length of a burst
    double burstShare = 0.5;         // share of traffic the celebrity post takes during a burst

    double meanDelayMs = 200;        // mean delivery delay (exponential)
    double lateFraction = 0.001;     // share of events delayed by the late tail
    int64_t lateDelayMs = 120000;    // late-tail delay, uniform in [0, lateDelayMs]
    int silentPartitions = 0;        // the last N partitions never deliver (idle-partition tests)

    bool serialized = false;         // deliver framed records instead of decoded events
    WireFormat format = WireFormat::Json;
    double malformedFraction = 0;    // share of serialized records that are corrupted
};

// Not thread-safe: one thread polls it. Event ids are 1, 2, 3, ... in generation order, so a run
// is fully reproducible from the config.
class GeneratorSource final : public Source {
public:
    explicit GeneratorSource(GeneratorConfig config);
    ~GeneratorSource() override;

    int partitionCount() const override;
    PollStatus poll(SourceBatch &batch, size_t maxRecords) override;
    // Regenerates the stream from the start and skips every record before these offsets.
    Status seek(const std::vector<int64_t> &nextOffsets) override;

    const GeneratorConfig &config() const;
    uint64_t generated() const; // events generated so far (delivered or still in flight)
    uint64_t corrupted() const; // serialized records delivered corrupted (malformedFraction)

    // Thread-safe. A new wall-clock pace (0: as fast as possible), taken by the next poll, where
    // the pacing starts over; and how many records the paced stream is behind its schedule since
    // then (a stream appended at the pace, waiting to be read: the generator's lag).
    void setEventsPerSecond(double rate);
    uint64_t behindSchedule() const;

    // Ground truth for checks: the celebrity post of burst k (k >= 1; bursts start at
    // startTimeMs + k * burstEveryMs), and whether a user id is one of the spam users.
    uint64_t burstPost(int64_t burst) const;
    bool isSpamUser(uint64_t userId) const;

    // Partition an event is delivered on (as Kafka's default partitioner: a stable hash of the
    // key, the post id). `partitions` counts the partitions that receive events, i.e. the
    // configured ones minus the silent ones.
    static int partitionFor(uint64_t postId, int partitions);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
    std::vector<int64_t> m_skipTo; // per partition, after seek()
};

} // namespace tally
