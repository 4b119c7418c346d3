// Offset resets of the job's consumer group on its topic, as Kafka's consumer-group tool does them
// (kafka-consumer-groups --reset-offsets), for a job that is stopped: to the log start, the log
// end, the first record at or after a time, or a savepoint's positions. A plan is the dry run:
// per partition the log's range, the group's committed offset, the new one and the records the
// group reads again or skips. Applying it is refused while the group has members: a running
// consumer would overwrite the new offsets with its own positions at its next commit, and Kafka
// refuses offset changes of an active group too.
//
// A job restored from a checkpoint or savepoint reads from the positions it holds, never from the
// group's offsets: a reset moves where a job without one starts.
#pragma once

#include "source/kafka_source.h"
#include "source/source.h"
#include "util/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tally {

struct OffsetResetTarget {
    enum class Kind { Earliest, Latest, Timestamp, Positions };
    Kind kind = Kind::Earliest;
    int64_t timestampMs = 0;        // Timestamp: the first record at or after it, by record timestamp
    std::vector<int64_t> positions; // Positions: the next offset to read, per partition (a savepoint's; -1: none)
    std::string source;             // Positions: where they come from, for the plan's title
    std::string describe() const;   // "the log start", "2026-12-07T10:00:00.000Z", ...
};

struct PartitionReset {
    int partition = 0;
    int64_t logStart = 0;
    int64_t logEnd = 0;
    int64_t current = -1; // the group's committed offset; -1: none (the job would start at source.kafka.auto_offset_reset)
    int64_t target = 0;   // -1: left as it is (Positions without one for the partition)
    // Positions outside the log are moved into it (as Kafka's tool does); below the log start,
    // retention deleted `target - asked` records the savepoint had not read.
    int64_t asked = -1; // the position asked for when it was moved; -1: it was not
};

struct OffsetResetPlan {
    std::string topic;
    std::string group;
    OffsetResetTarget target;
    std::string groupState; // as the broker describes the group
    std::vector<TopicView::Member> members;
    std::vector<PartitionReset> partitions;

    // Why it may not be applied now ("" if it may): the group's active members.
    std::string refusal() const;
    // The dry run as a table, one line per partition, with the records read again or skipped.
    std::string describe() const;
};

// A position of a checkpoint or savepoint that the topic no longer holds: retention deleted the
// records from it up to the log start, and a job that resumes there skips them.
struct DeletedPositions {
    int partition = 0;
    int64_t position = 0;
    int64_t logStart = 0;
};
// The partitions whose `positions` (next offset to read, per partition; -1: none) are below their
// log start now; empty if every one is still there. Fails if the broker does not answer within
// about `timeoutMs`, or `positions` name more partitions than the topic has (fewer: the topic
// gained partitions since, which a restore reads from the start).
Result<std::vector<DeletedPositions>> positionsDeletedByRetention(const KafkaSourceConfig &config,
                                                                 const std::vector<int64_t> &positions, int timeoutMs = 10000);

// Asks the broker (within about `timeoutMs` in all; fails naming what did not answer).
Result<OffsetResetPlan> planOffsetReset(const KafkaSourceConfig &config, const OffsetResetTarget &target, int timeoutMs = 10000);
// Commits the plan's new offsets for the group, after asking the broker again that the group has
// no members (refused, naming them, if it has).
Status applyOffsetReset(const KafkaSourceConfig &config, const OffsetResetPlan &plan, int timeoutMs = 10000);

} // namespace tally
