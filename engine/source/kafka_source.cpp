#include "source/kafka_source.h"

#include "source/kafka_admin.h"

#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

namespace tally {

namespace {

int64_t wallMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct MessageDeleter {
    void operator()(rd_kafka_message_t *m) const { rd_kafka_message_destroy(m); }
};
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

} // namespace

struct KafkaSource::Impl {
    KafkaSourceConfig config;
    MetricsRegistry &metrics;
    rd_kafka_t *rk = nullptr;
    rd_kafka_queue_t *queue = nullptr;
    int partitions = 0;
    // Backpressure holds the consumer: its partitions are paused in librdkafka, the group still
    // served. librdkafka drops a partition's start of fetching if a pause or resume of the
    // partition is queued while the start is still on its way (both take a version number when
    // made, and the later-made op wins, not the later-queued), leaving the partition assigned
    // but never read. So a partition is paused or resumed only once its first record arrived
    // (its fetching has started) and is resumed before it is revoked; one assigned while held
    // is paused when its first record comes.
    bool held = false;
    std::vector<bool> fetching;    // a record or the partition's end arrived since it was assigned
    std::vector<bool> pausedHere;  // paused in librdkafka by this consumer
    size_t nextPartition = 0;
    int64_t lastLagUpdateMs = 0;
    int64_t lastErrorLogMs = 0;

    // Per partition: fetched but not yet delivered messages, delivered position, and the
    // timestamp of the last delivered record (for lag in seconds).
    std::vector<std::deque<MessagePtr>> buffered;
    std::vector<int64_t> position;   // -1: nothing delivered yet
    std::vector<int64_t> lastTimestampMs;
    std::vector<bool> assigned;
    uint64_t rebalances = 0;
    // stop_at = "end": per partition the log-end offset at open, and whether the read reached it
    // (a record at or past it, or the end-of-partition event there). Empty when unbounded.
    std::vector<int64_t> stopAt;
    std::vector<bool> reachedStop;
    bool subscribed = false;   // the group is joined on the first fetch, after any seek()
    bool everAssigned = false; // the group assigned partitions to this consumer at least once

    Counter *assignedTotal = nullptr;
    Counter *revokedTotal = nullptr;
    Gauge *brokersUp = nullptr;
    Gauge *partitionsWithoutLeader = nullptr; // from the topic's metadata, every 5 s
    Gauge *partitionsUnderReplicated = nullptr;
    std::vector<Gauge *> lagRecords, lagSeconds, logEndOffset, fetchQueue;
    Gauge *groupLagRecords = nullptr;
    Gauge *ingestRate = nullptr;     // records/s appended to the topic (assigned partitions)
    Gauge *processingRate = nullptr; // records/s handed to the engine
    Gauge *catchUpSeconds = nullptr; // +inf: not catching up
    int64_t lastRateSampleMs = 0;
    std::vector<int64_t> rateEnd, ratePosition; // per partition at the last rate sample; -1: unknown
    std::vector<int64_t> lastLogEnd;            // per partition, as of the last updateLag()
    std::vector<bool> updated;                  // ... which found it
    double smoothedIngest = -1, smoothedProcessing = -1; // records/s, moving averages; -1: none yet

    // The log end of every partition, asked of the broker once a second by a thread of its own
    // (a ListOffsets request), not taken from fetch responses: a paused or backpressured consumer
    // fetches nothing, and its cached high watermarks stand still while the topic grows.
    std::unique_ptr<std::atomic<int64_t>[]> probedLogEnd; // -1 until the broker answered
    std::unique_ptr<std::atomic<int64_t>[]> probedLogStart;
    mutable std::mutex viewMutex; // guards view and ownMemberId
    TopicView view;               // written by the probe thread, read by topicView()
    std::string ownMemberId;      // this consumer's member id, as of its newest assignment
    // The offsets this consumer committed and when (wall clock ms), -1 before the first commit;
    // written by whichever thread commits, read by lag().
    std::unique_ptr<std::atomic<int64_t>[]> committedOffset, committedAtMs;
    std::unique_ptr<std::atomic<int64_t>[]> knownLogEnd; // as tally_kafka_log_end_offset; -1: not known yet
    std::thread logEndProbe;
    std::mutex probeMutex;
    std::condition_variable probeWake;
    bool probeStopping = false;
    std::mutex errorMutex; // guards errorCounters: the error callback runs on librdkafka's threads
    std::map<std::string, Counter *> errorCounters;

    ~Impl()
    {
        stopLogEndProbe();
        if (rk && queue)
            awaitFirstAssignment();
        // Messages must go before the client; the per-partition queues stay, because closing the
        // consumer runs the revoke callback, which indexes them.
        for (auto &queue : buffered)
            queue.clear();
        if (queue)
            rd_kafka_queue_destroy(queue);
        if (rk) {
            rd_kafka_consumer_close(rk);
            rd_kafka_destroy(rk);
        }
    }

    // librdkafka before 2.3 aborts in rd_kafka_destroy when a cooperative-sticky consumer leaves
    // after joining its group but before its first assignment (an assertion on the assignor's
    // state, confluentinc/librdkafka#4312; Debian 12 has 2.0). A consumer that subscribed and was
    // never assigned anything therefore serves the group protocol a little longer, until the
    // assignment arrives; bounded, and not at all while no broker answers (then it never joined).
    void awaitFirstAssignment()
    {
        constexpr int kLongestWaitMs = 5000;
        if (!subscribed || everAssigned || brokersUp->value() == 0)
            return;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kLongestWaitMs);
        while (!everAssigned && std::chrono::steady_clock::now() < deadline)
            fetch(100, 1024);
    }

