#include "source/offset_reset.h"

#include "source/kafka_admin.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

namespace tally {

namespace {

struct ClientDeleter {
    void operator()(rd_kafka_t *rk) const
    {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
};
using Client = std::unique_ptr<rd_kafka_t, ClientDeleter>;

// One time budget for all of a plan's requests to the broker: each gets what is left of it.
class Deadline {
public:
    explicit Deadline(int timeoutMs) : m_end(std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs)) {}
    int remainingMs() const
    {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_end - std::chrono::steady_clock::now()).count();
        return static_cast<int>(std::max<int64_t>(left, 1));
    }

private:
    std::chrono::steady_clock::time_point m_end;
};

// A consumer of the group that never subscribes: it reads the group's offsets and asks the admin
// API, and takes no part in the group's assignments.
Result<Client> openClient(const KafkaSourceConfig &config)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    std::vector<std::pair<std::string, std::string>> settings = {
        {"bootstrap.servers", config.bootstrapServers},
        {"group.id", config.groupId},
        {"enable.auto.commit", "false"},
        {"client.id", "tally-reset-offsets"},
        // The log end is the high watermark, as Kafka's tool has it, not the last stable offset.
        {"isolation.level", "read_uncommitted"},
    };
    for (const auto &[key, value] : config.properties)
        settings.emplace_back(key, value);
    for (const auto &[key, value] : settings)
        if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return Status::invalidArgument("kafka setting " + key + ": " + err);
        }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return Status::invalidArgument(std::string("kafka client: ") + err);
    }
    return Client(rk);
}

Result<int> partitionCount(rd_kafka_t *rk, const std::string &topic, const Deadline &deadline)
{
    rd_kafka_topic_t *handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    if (!handle)
        return Status::invalidArgument("topic " + topic + ": " + rd_kafka_err2str(rd_kafka_last_error()));
    const rd_kafka_metadata_t *md = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle, &md, deadline.remainingMs());
    rd_kafka_topic_destroy(handle);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::unavailable("topic " + topic + ": the broker did not describe it: " + rd_kafka_err2str(err));
    const rd_kafka_resp_err_t topicErr = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    const int partitions = md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    if (topicErr != RD_KAFKA_RESP_ERR_NO_ERROR || partitions <= 0)
        return Status::notFound("topic " + topic + ": " + rd_kafka_err2str(topicErr == RD_KAFKA_RESP_ERR_NO_ERROR ? RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC : topicErr));
    return partitions;
}

// Every partition of the topic with its log start and end (ListOffsets), in partition order.
Result<std::vector<PartitionReset>> readLogRanges(rd_kafka_t *rk, const std::string &topic, const Deadline &deadline)
{
    Result<int> partitions = partitionCount(rk, topic, deadline);
    if (!partitions)
        return partitions.status();
    std::vector<PartitionReset> ranges;
    for (int p = 0; p < *partitions; ++p) {
        PartitionReset r;
        r.partition = p;
        if (const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &r.logStart, &r.logEnd, deadline.remainingMs());
            err != RD_KAFKA_RESP_ERR_NO_ERROR)
            return Status::unavailable("topic " + topic + " partition " + std::to_string(p) +
                                       ": the broker did not give its log start and end: " + rd_kafka_err2str(err));
        ranges.push_back(r);
    }
    return ranges;
}

// A restore point of a topic that gained partitions since holds fewer positions (the new
// partitions are read from the start); one with more is of another topic.
Status checkPositionCount(const std::vector<int64_t> &positions, const std::string &source, const std::string &topic, size_t partitions)
{
    if (positions.size() <= partitions)
        return Status::ok();
    return Status::invalidArgument(source + " holds positions of " + std::to_string(positions.size()) + " partitions; topic " + topic +
                                   " has " + std::to_string(partitions));
}

