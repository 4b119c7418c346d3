// What the Kafka source and the offset reset both ask a broker about a consumer group (librdkafka's
// admin API, on a client handle the caller owns): the group's state and members, with the
// partitions of one topic each member is assigned.
#pragma once

#include "source/source.h"
#include "util/status.h"

#include <functional>
#include <string>
#include <vector>

struct rd_kafka_s;

namespace tally {

struct GroupDescription {
    std::string state;    // "Stable", "PreparingRebalance", "Empty", "Dead", ...
    std::string assignor; // "cooperative-sticky", ...
    int coordinator = -1; // broker id
    std::vector<TopicView::Member> members; // by member id; `self` unset, partitions of `topic` only, sorted
};

// Describes `group` (DescribeConsumerGroups). The answer is awaited in slices of 100 ms, so a
// caller that stops (`cancelled` returns true) does not wait for it; an answer that does not
// come within timeoutMs (plus half a second) is an error.
Result<GroupDescription> describeGroup(rd_kafka_s *rk, const std::string &group, const std::string &topic, int timeoutMs,
                                       const std::function<bool()> &cancelled = {});

} // namespace tally