    // Joins the consumer group: on the first fetch, so that a job refused before it starts (a
    // savepoint that does not fit) never joins, and a restored job's positions are in place
    // before its first assignment.
    void subscribe()
    {
        PartitionList topics(rd_kafka_topic_partition_list_new(1));
        rd_kafka_topic_partition_list_add(topics.get(), config.topic.c_str(), RD_KAFKA_PARTITION_UA);
        if (const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            countError(e, "subscribe failed (retried on the next poll)");
            return;
        }
        subscribed = true;
    }

    void countError(rd_kafka_resp_err_t err, const char *reason)
    {
        {
            std::lock_guard lock(errorMutex);
            const std::string name = rd_kafka_err2name(err);
            auto it = errorCounters.find(name);
            if (it == errorCounters.end())
                it = errorCounters.emplace(name, &metrics.counter("tally_kafka_errors_total", {{"error", name}},
                                                                  "Kafka client errors by kind")).first;
            it->second->add();
        }
        if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT)
            brokersUp->set(0);
        const int64_t now = wallMs();
        if (now - lastErrorLogMs >= 5000) { // an outage logs once every few seconds, not per retry
            lastErrorLogMs = now;
            std::fprintf(stderr, "tally: kafka: %s: %s (consumption resumes by itself when the broker is back)\n",
                         rd_kafka_err2name(err), reason);
        }
    }

    static void onError(rd_kafka_t *, int err, const char *reason, void *opaque)
    {
        static_cast<Impl *>(opaque)->countError(static_cast<rd_kafka_resp_err_t>(err), reason);
    }

    // librdkafka's statistics (once a second): broker round-trip and throttle times, and the
    // messages fetched but not yet consumed per partition.
    static int onStatistics(rd_kafka_t *, char *json, size_t len, void *opaque)
    {
        static_cast<Impl *>(opaque)->statistics(std::string_view(json, len));
        return 0; // librdkafka frees the buffer
    }

    void statistics(std::string_view json)
    {
        simdjson::dom::parser parser;
        simdjson::dom::element doc;
        if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS)
            return;
        simdjson::dom::object brokers;
        if (doc["brokers"].get(brokers) == simdjson::SUCCESS) {
            for (auto [name, broker] : brokers) {
                int64_t nodeId = -1;
                if (broker["nodeid"].get(nodeId) != simdjson::SUCCESS || nodeId < 0)
                    continue; // bootstrap and coordinator pseudo-brokers
                const Labels l{{"broker", std::to_string(nodeId)}};
                int64_t rtt = 0, throttle = 0;
                if (broker["rtt"]["avg"].get(rtt) == simdjson::SUCCESS)
                    metrics.gauge("tally_kafka_broker_rtt_avg_us", l, "Broker round-trip time (librdkafka statistics)").set(static_cast<double>(rtt));
                if (broker["throttle"]["avg"].get(throttle) == simdjson::SUCCESS)
                    metrics.gauge("tally_kafka_broker_throttle_avg_ms", l, "Broker throttle time (librdkafka statistics)").set(static_cast<double>(throttle));
            }
        }
        simdjson::dom::object parts;
        if (doc["topics"][config.topic]["partitions"].get(parts) != simdjson::SUCCESS)
            return;
        for (int p = 0; p < partitions; ++p) {
            int64_t fetchq = 0;
            if (parts[std::to_string(p)]["fetchq_cnt"].get(fetchq) == simdjson::SUCCESS)
                fetchQueue[static_cast<size_t>(p)]->set(static_cast<double>(fetchq));
        }
    }

    static void onRebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
    {
        static_cast<Impl *>(opaque)->rebalance(rk, err, parts);
    }

    static void assign(rd_kafka_t *client, rd_kafka_topic_partition_list_t *parts, bool cooperative)
    {
        if (!cooperative) {
            rd_kafka_assign(client, parts);
            return;
        }
        if (rd_kafka_error_t *e = rd_kafka_incremental_assign(client, parts))
            rd_kafka_error_destroy(e);
    }

    static void unassign(rd_kafka_t *client, rd_kafka_topic_partition_list_t *parts, bool cooperative)
    {
        if (!cooperative) {
            rd_kafka_assign(client, nullptr);
            return;
        }
        if (rd_kafka_error_t *e = rd_kafka_incremental_unassign(client, parts))
            rd_kafka_error_destroy(e);
    }

    void rebalance(rd_kafka_t *client, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts)
    {
        ++rebalances;
        const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(client)) == "COOPERATIVE";
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            assignedTotal->add();
            everAssigned = true;
            if (char *id = rd_kafka_memberid(client)) { // the group knows this consumer by it now
                std::lock_guard lock(viewMutex);
                ownMemberId = id;
                rd_kafka_mem_free(client, id);
            }
            for (int i = 0; i < parts->cnt; ++i) {
                const int p = parts->elems[i].partition;
                if (p < 0 || p >= partitions)
                    continue;
                assigned[static_cast<size_t>(p)] = true;
                fetching[static_cast<size_t>(p)] = false;
                // Resume where this consumer left off if it read the partition before, or where
                // seek() put it (a restored checkpoint or savepoint); otherwise the group's
                // committed offset, else auto.offset.reset.
                if (position[static_cast<size_t>(p)] >= 0)
                    parts->elems[i].offset = position[static_cast<size_t>(p)];
            }
            assign(client, parts, cooperative);
        } else {
            revokedTotal->add();
            // Revoked: commit what was handed to the engine, so the partitions' next owner starts
            // after it. Lost (the session expired, e.g. during a broker outage): nothing can be
            // committed; keep the positions, so that when the group gives the partitions back
            // this consumer resumes where it was. Either way drop what was fetched but not
            // delivered (it is re-read by whoever reads the partition next).
            const bool lost = rd_kafka_assignment_lost(client);
            PartitionList commit(rd_kafka_topic_partition_list_new(parts->cnt));
            PartitionList resume(rd_kafka_topic_partition_list_new(parts->cnt));
            for (int i = 0; i < parts->cnt; ++i) {
                const int p = parts->elems[i].partition;
                if (p < 0 || p >= partitions)
                    continue;
                assigned[static_cast<size_t>(p)] = false;
                fetching[static_cast<size_t>(p)] = false;
                buffered[static_cast<size_t>(p)].clear();
                // librdkafka keeps a partition's pause through a revocation: resumed now, while
                // its fetching still runs, it starts unpaused when it is assigned again.
                if (pausedHere[static_cast<size_t>(p)]) {
                    rd_kafka_topic_partition_list_add(resume.get(), config.topic.c_str(), p);
                    pausedHere[static_cast<size_t>(p)] = false;
                }
                // A bounded read has reached a partition's end only once it delivered up to it:
                // the fetched tail just dropped is read again when the partition comes back.
                if (!stopAt.empty())
                    reachedStop[static_cast<size_t>(p)] = position[static_cast<size_t>(p)] >= stopAt[static_cast<size_t>(p)];
                // Another member's now: no figures of this consumer for it (lag().)
                committedOffset[static_cast<size_t>(p)].store(-1);
                committedAtMs[static_cast<size_t>(p)].store(-1);
                knownLogEnd[static_cast<size_t>(p)].store(-1);
                if (lost)
                    continue;
                if (position[static_cast<size_t>(p)] >= 0)
                    rd_kafka_topic_partition_list_add(commit.get(), config.topic.c_str(), p)->offset =
                        position[static_cast<size_t>(p)];
                position[static_cast<size_t>(p)] = -1;
            }
            if (resume->cnt > 0)
                rd_kafka_resume_partitions(client, resume.get());
            if (commit->cnt > 0)
                rd_kafka_commit(client, commit.get(), 0);
            unassign(client, parts, cooperative);
        }
    }

    // Moves what librdkafka has fetched into the per-partition buffers.
    void fetch(int timeoutMs, size_t max)
    {
        if (!subscribed)
            subscribe();
        std::vector<rd_kafka_message_t *> messages(max);
        const ssize_t n = rd_kafka_consume_batch_queue(queue, timeoutMs, messages.data(), messages.size());
        for (ssize_t k = 0; k < n; ++k) {
            MessagePtr m(messages[static_cast<size_t>(k)]);
            const int p = m->partition;
            const bool ours = p >= 0 && p < partitions && assigned[static_cast<size_t>(p)];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    countError(m->err, rd_kafka_message_errstr(m.get()));
                    continue;
                }
                if (ours) {
                    markFetching(p);
                    if (!stopAt.empty() && m->offset >= stopAt[static_cast<size_t>(p)])
                        reachedStop[static_cast<size_t>(p)] = true;
                }
                continue;
            }
            if (!ours)
                continue;
            markFetching(p);
            brokersUp->set(1);
            // Never a record before one this consumer has: should a fetch start over from an
            // older offset (librdkafka before 2.4 may, on a resume that lost a race with its own
            // rebalance pause), what it re-reads is dropped here, not counted twice.
            const auto i = static_cast<size_t>(p);
            const int64_t next = buffered[i].empty() ? position[i] : buffered[i].back()->offset + 1;
            if (next >= 0 && m->offset < next)
                continue;
            if (!stopAt.empty()) { // a bounded read delivers nothing appended after it started
                if (m->offset + 1 >= stopAt[i])
                    reachedStop[i] = true;
                if (m->offset >= stopAt[i])
                    continue;
            }
            buffered[static_cast<size_t>(p)].push_back(std::move(m));
        }
    }

    // Partition `p` delivered a record or its end: its fetching has started.
    void markFetching(int p)
    {
        if (fetching[static_cast<size_t>(p)])
            return;
        fetching[static_cast<size_t>(p)] = true;
        if (held) // assigned while held: paused now that it can be
            pausePartitions(true);
    }

    void startLogEndProbe()
    {
        probedLogEnd = std::make_unique<std::atomic<int64_t>[]>(static_cast<size_t>(partitions));
        probedLogStart = std::make_unique<std::atomic<int64_t>[]>(static_cast<size_t>(partitions));
        for (int p = 0; p < partitions; ++p) {
            probedLogEnd[static_cast<size_t>(p)].store(-1);
            probedLogStart[static_cast<size_t>(p)].store(-1);
        }
        logEndProbe = std::thread([this] {
            constexpr int kQueryTimeoutMs = 1000; // a dead broker delays a stop by at most this
            std::unique_lock lock(probeMutex);
            for (int round = 0; !probeStopping; ++round) {
                lock.unlock();
                for (int p = 0; p < partitions && !stopRequested(); ++p) {
                    int64_t low = 0, high = 0;
                    if (rd_kafka_query_watermark_offsets(rk, config.topic.c_str(), p, &low, &high, kQueryTimeoutMs) ==
                        RD_KAFKA_RESP_ERR_NO_ERROR) {
                        probedLogEnd[static_cast<size_t>(p)].store(high);
                        probedLogStart[static_cast<size_t>(p)].store(low);
                        // The broker answers: up again, also for a source that fetches nothing
                        // (paused, backpressured, or an idle topic), where no record says so.
                        brokersUp->set(1);
                    }
                }
                if (round % 5 == 0 && !stopRequested())
                    describeTopic(kQueryTimeoutMs);
                lock.lock();
                probeWake.wait_for(lock, std::chrono::seconds(1), [this] { return probeStopping; });
            }
        });
    }

    // The topic's metadata, the group's committed offsets and the group's description, into
    // `view`, and the replication gauges: partitions without a leader (nobody serves them) and
    // with fewer in-sync replicas than replicas (one more broker failure loses acknowledged
    // records). Each part that fails keeps its figures from before and names itself in the
    // view's error.
    void describeTopic(int timeoutMs)
    {
        TopicView next;
        {
            std::lock_guard lock(viewMutex);
            next = view;
        }
        next.topic = config.topic;
        next.group = config.groupId;
        std::vector<std::string> errors;
        if (describeMetadata(next, timeoutMs, errors))
            next.refreshedAtMs = wallMs();
        if (next.partitions.size() != static_cast<size_t>(partitions)) { // before the first answer
            next.partitions.resize(static_cast<size_t>(partitions));
            for (int p = 0; p < partitions; ++p)
                next.partitions[static_cast<size_t>(p)].partition = p;
        }
        for (TopicView::Partition &p : next.partitions) {
            p.logStartOffset = probedLogStart[static_cast<size_t>(p.partition)].load();
            p.logEndOffset = probedLogEnd[static_cast<size_t>(p.partition)].load();
        }
        if (!stopRequested())
            describeGroupOffsets(next, timeoutMs, errors);
        if (!stopRequested())
            describeGroupMembers(next, timeoutMs, errors);
        next.error.clear();
        for (const std::string &e : errors)
            next.error += (next.error.empty() ? "" : "; ") + e;
        std::lock_guard lock(viewMutex);
        view = std::move(next);
    }

    // True if the broker described the topic.
    bool describeMetadata(TopicView &out, int timeoutMs, std::vector<std::string> &errors)
    {
        rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, config.topic.c_str(), nullptr);
        const rd_kafka_metadata_t *md = nullptr;
        const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, topic, &md, timeoutMs);
        rd_kafka_topic_destroy(topic);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            errors.push_back(std::string("metadata: ") + rd_kafka_err2str(err));
            return false;
        }
        out.brokers.clear();
        for (int i = 0; i < md->broker_cnt; ++i)
            out.brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
        std::sort(out.brokers.begin(), out.brokers.end(), [](const auto &a, const auto &b) { return a.id < b.id; });
        if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            int leaderless = 0, underReplicated = 0;
            std::vector<TopicView::Partition> parts(static_cast<size_t>(partitions));
            for (int p = 0; p < partitions; ++p) {
                parts[static_cast<size_t>(p)] = p < static_cast<int>(out.partitions.size()) ? out.partitions[static_cast<size_t>(p)] : TopicView::Partition{};
                parts[static_cast<size_t>(p)].partition = p;
            }
            for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
                const rd_kafka_metadata_partition_t &m = md->topics[0].partitions[i];
                const bool noLeader = m.leader < 0 || m.err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
                leaderless += noLeader;
                underReplicated += m.isr_cnt < m.replica_cnt;
                if (m.id < 0 || m.id >= partitions)
                    continue; // added since the job started: it reads the partitions it started with
                TopicView::Partition &p = parts[static_cast<size_t>(m.id)];
                p.leader = noLeader ? -1 : m.leader;
                p.replicas.assign(m.replicas, m.replicas + m.replica_cnt);
                p.inSync.assign(m.isrs, m.isrs + m.isr_cnt);
            }
            partitionsWithoutLeader->set(leaderless);
            partitionsUnderReplicated->set(underReplicated);
            out.partitions = std::move(parts);
            out.topicPartitions = md->topics[0].partition_cnt;
        } else {
            errors.push_back("metadata: " + config.topic + ": " +
                             rd_kafka_err2str(md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        }
        const bool described = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_metadata_destroy(md);
        return described;
    }

    // The group's committed offsets for every partition, whoever committed them.
    void describeGroupOffsets(TopicView &out, int timeoutMs, std::vector<std::string> &errors)
    {
        PartitionList list(rd_kafka_topic_partition_list_new(partitions));
        for (int p = 0; p < partitions; ++p)
            rd_kafka_topic_partition_list_add(list.get(), config.topic.c_str(), p);
        if (const rd_kafka_resp_err_t err = rd_kafka_committed(rk, list.get(), timeoutMs); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            errors.push_back(std::string("committed offsets: ") + rd_kafka_err2str(err));
            return;
        }
        for (int i = 0; i < list->cnt; ++i) {
            const rd_kafka_topic_partition_t &e = list->elems[i];
            if (e.partition >= 0 && e.partition < static_cast<int>(out.partitions.size()) && e.err == RD_KAFKA_RESP_ERR_NO_ERROR)
                out.partitions[static_cast<size_t>(e.partition)].groupOffset = e.offset >= 0 ? e.offset : -1;
        }
    }

    // The group's state and members (DescribeConsumerGroups), and so who owns each partition.
    void describeGroupMembers(TopicView &out, int timeoutMs, std::vector<std::string> &errors)
    {
        Result<GroupDescription> group = describeGroup(rk, config.groupId, config.topic, timeoutMs, [this] { return stopRequested(); });
        if (!group) {
            errors.push_back(group.status().message());
            return;
        }
        std::string self;
        {
            std::lock_guard lock(viewMutex);
            self = ownMemberId;
        }
        out.groupState = group->state;
        out.assignor = group->assignor;
        out.coordinator = group->coordinator;
        out.members = std::move(group->members);
        for (TopicView::Partition &p : out.partitions)
            p.owner.clear();
        for (TopicView::Member &member : out.members) {
            member.self = !self.empty() && member.memberId == self;
            for (int partition : member.partitions)
                if (partition >= 0 && partition < static_cast<int>(out.partitions.size()))
                    out.partitions[static_cast<size_t>(partition)].owner = member.memberId;
        }
    }

    bool stopRequested()
    {
        std::lock_guard lock(probeMutex);
        return probeStopping;
    }

    void stopLogEndProbe()
    {
        if (!logEndProbe.joinable())
            return;
        {
            std::lock_guard lock(probeMutex);
            probeStopping = true;
        }
        probeWake.notify_all();
        logEndProbe.join();
    }

    void updateLag()
    {
        const int64_t now = wallMs();
        if (now - lastLagUpdateMs < 1000)
            return;
        lastLagUpdateMs = now;
        double sum = 0;
        for (int p = 0; p < partitions; ++p) {
            const auto i = static_cast<size_t>(p);
            updated[i] = false;
            if (!assigned[i])
                continue;
            // The newer of the broker's answer and the high watermark the last fetch brought.
            // (Before a partition's first fetch the cache answers with invalid offsets, -1001.)
            int64_t low = 0, high = 0;
            const bool cached =
                rd_kafka_get_watermark_offsets(rk, config.topic.c_str(), p, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                low >= 0 && high >= 0;
            const int64_t probed = probedLogEnd ? probedLogEnd[i].load() : -1;
            if (!cached && (probed < 0 || position[i] < 0))
                continue;
            high = std::max(cached ? high : -1, probed);
            lastLogEnd[i] = high;
            updated[i] = true;
            const int64_t next = position[i] >= 0 ? position[i] : low;
            const int64_t lag = std::max<int64_t>(0, high - next);
            lagRecords[i]->set(static_cast<double>(lag));
            lagSeconds[i]->set(lag > 0 && lastTimestampMs[i] > 0 ? static_cast<double>(now - lastTimestampMs[i]) / 1000.0 : 0.0);
            logEndOffset[i]->set(static_cast<double>(high));
            knownLogEnd[i].store(high);
            sum += static_cast<double>(lag);
        }
        groupLagRecords->set(sum);

        // Ingest rate (log end offsets growing) against processing rate (positions growing): if
        // processing is faster, the lag is gone in lag / (processing - ingest) seconds. Only
        // partitions known in both samples count (a first fetch or an assignment is not a rate).
        double endGrowth = 0, positionGrowth = 0;
        for (int p = 0; p < partitions; ++p) {
            const auto i = static_cast<size_t>(p);
            const int64_t end = assigned[i] && updated[i] ? lastLogEnd[i] : -1;
            const int64_t pos = assigned[i] ? position[i] : -1;
            if (end >= 0 && rateEnd[i] >= 0 && pos >= 0 && ratePosition[i] >= 0) {
                endGrowth += static_cast<double>(std::max<int64_t>(0, end - rateEnd[i]));
                positionGrowth += static_cast<double>(std::max<int64_t>(0, pos - ratePosition[i]));
            }
            rateEnd[i] = end;
            ratePosition[i] = pos;
        }
        if (lastRateSampleMs > 0) {
            const double seconds = static_cast<double>(now - lastRateSampleMs) / 1000.0;
            const double ingest = endGrowth / seconds;
            const double processing = positionGrowth / seconds;
            ingestRate->set(ingest);
            processingRate->set(processing);
            // The estimate divides by the net drain rate, so it uses rates smoothed over several
            // samples (one second each, the newest weighing 30%): one uneven fetch must not swing
            // it from a minute to half an hour.
            constexpr double kWeight = 0.3;
            smoothedIngest = smoothedIngest < 0 ? ingest : kWeight * ingest + (1 - kWeight) * smoothedIngest;
            smoothedProcessing =
                smoothedProcessing < 0 ? processing : kWeight * processing + (1 - kWeight) * smoothedProcessing;
            // Less than a second of input behind is keeping up (a consumer always trails by the
            // records in flight); otherwise the lag over the net drain rate, or +inf while the
            // lag is not shrinking.
            const bool keepingUp = sum <= std::max(1.0, smoothedIngest);
            const double drain = smoothedProcessing - smoothedIngest;
            catchUpSeconds->set(keepingUp ? 0 : drain > 0 ? sum / drain : std::numeric_limits<double>::infinity());
        }
        lastRateSampleMs = now;
    }

    void setHeld(bool hold)
    {
        if (hold == held)
            return;
        held = hold;
        pausePartitions(hold);
    }

    // Pauses (or resumes) every partition whose fetching has started and that is not paused (or
    // is paused) by this consumer already; see `held`.
    void pausePartitions(bool pause)
    {
        PartitionList list(rd_kafka_topic_partition_list_new(partitions));
        for (int p = 0; p < partitions; ++p) {
            const auto i = static_cast<size_t>(p);
            if (assigned[i] && fetching[i] && pausedHere[i] != pause) {
                rd_kafka_topic_partition_list_add(list.get(), config.topic.c_str(), p);
                pausedHere[i] = pause;
            }
        }
        if (list->cnt == 0)
            return;
        if (pause)
            rd_kafka_pause_partitions(rk, list.get());
        else
            rd_kafka_resume_partitions(rk, list.get());
    }
};

Result<std::unique_ptr<KafkaSource>> KafkaSource::open(const KafkaSourceConfig &config, MetricsRegistry &metrics,
                                                       int connectTimeoutMs)
{
    if (config.bootstrapServers.empty())
        return Status::invalidArgument("kafka: bootstrap servers are required");
    std::unique_ptr<Impl> d(new Impl{config, metrics});
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const std::map<std::string, std::string> settings = {
        {"bootstrap.servers", config.bootstrapServers},
        {"group.id", config.groupId},
        {"enable.auto.commit", "false"},         // Tally decides what is processed
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", config.autoOffsetReset},
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"session.timeout.ms", std::to_string(config.sessionTimeoutMs)},
        {"max.poll.interval.ms", std::to_string(config.maxPollIntervalMs)},
        {"client.id", "tally"},
        {"statistics.interval.ms", "1000"},
    };
    auto set = [&](const std::string &key, const std::string &value) -> Status {
        if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
            return Status::invalidArgument("kafka: " + key + ": " + err);
        return Status::ok();
    };
    for (const auto &[k, v] : settings)
        if (Status s = set(k, v); !s.isOk()) {
            rd_kafka_conf_destroy(conf);
            return s;
        }
    for (const auto &[k, v] : config.properties)
        if (Status s = set(k, v); !s.isOk()) {
            rd_kafka_conf_destroy(conf);
            return s;
        }
    // After the properties, which must not turn it off: a bounded read learns from the
    // end-of-partition event that a partition it starts at the end of has nothing to read.
    if (config.stopAt == "end")
        if (Status s = set("enable.partition.eof", "true"); !s.isOk()) {
            rd_kafka_conf_destroy(conf);
            return s;
        }
    rd_kafka_conf_set_opaque(conf, d.get());
    rd_kafka_conf_set_error_cb(conf, &Impl::onError);
    rd_kafka_conf_set_rebalance_cb(conf, &Impl::onRebalance);
    rd_kafka_conf_set_stats_cb(conf, &Impl::onStatistics);

    d->assignedTotal = &metrics.counter("tally_kafka_rebalances_total", {{"kind", "assign"}}, "Rebalance callbacks");
    d->revokedTotal = &metrics.counter("tally_kafka_rebalances_total", {{"kind", "revoke"}}, "Rebalance callbacks");
    d->brokersUp = &metrics.gauge("tally_kafka_broker_up", {}, "1 while the broker serves fetches");
    d->partitionsWithoutLeader = &metrics.gauge("tally_kafka_partitions_without_leader", {},
                                                "Partitions of the topic that have no leader (from its metadata)");
    d->partitionsUnderReplicated = &metrics.gauge("tally_kafka_partitions_under_replicated", {},
                                                  "Partitions of the topic with fewer in-sync replicas than replicas");
    d->groupLagRecords = &metrics.gauge("tally_kafka_consumer_group_lag_records", {}, "Consumer lag over all assigned partitions, in records");
    d->ingestRate = &metrics.gauge("tally_kafka_ingest_rate_records_per_second", {}, "Records appended to the assigned partitions per second");
    d->processingRate = &metrics.gauge("tally_kafka_processing_rate_records_per_second", {}, "Records consumed per second");
    d->catchUpSeconds = &metrics.gauge("tally_kafka_time_to_catch_up_seconds", {}, "Estimated time until the lag is gone at the smoothed net drain rate: 0 while less than a second of input behind, +Inf while the lag is not shrinking");

    d->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err); // takes conf on success
    if (!d->rk) {
        rd_kafka_conf_destroy(conf);
        return Status::unavailable(std::string("kafka: cannot create consumer: ") + err);
    }
    rd_kafka_poll_set_consumer(d->rk);
    d->queue = rd_kafka_queue_get_consumer(d->rk);

    rd_kafka_topic_t *topic = rd_kafka_topic_new(d->rk, config.topic.c_str(), nullptr);
    const rd_kafka_metadata_t *md = nullptr;
    const rd_kafka_resp_err_t mdErr = rd_kafka_metadata(d->rk, 0, topic, &md, connectTimeoutMs);
    rd_kafka_topic_destroy(topic);
    if (mdErr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::unavailable("kafka: cannot read metadata of '" + config.topic + "' from " +
                                   config.bootstrapServers + ": " + rd_kafka_err2str(mdErr));
    const bool known = md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR;
    d->partitions = known ? md->topics[0].partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    if (d->partitions <= 0)
        return Status::notFound("kafka: topic '" + config.topic + "' does not exist on " + config.bootstrapServers);

    const auto n = static_cast<size_t>(d->partitions);
    d->view.topic = config.topic;
    d->view.group = config.groupId;
    for (int p = 0; p < d->partitions; ++p)
        d->view.partitions.push_back({.partition = p});
    d->buffered.resize(n);
    d->position.assign(n, -1);
    d->lastTimestampMs.assign(n, 0);
    d->committedOffset = std::make_unique<std::atomic<int64_t>[]>(n);
    d->committedAtMs = std::make_unique<std::atomic<int64_t>[]>(n);
    d->knownLogEnd = std::make_unique<std::atomic<int64_t>[]>(n);
    for (size_t i = 0; i < n; ++i) {
        d->committedOffset[i].store(-1);
        d->committedAtMs[i].store(-1);
        d->knownLogEnd[i].store(-1);
    }
    d->assigned.assign(n, false);
    d->fetching.assign(n, false);
    d->pausedHere.assign(n, false);
    d->rateEnd.assign(n, -1);
    d->ratePosition.assign(n, -1);
    d->lastLogEnd.assign(n, -1);
    d->updated.assign(n, false);
    for (int p = 0; p < d->partitions; ++p) {
        const Labels l{{"partition", std::to_string(p)}};
        d->lagRecords.push_back(&metrics.gauge("tally_kafka_consumer_lag_records", l,
                                               "Log end offset (asked of the broker) minus the consumer's position"));
        d->lagSeconds.push_back(&metrics.gauge("tally_kafka_consumer_lag_seconds", l,
                                               "Age of the last consumed record while lag > 0"));
        d->logEndOffset.push_back(&metrics.gauge("tally_kafka_log_end_offset", l, "Log end offset (high watermark)"));
        d->fetchQueue.push_back(&metrics.gauge("tally_kafka_fetch_queue_messages", l, "Fetched, not yet consumed"));
    }

    if (config.stopAt == "end") {
        d->stopAt.resize(n);
        d->reachedStop.resize(n);
        for (int p = 0; p < d->partitions; ++p) {
            int64_t low = 0, high = 0;
            const rd_kafka_resp_err_t e =
                rd_kafka_query_watermark_offsets(d->rk, config.topic.c_str(), p, &low, &high, connectTimeoutMs);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                return Status::unavailable("kafka: stop_at = \"end\": cannot read the log end of " + config.topic + "/" +
                                           std::to_string(p) + ": " + rd_kafka_err2str(e));
            d->stopAt[static_cast<size_t>(p)] = high;
            d->reachedStop[static_cast<size_t>(p)] = high <= low; // nothing to read
        }
    }
    d->brokersUp->set(1);
    d->startLogEndProbe();
    return std::unique_ptr<KafkaSource>(new KafkaSource(std::move(d)));
}