// A restore point's position of a partition: the next offset to read, or -1 where it has none
// (a partition it never read, or one the topic gained since).
int64_t positionOf(const std::vector<int64_t> &positions, int partition)
{
    return static_cast<size_t>(partition) < positions.size() ? positions[static_cast<size_t>(partition)] : -1;
}

std::string utcText(int64_t ms)
{
    const std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[64];
    const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(((ms % 1000) + 1000) % 1000));
    return text;
}

std::string membersText(const std::vector<TopicView::Member> &members)
{
    std::string text;
    for (const TopicView::Member &m : members) {
        text += text.empty() ? "" : ", ";
        text += m.memberId + " (" + m.clientId + " on " + m.host + ")";
    }
    return text;
}

} // namespace

std::string OffsetResetTarget::describe() const
{
    switch (kind) {
    case Kind::Earliest:
        return "the log start";
    case Kind::Latest:
        return "the log end";
    case Kind::Timestamp:
        return "the first record at or after " + utcText(timestampMs);
    case Kind::Positions:
        return "the positions of " + source;
    }
    return {};
}

std::string OffsetResetPlan::refusal() const
{
    if (members.empty())
        return {};
    return "the group " + group + " has " + std::to_string(members.size()) + (members.size() == 1 ? " member" : " members") +
           " (" + membersText(members) + "): stop every consumer of the group first; a running one commits its own positions over the new offsets";
}

std::string OffsetResetPlan::describe() const
{
    std::string out = "Offset reset of group " + group + " on topic " + topic + " to " + target.describe() + "\n";
    out += "Group state: " + groupState + (members.empty() ? ", no members" : ", " + std::to_string(members.size()) + " members") + "\n";
    char line[256];
    std::snprintf(line, sizeof line, "%-9s  %12s  %12s  %12s  %12s  %s\n", "PARTITION", "LOG-START", "LOG-END", "CURRENT", "NEW", "CHANGE");
    out += line;
    int64_t again = 0, skipped = 0;
    for (const PartitionReset &p : partitions) {
        std::string change;
        if (p.target < 0)
            change = "no position in " + target.source + ": unchanged";
        else if (p.current < 0)
            change = "no committed offset";
        else if (p.target < p.current)
            change = std::to_string(p.current - p.target) + " records read again";
        else if (p.target > p.current)
            change = std::to_string(p.target - p.current) + " records skipped";
        else
            change = "unchanged";
        if (p.current >= 0 && p.target >= 0) {
            again += std::max<int64_t>(0, p.current - p.target);
            skipped += std::max<int64_t>(0, p.target - p.current);
        }
        if (p.asked >= 0 && p.asked < p.logStart)
            change += "; asked for " + std::to_string(p.asked) + ", but retention deleted the " + std::to_string(p.logStart - p.asked) +
                      " records before the log start";
        else if (p.asked >= 0)
            change += "; asked for " + std::to_string(p.asked) + ", past the log end";
        std::snprintf(line, sizeof line, "%-9d  %12lld  %12lld  %12s  %12s  ", p.partition, static_cast<long long>(p.logStart),
                      static_cast<long long>(p.logEnd), p.current < 0 ? "-" : std::to_string(p.current).c_str(),
                      p.target < 0 ? "-" : std::to_string(p.target).c_str());
        out += line + change + "\n";
    }
    out += "In all: " + std::to_string(again) + " records read again, " + std::to_string(skipped) + " skipped\n";
    return out;
}

