// The Kafka source consumes like records from a topic as a member of a consumer group
// (cooperative-sticky assignment, offsets managed by Tally, never auto-committed; a restored job
// reads from its savepoint's positions, not the group's offsets), delivers them one partition at
// a time, reports consumer lag per partition, and survives a slow downstream without a rebalance:
// while the engine is backpressured it pauses its partitions and keeps polling, so the group
// never sees it miss a poll.
#pragma once

#include "metrics/metrics.h"
#include "source/source.h"
#include "util/status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tally {

struct KafkaSourceConfig {
    std::string bootstrapServers;          // host:port[,host:port...], required
    std::string topic = "likes";           // default "likes"
    std::string groupId = "tally";         // consumer group, default "tally"
    std::string deadLetterTopic;           // malformed records go here; default "" = <topic>.dlq
    std::string autoOffsetReset = "earliest"; // without a committed offset: earliest | latest
    int sessionTimeoutMs = 10000;          // group session timeout, default 10 s
    int maxPollIntervalMs = 300000;        // max time between polls before the group evicts, default 5 min
    // "never" (a live stream) or "end": a bounded read that ends once every partition is read
    // up to the log-end offset it had when the source opened (backfills, replays, benchmarks).
    std::string stopAt = "never";
    std::map<std::string, std::string> properties; // extra librdkafka settings, applied last
};

struct PartitionOffset {
    int partition = 0;
    int64_t offset = 0; // next offset to read
    friend bool operator==(const PartitionOffset &, const PartitionOffset &) = default;
};

// Not thread-safe: one thread (the engine's source thread) calls poll(), keepAlive() and commit().
class KafkaSource final : public Source {
public:
    // Connects, reads the topic's partition count and subscribes. Fails if the topic does not
    // exist or the broker cannot be reached within `connectTimeoutMs`.
    static Result<std::unique_ptr<KafkaSource>> open(const KafkaSourceConfig &config, MetricsRegistry &metrics,
                                                     int connectTimeoutMs = 10000);
    ~KafkaSource() override; // leaves the group cleanly

    int partitionCount() const override;
    PollStatus poll(SourceBatch &batch, size_t maxRecords) override;
    void keepAlive() override;
    // Commits the given positions of the partitions assigned now (other members own the rest).
    Status commitPositions(const std::vector<int64_t> &nextOffsets) override;
    // Reads each partition from nextOffsets[partition] (a checkpoint's or savepoint's positions),
    // whenever the group assigns it, instead of from the group's committed offset. Call before
    // the first poll(). Fails if the topic's partition count differs from the savepoint's.
    Status seek(const std::vector<int64_t> &nextOffsets) override;

    // Positions delivered so far (the offset after the last record handed to the engine), per
    // partition this consumer has read from.
    std::vector<PartitionOffset> positions() const;
    // Commits offsets to the group, so external tools (kcat, Burrow) see the group's lag.
    Status commit(const std::vector<PartitionOffset> &offsets);
    // Partitions currently assigned to this consumer.
    std::vector<int> assignment() const;
    std::vector<int> ownedPartitions() const override { return assignment(); }
    uint64_t ownershipVersion() const override { return rebalanceCount(); }
    uint64_t rebalanceCount() const; // assign + revoke callbacks so far
    std::optional<SourceLag> lag() const override; // from the gauges the poll thread sets
    std::optional<TopicView> topicView() const override; // refreshed every 5 s by the probe thread

private:
    struct Impl;
    explicit KafkaSource(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace tally