KafkaSource::KafkaSource(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
KafkaSource::~KafkaSource() = default;

int KafkaSource::partitionCount() const { return d->partitions; }

Source::PollStatus KafkaSource::poll(SourceBatch &batch, size_t maxRecords)
{
    batch.clear();
    d->setHeld(false);
    d->updateLag();
    bool any = std::any_of(d->buffered.begin(), d->buffered.end(), [](const auto &b) { return !b.empty(); });
    if (!any) {
        if (!d->stopAt.empty() && std::all_of(d->reachedStop.begin(), d->reachedStop.end(), [](bool r) { return r; }))
            return PollStatus::End;
        // What librdkafka holds already; if nothing, wait up to 100 ms for the next record and
        // call this poll idle (a full-batch wait would hold records back at low rates, and the
        // wait would count as the source's busy time).
        d->fetch(0, std::max<size_t>(maxRecords, 1024));
        any = std::any_of(d->buffered.begin(), d->buffered.end(), [](const auto &b) { return !b.empty(); });
        if (!any) {
            // What the wait brought, and whatever came with it, is delivered by the next poll.
            d->fetch(100, 1);
            d->fetch(0, std::max<size_t>(maxRecords, 1024));
            return PollStatus::Idle;
        }
    }
    // Round-robin over partitions with buffered records: one partition per batch.
    for (size_t step = 0; step < d->buffered.size(); ++step) {
        const size_t p = (d->nextPartition + step) % d->buffered.size();
        auto &queue = d->buffered[p];
        if (queue.empty())
            continue;
        d->nextPartition = (p + 1) % d->buffered.size();
        batch.partition = static_cast<int>(p);
        batch.firstOffset = queue.front()->offset;
        while (!queue.empty() && batch.records.size() < maxRecords) {
            const rd_kafka_message_t *m = queue.front().get();
            batch.records.append(std::string_view(static_cast<const char *>(m->payload), m->len));
            d->position[p] = m->offset + 1;
            rd_kafka_timestamp_type_t type;
            const int64_t ts = rd_kafka_message_timestamp(m, &type);
            if (ts > 0)
                d->lastTimestampMs[p] = ts;
            queue.pop_front();
        }
        batch.nextOffset = d->position[p];
        return PollStatus::Data;
    }
    return PollStatus::Idle;
}

void KafkaSource::keepAlive()
{
    // Stop fetching, but keep calling into the consumer so the group protocol (heartbeats,
    // rebalances, max.poll.interval.ms) is served. Anything already fetched is kept.
    d->setHeld(true);
    d->fetch(0, 1024);
    d->updateLag();
}

std::vector<PartitionOffset> KafkaSource::positions() const
{
    std::vector<PartitionOffset> out;
    for (int p = 0; p < d->partitions; ++p)
        if (d->position[static_cast<size_t>(p)] >= 0)
            out.push_back({p, d->position[static_cast<size_t>(p)]});
    return out;
}

Status KafkaSource::commit(const std::vector<PartitionOffset> &offsets)
{
    if (offsets.empty())
        return Status::ok();
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const PartitionOffset &o : offsets)
        rd_kafka_topic_partition_list_add(list.get(), d->config.topic.c_str(), o.partition)->offset = o.offset;
    const rd_kafka_resp_err_t e = rd_kafka_commit(d->rk, list.get(), 0);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::unavailable(std::string("kafka: commit failed: ") + rd_kafka_err2str(e));
    const int64_t now = wallMs();
    for (const PartitionOffset &o : offsets) {
        if (o.partition < 0 || o.partition >= d->partitions)
            continue;
        d->committedOffset[static_cast<size_t>(o.partition)].store(o.offset);
        d->committedAtMs[static_cast<size_t>(o.partition)].store(now);
    }
    return Status::ok();
}