Result<OffsetResetPlan> planOffsetReset(const KafkaSourceConfig &config, const OffsetResetTarget &target, int timeoutMs)
{
    if (target.kind == OffsetResetTarget::Kind::Timestamp && target.timestampMs < 0)
        return Status::invalidArgument("offset reset: a time before 1970 (" + std::to_string(target.timestampMs) + " ms)");
    const Deadline deadline(timeoutMs);
    Result<Client> client = openClient(config);
    if (!client)
        return client.status();
    rd_kafka_t *rk = client->get();
    Result<std::vector<PartitionReset>> ranges = readLogRanges(rk, config.topic, deadline);
    if (!ranges)
        return ranges.status();
    OffsetResetPlan plan;
    plan.topic = config.topic;
    plan.group = config.groupId;
    plan.target = target;
    plan.partitions = std::move(ranges).value();
    const int partitions = static_cast<int>(plan.partitions.size());
    if (target.kind == OffsetResetTarget::Kind::Positions)
        if (Status s = checkPositionCount(target.positions, target.source, config.topic, plan.partitions.size()); !s.isOk())
            return s;
    PartitionList committed(rd_kafka_topic_partition_list_new(partitions));
    for (int p = 0; p < partitions; ++p)
        rd_kafka_topic_partition_list_add(committed.get(), config.topic.c_str(), p);
    if (const rd_kafka_resp_err_t err = rd_kafka_committed(rk, committed.get(), deadline.remainingMs()); err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::unavailable("group " + config.groupId + ": the broker did not give its committed offsets: " + rd_kafka_err2str(err));
    for (int i = 0; i < committed->cnt; ++i) {
        const rd_kafka_topic_partition_t &e = committed->elems[i];
        if (e.partition >= 0 && e.partition < partitions && e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0)
            plan.partitions[static_cast<size_t>(e.partition)].current = e.offset;
    }
    switch (target.kind) {
    case OffsetResetTarget::Kind::Earliest:
        for (PartitionReset &r : plan.partitions)
            r.target = r.logStart;
        break;
    case OffsetResetTarget::Kind::Latest:
        for (PartitionReset &r : plan.partitions)
            r.target = r.logEnd;
        break;
    case OffsetResetTarget::Kind::Timestamp: {
        PartitionList times(rd_kafka_topic_partition_list_new(partitions));
        for (int p = 0; p < partitions; ++p)
            rd_kafka_topic_partition_list_add(times.get(), config.topic.c_str(), p)->offset = target.timestampMs;
        if (const rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, times.get(), deadline.remainingMs()); err != RD_KAFKA_RESP_ERR_NO_ERROR)
            return Status::unavailable("the broker did not give the offsets for " + utcText(target.timestampMs) + ": " + rd_kafka_err2str(err));
        for (int i = 0; i < times->cnt; ++i) {
            const rd_kafka_topic_partition_t &e = times->elems[i];
            if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR)
                return Status::unavailable("partition " + std::to_string(e.partition) + ": the broker did not give the offset for " +
                                           utcText(target.timestampMs) + ": " + rd_kafka_err2str(e.err));
            PartitionReset &r = plan.partitions[static_cast<size_t>(e.partition)];
            // No record at or after the time: the log end (as Kafka's tool).
            r.target = e.offset >= 0 ? e.offset : r.logEnd;
        }
        break;
    }
    case OffsetResetTarget::Kind::Positions:
        for (PartitionReset &r : plan.partitions) {
            const int64_t asked = positionOf(target.positions, r.partition);
            if (asked < 0) {
                r.target = -1; // left as it is
                continue;
            }
            r.target = std::clamp(asked, r.logStart, r.logEnd);
            if (r.target != asked)
                r.asked = asked;
        }
        break;
    }
    Result<GroupDescription> group = describeGroup(rk, config.groupId, config.topic, deadline.remainingMs());
    if (!group)
        return group.status();
    plan.groupState = group->state;
    plan.members = std::move(group->members);
    return plan;
}

Result<std::vector<DeletedPositions>> positionsDeletedByRetention(const KafkaSourceConfig &config,
                                                                 const std::vector<int64_t> &positions, int timeoutMs)
{
    const Deadline deadline(timeoutMs);
    Result<Client> client = openClient(config);
    if (!client)
        return client.status();
    Result<std::vector<PartitionReset>> ranges = readLogRanges(client->get(), config.topic, deadline);
    if (!ranges)
        return ranges.status();
    if (Status s = checkPositionCount(positions, "the restore point", config.topic, ranges->size()); !s.isOk())
        return s;
    std::vector<DeletedPositions> deleted;
    for (const PartitionReset &r : *ranges)
        if (const int64_t position = positionOf(positions, r.partition); position >= 0 && position < r.logStart)
            deleted.push_back({r.partition, position, r.logStart});
    return deleted;
}

