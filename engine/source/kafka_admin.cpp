#include "source/kafka_admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace tally {

Result<GroupDescription> describeGroup(rd_kafka_t *rk, const std::string &group, const std::string &topic, int timeoutMs,
                                       const std::function<bool()> &cancelled)
{
    char err[256];
    const std::unique_ptr<rd_kafka_queue_t, void (*)(rd_kafka_queue_t *)> replies(rd_kafka_queue_new(rk), rd_kafka_queue_destroy);
    const std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t *)> options(
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS), rd_kafka_AdminOptions_destroy);
    rd_kafka_AdminOptions_set_request_timeout(options.get(), timeoutMs, err, sizeof err);
    const char *groups[] = {group.c_str()};
    rd_kafka_DescribeConsumerGroups(rk, groups, 1, options.get(), replies.get());
    // A late answer is dropped with the queue.
    rd_kafka_event_t *polled = nullptr;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs + 500);
    while (!polled && !(cancelled && cancelled()) && std::chrono::steady_clock::now() < deadline)
        polled = rd_kafka_queue_poll(replies.get(), 100);
    const std::unique_ptr<rd_kafka_event_t, void (*)(rd_kafka_event_t *)> event(polled, rd_kafka_event_destroy);
    if (!event)
        return Status::unavailable("group " + group + ": no answer in time");
    const rd_kafka_DescribeConsumerGroups_result_t *result = rd_kafka_event_DescribeConsumerGroups_result(event.get());
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t **described =
        result && rd_kafka_event_error(event.get()) == RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_DescribeConsumerGroups_result_groups(result, &count)
                                                                                 : nullptr;
    if (count != 1) {
        const char *why = rd_kafka_event_error_string(event.get());
        return Status::unavailable("group " + group + ": " + (why ? why : "no description"));
    }
    const rd_kafka_ConsumerGroupDescription_t *g = described[0];
    if (const rd_kafka_error_t *groupError = rd_kafka_ConsumerGroupDescription_error(g))
        return Status::unavailable("group " + group + ": " + rd_kafka_error_string(groupError));
    GroupDescription out;
    out.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g));
    const char *assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(g);
    out.assignor = assignor ? assignor : "";
    const rd_kafka_Node_t *coordinator = rd_kafka_ConsumerGroupDescription_coordinator(g);
    out.coordinator = coordinator ? rd_kafka_Node_id(coordinator) : -1;
    const auto text = [](const char *s) { return std::string(s ? s : ""); };
    const size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
    for (size_t i = 0; i < members; ++i) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(g, i);
        TopicView::Member member{text(rd_kafka_MemberDescription_consumer_id(m)),
                                 text(rd_kafka_MemberDescription_client_id(m)),
                                 text(rd_kafka_MemberDescription_host(m)),
                                 text(rd_kafka_MemberDescription_group_instance_id(m)),
                                 {},
                                 false};
        const rd_kafka_topic_partition_list_t *assigned = rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
        for (int k = 0; assigned && k < assigned->cnt; ++k)
            if (topic == assigned->elems[k].topic)
                member.partitions.push_back(assigned->elems[k].partition);
        std::sort(member.partitions.begin(), member.partitions.end());
        out.members.push_back(std::move(member));
    }
    std::sort(out.members.begin(), out.members.end(), [](const auto &a, const auto &b) { return a.memberId < b.memberId; });
    return out;
}

} // namespace tally