Status KafkaSource::commitPositions(const std::vector<int64_t> &nextOffsets)
{
    // Only what this consumer owns now: positions of other partitions (a restored savepoint's, or
    // kept from a lost assignment) would overwrite the progress of the member that reads them.
    std::vector<PartitionOffset> owned;
    for (int p = 0; p < std::min<int>(d->partitions, static_cast<int>(nextOffsets.size())); ++p)
        if (nextOffsets[static_cast<size_t>(p)] >= 0 && d->assigned[static_cast<size_t>(p)])
            owned.push_back({p, nextOffsets[static_cast<size_t>(p)]});
    return commit(owned);
}

// Offsets and restores: the group's committed offsets are never what a restore reads from. They
// are committed by Tally only (no auto-commit): by the job once the sink has stored the results
// of an epoch (commitPositions: the positions that epoch ended at, so with checkpoints they
// trail the newest checkpoint), and when partitions are revoked, at the positions handed to the
// engine, which may be past the newest checkpoint (a job stopped with a savepoint commits on
// leaving the group what it read after the barrier and discarded). They serve lag tools and a job started without a checkpoint or savepoint.
// A restored job instead seeks: the savepoint's positions become this consumer's positions, and
// every assignment of a partition starts there (the assign callback sets them on the partition
// list) until the partition is revoked, when they are committed, so a later assignment after a
// clean handover starts from the same place, and a lost assignment keeps them.
// A partition the savepoint has no position for starts as it would without a savepoint: at the
// group's committed offset, else auto.offset.reset. That is a partition the saved job never read
// (position -1), and each partition a topic gained since (Kafka never removes any). A savepoint
// of more partitions than the topic has is of another topic and is refused.
Status KafkaSource::seek(const std::vector<int64_t> &nextOffsets)
{
    const int saved = static_cast<int>(nextOffsets.size());
    if (saved > d->partitions)
        return Status::invalidArgument("kafka: the savepoint has " + std::to_string(saved) + " partitions, topic '" +
                                       d->config.topic + "' has " + std::to_string(d->partitions));
    for (int64_t offset : nextOffsets)
        if (offset < -1)
            return Status::invalidArgument("kafka: the savepoint has a negative position " + std::to_string(offset));
    if (saved < d->partitions)
        std::fprintf(stderr,
                     "tally: kafka: topic '%s' has %d partitions, the savepoint %d: partitions %d..%d start at the "
                     "group's committed offsets, else at the %s offset\n",
                     d->config.topic.c_str(), d->partitions, saved, saved, d->partitions - 1,
                     d->config.autoOffsetReset.c_str());
    PartitionList reposition(rd_kafka_topic_partition_list_new(d->partitions));
    for (int p = 0; p < saved; ++p) {
        const auto i = static_cast<size_t>(p);
        if (nextOffsets[i] < 0)
            continue;
        d->position[i] = nextOffsets[i];
        d->buffered[i].clear(); // fetched before the seek: from the wrong place
        if (d->assigned[i])
            rd_kafka_topic_partition_list_add(reposition.get(), d->config.topic.c_str(), p)->offset = nextOffsets[i];
    }
    // Normally nothing is assigned yet (seek() comes before the first poll, and the assignment
    // arrives in a poll); a partition that already is must be moved where it fetches.
    if (reposition->cnt > 0) {
        if (rd_kafka_error_t *e = rd_kafka_seek_partitions(d->rk, reposition.get(), 10000)) {
            const std::string message = rd_kafka_error_string(e);
            rd_kafka_error_destroy(e);
            return Status::unavailable("kafka: seek failed: " + message);
        }
        for (int i = 0; i < reposition->cnt; ++i)
            if (reposition->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR)
                return Status::unavailable(std::string("kafka: seek failed: ") + rd_kafka_err2str(reposition->elems[i].err));
    }
    return Status::ok();
}

std::vector<int> KafkaSource::assignment() const
{
    std::vector<int> out;
    for (int p = 0; p < d->partitions; ++p)
        if (d->assigned[static_cast<size_t>(p)])
            out.push_back(p);
    return out;
}

uint64_t KafkaSource::rebalanceCount() const { return d->rebalances; }

std::optional<SourceLag> KafkaSource::lag() const
{
    SourceLag lag;
    for (int p = 0; p < d->partitions; ++p) {
        const auto i = static_cast<size_t>(p);
        lag.partitions.push_back({p, d->lagRecords[i]->value(), d->lagSeconds[i]->value(), d->committedOffset[i].load(),
                                  d->committedAtMs[i].load(), d->knownLogEnd[i].load()});
    }
    lag.timeToCatchUpSeconds = d->catchUpSeconds->value();
    return lag;
}

std::optional<TopicView> KafkaSource::topicView() const
{
    std::lock_guard lock(d->viewMutex);
    return d->view;
}

} // namespace tally