Status applyOffsetReset(const KafkaSourceConfig &config, const OffsetResetPlan &plan, int timeoutMs)
{
    const Deadline deadline(timeoutMs);
    Result<Client> client = openClient(config);
    if (!client)
        return client.status();
    rd_kafka_t *rk = client->get();
    Result<GroupDescription> group = describeGroup(rk, plan.group, plan.topic, deadline.remainingMs());
    if (!group)
        return group.status();
    OffsetResetPlan now = plan;
    now.members = group->members;
    if (std::string refusal = now.refusal(); !refusal.empty())
        return Status::aborted("offset reset refused: " + refusal);

    // Sent with too little time left, the answer could not say whether the offsets changed.
    constexpr int kAlterNeedsMs = 2000;
    if (deadline.remainingMs() < kAlterNeedsMs)
        return Status::unavailable("offset reset: the broker answered too slowly to send the new offsets in time; nothing was changed");
    PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(plan.partitions.size())));
    for (const PartitionReset &p : plan.partitions)
        if (p.target >= 0)
            rd_kafka_topic_partition_list_add(offsets.get(), plan.topic.c_str(), p.partition)->offset = p.target;
    if (offsets->cnt == 0)
        return Status::ok(); // nothing to change
    rd_kafka_AlterConsumerGroupOffsets_t *alter = rd_kafka_AlterConsumerGroupOffsets_new(plan.group.c_str(), offsets.get());
    const std::unique_ptr<rd_kafka_queue_t, void (*)(rd_kafka_queue_t *)> replies(rd_kafka_queue_new(rk), rd_kafka_queue_destroy);
    char err[256];
    const std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t *)> options(
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS), rd_kafka_AdminOptions_destroy);
    rd_kafka_AdminOptions_set_request_timeout(options.get(), deadline.remainingMs(), err, sizeof err);
    rd_kafka_AlterConsumerGroupOffsets(rk, &alter, 1, options.get(), replies.get());
    rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
    const std::unique_ptr<rd_kafka_event_t, void (*)(rd_kafka_event_t *)> event(
        rd_kafka_queue_poll(replies.get(), deadline.remainingMs() + 500), rd_kafka_event_destroy);
    if (!event)
        return Status::unavailable("offset reset: the broker did not answer in time; the group's offsets may or may not have changed (a new plan shows them)");
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::unavailable(std::string("offset reset: ") + rd_kafka_event_error_string(event.get()));
    const rd_kafka_AlterConsumerGroupOffsets_result_t *result = rd_kafka_event_AlterConsumerGroupOffsets_result(event.get());
    size_t count = 0;
    const rd_kafka_group_result_t **groups = result ? rd_kafka_AlterConsumerGroupOffsets_result_groups(result, &count) : nullptr;
    if (count != 1)
        return Status::unavailable("offset reset: the broker's answer names no group");
    if (const rd_kafka_error_t *e = rd_kafka_group_result_error(groups[0]))
        return Status::aborted(std::string("offset reset refused by the broker: ") + rd_kafka_error_string(e));
    std::string failed;
    if (const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(groups[0]))
        for (int i = 0; i < parts->cnt; ++i)
            if (parts->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
                failed += (failed.empty() ? "" : ", ") + std::to_string(parts->elems[i].partition) + " (" + rd_kafka_err2str(parts->elems[i].err) + ")";
    if (!failed.empty())
        return Status::aborted("offset reset refused by the broker for partitions " + failed);
    return Status::ok();
}

} // namespace tally
