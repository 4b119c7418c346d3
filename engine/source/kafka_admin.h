// What the Kafka source and the offset reset share of librdkafka: a partition list that frees
// itself, and what they ask a broker about a consumer group (the admin API, on a client handle
// the caller owns): the group's state and members, with the partitions of one topic each member
// is assigned.
#pragma once

#include "source/source.h"
#include "util/status.h"

#include <librdkafka/rdkafka.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tally {

struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t *l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct GroupDescription {
    std::string state;    // "Stable", "PreparingRebalance", "Empty", "Dead", ...
    std::string assignor; // "cooperative-sticky", ...
    int coordinator = -1; // broker id
    std::vector<TopicView::Member> members; // by member id; `self` unset, partitions of `topic` only, sorted
};

// Describes `group` (DescribeConsumerGroups). The answer is awaited in slices of 100 ms, so a
// caller that stops (`cancelled` returns true) does not wait for it; an answer that does not
// come within timeoutMs (plus half a second) is an error.
Result<GroupDescription> describeGroup(rd_kafka_t *rk, const std::string &group, const std::string &topic, int timeoutMs,
                                       const std::function<bool()> &cancelled = {});

} // namespace tally
