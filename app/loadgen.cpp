// tally-loadgen is a Kafka load generator: it produces the built-in generator's like events to a
// topic at a target rate (or as fast as the broker takes them) and reports what the broker
// acknowledged, what failed and how long delivery took, including messages per partition so that
// hot partitions show.
//
// It uses librdkafka's C API (not rdkafka++): the C API hands the delivery report the message's
// own enqueue time (rd_kafka_message_latency) and error, needs no per-message objects, and lets
// the producer loop see RD_KAFKA_RESP_ERR__QUEUE_FULL directly to apply backpressure.
#include "event/codec.h"
#include "metrics/metrics.h"
#include "source/generator.h"
#include "util/status.h"

#include <librdkafka/rdkafka.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tally {

// ---- The core, usable without the command line ---------------------------------------------------

// What decides a record's Kafka message key, and so its partition (librdkafka's murmur2_random
// partitioner, the Java client's: murmur2 of the key bytes; no key = spread by the producer).
enum class KeyStrategy {
    Post,   // decimal post_id: one post always lands on one partition, so celebrity posts make hot partitions
    User,   // decimal user_id
    Region, // the two-letter region code (few keys, heavily skewed)
    Random  // no key
};

// Progress once a second while producing and flushing.
struct LoadgenProgress {
    double elapsedSeconds = 0;  // since the first message was produced
    uint64_t sent = 0;          // handed to the producer (see LoadgenReport::sent)
    uint64_t acknowledged = 0;
    uint64_t failed = 0;
    uint64_t inFlight = 0;      // sent, no delivery report yet
    double ackedPerSecond = 0;  // over the last interval
    bool flushing = false;      // production has stopped; waiting for the last delivery reports
};

struct LoadgenOptions {
    std::string bootstrap;           // bootstrap.servers, host:port[,host:port...]; required
    std::string topic = "likes";
    bool createTopic = false;        // create the topic first (one that exists already is fine)
    int partitions = 4;              // partitions of a created topic (>= 1)
    int replication = 1;             // replication factor of a created topic (>= 1)
    int metadataTimeoutMs = 30000;   // how long to wait for the topic and its partition leaders

    double rate = 0;                 // events per second (generator pacing); 0 = as fast as possible
    uint64_t count = 0;              // events to produce; 0 = no limit
    double durationSeconds = 0;      // stop producing after this long; 0 = no limit. With neither
                                     // a count nor a duration, it produces until `stop` is set.

    // The events: seed, posts, users, skew, bursts, late tail, v2 mix, format, malformedFraction,
    // event time. runLoadgen sets totalEvents, eventsPerSecond, partitions and serialized itself.
    GeneratorConfig generator;
    KeyStrategy key = KeyStrategy::Post;

    std::string acks = "all";        // "0", "1" or "all"
    int lingerMs = -1;               // linger.ms; -1 = librdkafka's default (5 ms)
    int batchBytes = -1;             // batch.size in bytes; -1 = librdkafka's default (1,000,000)
    int batchMessages = -1;          // batch.num.messages; -1 = librdkafka's default (10,000)
    std::string compression = "none"; // none, gzip, snappy, lz4, zstd
    bool idempotence = false;        // enable.idempotence; requires acks "all"
    std::vector<std::pair<std::string, std::string>> producerProperties; // any librdkafka
                                     // property, applied last (so it overrides the fields above)
    int flushTimeoutMs = 30000;      // at the end, how long to wait for outstanding reports; what
                                     // is still outstanding then counts as failed

    const std::atomic<bool> *stop = nullptr;            // set by another thread (or a signal) to stop early
    std::function<void(const LoadgenProgress &)> onProgress; // once a second, on the calling thread
};

struct LoadgenReport {
    std::string topic;
    int partitions = 0;               // partitions of the topic when the run started
    bool topicCreated = false;        // createTopic made it (false: it existed)
    std::vector<std::pair<std::string, std::string>> producerConfig; // effective key settings

    // sent == acknowledged + failed at the end: every event handed to the producer gets exactly
    // one outcome. Events the producer refused at once (e.g. too large) count as sent and failed.
    uint64_t sent = 0;
    uint64_t acknowledged = 0;
    uint64_t failed = 0;
    std::map<std::string, uint64_t> failures; // librdkafka error name -> messages
    uint64_t malformed = 0;           // of the sent records, how many were deliberately corrupted
    uint64_t bytes = 0;               // record (value) bytes acknowledged
    uint64_t keyBytes = 0;            // key bytes acknowledged
    uint64_t queueFullWaits = 0;      // times the producer queue was full and production waited
    double produceSeconds = 0;        // first message produced -> last message produced
    double elapsedSeconds = 0;        // first message produced -> last delivery report (or flush timeout)
    HistogramSnapshot latencyUs;      // acknowledged messages: produce() call -> delivery report, µs
    std::vector<uint64_t> partitionMessages; // acknowledged messages per partition

    double ackedPerSecond() const { return elapsedSeconds > 0 ? double(acknowledged) / elapsedSeconds : 0; }
    double latencyMs(double q) const { return latencyUs.quantile(q) / 1000.0; }
};

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct KafkaDeleter {
    void operator()(rd_kafka_t *rk) const { rd_kafka_destroy(rk); }
    void operator()(rd_kafka_conf_t *c) const { rd_kafka_conf_destroy(c); }
    void operator()(rd_kafka_topic_t *t) const { rd_kafka_topic_destroy(t); }
    void operator()(rd_kafka_queue_t *q) const { rd_kafka_queue_destroy(q); }
    void operator()(rd_kafka_event_t *e) const { rd_kafka_event_destroy(e); }
    void operator()(rd_kafka_NewTopic_t *t) const { rd_kafka_NewTopic_destroy(t); }
    void operator()(rd_kafka_AdminOptions_t *o) const { rd_kafka_AdminOptions_destroy(o); }
};
template <typename T>
using KafkaPtr = std::unique_ptr<T, KafkaDeleter>;

// Outcomes of delivery reports. The reports are served on the poller thread while producing and
// on the producing thread during the final flush (never both at once), but the producing thread
// reads the counters for progress at any time, hence atomics.
struct Deliveries {
    std::atomic<uint64_t> acknowledged{0};
    std::atomic<uint64_t> failed{0};
    std::atomic<uint64_t> bytes{0};
    std::atomic<uint64_t> keyBytes{0};
    Histogram latencyUs;
    std::vector<std::atomic<uint64_t>> perPartition; // sized once, before producing starts
    std::mutex failuresMutex;                        // failures are rare: a lock is fine
    std::map<std::string, uint64_t> failures;
    std::atomic<bool> fatal{false};                  // the producer hit a fatal error (idempotence)

    void fail(const std::string &reason, uint64_t n = 1)
    {
        failed.fetch_add(n, std::memory_order_relaxed);
        std::lock_guard lock(failuresMutex);
        failures[reason] += n;
    }
};

void onDelivery(rd_kafka_t *, const rd_kafka_message_t *m, void *opaque)
{
    auto *d = static_cast<Deliveries *>(opaque);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        d->fail(rd_kafka_err2name(m->err));
        return;
    }
    // The latency librdkafka measures from the message's enqueue time in produce() to now: the
    // time to batch, send, get the broker's acknowledgement and serve the report.
    if (const int64_t us = rd_kafka_message_latency(m); us >= 0)
        d->latencyUs.record(static_cast<uint64_t>(us));
    d->bytes.fetch_add(m->len, std::memory_order_relaxed);
    d->keyBytes.fetch_add(m->key_len, std::memory_order_relaxed);
    // Partitions added to the topic while running are not broken out.
    if (m->partition >= 0 && static_cast<size_t>(m->partition) < d->perPartition.size())
        d->perPartition[static_cast<size_t>(m->partition)].fetch_add(1, std::memory_order_relaxed);
    // Counted last: a reader that sees the acknowledgement also sees its bytes and partition.
    d->acknowledged.fetch_add(1, std::memory_order_release);
}

void onError(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    auto *d = static_cast<Deliveries *>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char detail[512];
        const rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, detail, sizeof detail);
        std::fprintf(stderr, "tally-loadgen: fatal producer error %s: %s\n", rd_kafka_err2name(cause), detail);
        d->fatal.store(true);
        return;
    }
    // Transient (a broker restarting, all brokers down): librdkafka retries by itself. Connection
    // failures (_TRANSPORT) are left to librdkafka's own log line, which says the same thing.
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT)
        return;
    std::fprintf(stderr, "tally-loadgen: kafka: %s: %s\n", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)),
                 reason);
}

Result<KafkaPtr<rd_kafka_conf_t>> producerConf(const LoadgenOptions &o, Deliveries &deliveries)
{
    KafkaPtr<rd_kafka_conf_t> conf(rd_kafka_conf_new());
    char err[512];
    auto set = [&](const std::string &key, const std::string &value) -> Status {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
            return Status::invalidArgument(key + "=" + value + ": " + err);
        return Status::ok();
    };
    std::vector<std::pair<std::string, std::string>> settings = {
        {"bootstrap.servers", o.bootstrap},
        {"client.id", "tally-loadgen"},
        {"acks", o.acks == "all" ? "-1" : o.acks},
        {"compression.type", o.compression},
        {"enable.idempotence", o.idempotence ? "true" : "false"},
        // The Java client's partitioner, so a key lands on the same partition whichever client
        // produced it (librdkafka's own default is a CRC32-based one).
        {"partitioner", "murmur2_random"},
    };
    if (o.lingerMs >= 0)
        settings.emplace_back("linger.ms", std::to_string(o.lingerMs));
    if (o.batchBytes >= 0)
        settings.emplace_back("batch.size", std::to_string(o.batchBytes));
    if (o.batchMessages >= 0)
        settings.emplace_back("batch.num.messages", std::to_string(o.batchMessages));
    settings.insert(settings.end(), o.producerProperties.begin(), o.producerProperties.end());
    for (const auto &[key, value] : settings)
        if (Status s = set(key, value); !s.isOk())
            return s;

    rd_kafka_conf_set_dr_msg_cb(conf.get(), onDelivery);
    rd_kafka_conf_set_error_cb(conf.get(), onError);
    rd_kafka_conf_set_opaque(conf.get(), &deliveries);
    return conf;
}

// Creates the topic; true if it was created, false if it existed already.
Result<bool> createTopic(rd_kafka_t *rk, const LoadgenOptions &o)
{
    char err[512];
    KafkaPtr<rd_kafka_NewTopic_t> topic(
        rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, o.replication, err, sizeof err));
    if (!topic)
        return Status::invalidArgument(std::string("cannot create topic ") + o.topic + ": " + err);
    KafkaPtr<rd_kafka_AdminOptions_t> admin(rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
    if (rd_kafka_AdminOptions_set_request_timeout(admin.get(), o.metadataTimeoutMs, err, sizeof err)
            != RD_KAFKA_RESP_ERR_NO_ERROR
        || rd_kafka_AdminOptions_set_operation_timeout(admin.get(), o.metadataTimeoutMs, err, sizeof err)
               != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::invalidArgument(err);
    KafkaPtr<rd_kafka_queue_t> queue(rd_kafka_queue_new(rk));
    rd_kafka_NewTopic_t *topics[] = {topic.get()};
    rd_kafka_CreateTopics(rk, topics, 1, admin.get(), queue.get());
    KafkaPtr<rd_kafka_event_t> event(rd_kafka_queue_poll(queue.get(), o.metadataTimeoutMs + 5000));
    if (!event)
        return Status::unavailable("creating topic " + o.topic + ": no answer from " + o.bootstrap);
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return Status::unavailable("creating topic " + o.topic + ": " + rd_kafka_event_error_string(event.get()));
    size_t n = 0;
    const rd_kafka_topic_result_t **results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &n);
    bool created = true;
    for (size_t i = 0; i < n; ++i) {
        const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
        if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            created = false;
        } else if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char *why = rd_kafka_topic_result_error_string(results[i]);
            return Status::unavailable("creating topic " + o.topic + ": " + rd_kafka_err2name(e) + ": "
                                       + (why ? why : ""));
        }
    }
    return created;
}

// Waits until the topic exists and every partition's leader serves it; returns its partition
// count. Metadata naming a leader is not enough: a broker that has just been made leader of a new
// partition still answers produce requests with NOT_LEADER_OR_FOLLOWER for a moment, and the
// retried batches would then land behind later ones (no ordering across retries without
// idempotence) and carry the retry delay into the latencies. A leader that answers ListOffsets
// for the partition serves produce requests too, so every partition is asked that first.
Result<int> waitForTopic(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const LoadgenOptions &o)
{
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.metadataTimeoutMs);
    std::string problem = "no metadata";
    constexpr auto kUnknownTopicGrace = std::chrono::seconds(5);
    std::optional<Clock::time_point> unknownSince;
    for (;;) {
        const rd_kafka_metadata_t *md = nullptr;
        const rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, std::max(1000, o.metadataTimeoutMs / 4));
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            problem = std::string("metadata request failed: ") + rd_kafka_err2str(e);
        } else {
            int partitions = -1;
            if (md->topic_cnt == 1) {
                const rd_kafka_metadata_topic_t &t = md->topics[0];
                if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && !o.createTopic) {
                    // A broker that creates topics on first use answers this too until the topic
                    // is made, which takes well under a second; one that does not would keep
                    // answering it until the deadline, so it gets a short grace instead.
                    if (!unknownSince)
                        unknownSince = Clock::now();
                    if (Clock::now() - *unknownSince >= kUnknownTopicGrace) {
                        rd_kafka_metadata_destroy(md);
                        return Status::notFound("topic " + o.topic + " does not exist at " + o.bootstrap
                                                + " (create it first)");
                    }
                }
                if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    problem = rd_kafka_err2str(t.err);
                } else if (t.partition_cnt <= 0) {
                    problem = "the topic has no partitions yet";
                } else {
                    partitions = t.partition_cnt;
                    for (int i = 0; i < t.partition_cnt; ++i)
                        if (t.partitions[i].leader < 0 || t.partitions[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                            problem = "partition " + std::to_string(t.partitions[i].id) + " has no leader yet";
                            partitions = -1;
                        }
                }
            }
            rd_kafka_metadata_destroy(md);
            for (int p = 0; p < partitions; ++p) {
                int64_t low = 0, high = 0;
                const rd_kafka_resp_err_t le = rd_kafka_query_watermark_offsets(
                    rk, o.topic.c_str(), p, &low, &high, std::max(1000, o.metadataTimeoutMs / 4));
                if (le != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    problem = "partition " + std::to_string(p) + " is not served yet: " + rd_kafka_err2str(le);
                    partitions = -1;
                }
            }
            if (partitions > 0)
                return partitions;
        }
        if (Clock::now() >= deadline)
            return Status::unavailable("topic " + o.topic + " at " + o.bootstrap + ": " + problem);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

// The message key for an event; empty means no key.
std::string_view keyFor(const LikeEvent &e, KeyStrategy strategy, char (&buffer)[24])
{
    switch (strategy) {
    case KeyStrategy::Post:
    case KeyStrategy::User: {
        const uint64_t id = strategy == KeyStrategy::Post ? e.postId : e.userId;
        const auto end = std::to_chars(buffer, buffer + sizeof buffer, id).ptr;
        return {buffer, static_cast<size_t>(end - buffer)};
    }
    case KeyStrategy::Region:
        buffer[0] = static_cast<char>(e.region >> 8);
        buffer[1] = static_cast<char>(e.region & 0xff);
        return {buffer, 2};
    case KeyStrategy::Random:
        break;
    }
    return {};
}

Status validate(const LoadgenOptions &o)
{
    if (o.bootstrap.empty())
        return Status::invalidArgument("no bootstrap server");
    if (o.topic.empty())
        return Status::invalidArgument("no topic");
    if (o.partitions < 1 || o.replication < 1)
        return Status::invalidArgument("partitions and replication must be >= 1");
    if (!(o.rate >= 0) || !(o.durationSeconds >= 0))
        return Status::invalidArgument("rate and duration must be >= 0");
    if (o.acks != "0" && o.acks != "1" && o.acks != "all" && o.acks != "-1")
        return Status::invalidArgument("acks must be 0, 1 or all (got " + o.acks + ")");
    if (o.idempotence && o.acks != "all" && o.acks != "-1")
        return Status::invalidArgument("idempotence requires acks=all");
    if (!(o.generator.malformedFraction >= 0 && o.generator.malformedFraction <= 1))
        return Status::invalidArgument("malformed fraction must be in [0, 1]");
    if (!(o.generator.v2Fraction >= 0 && o.generator.v2Fraction <= 1))
        return Status::invalidArgument("v2 fraction must be in [0, 1]");
    if (o.flushTimeoutMs < 0 || o.metadataTimeoutMs < 0)
        return Status::invalidArgument("timeouts must be >= 0");
    return Status::ok();
}

} // namespace

// Produces events until the count, the duration or `stop` ends the run, then waits for the
// outstanding delivery reports. Setup failures (bad settings, no topic, no broker) are a Status;
// delivery failures are counted in the report. Runs on the calling thread plus one thread that
// serves delivery reports (and librdkafka's own threads); separate runs share nothing and may
// go on at the same time.
Result<LoadgenReport> runLoadgen(const LoadgenOptions &o)
{
    if (Status s = validate(o); !s.isOk())
        return s;

    LoadgenReport report;
    report.topic = o.topic;
    Deliveries deliveries;
    Result<KafkaPtr<rd_kafka_conf_t>> conf = producerConf(o, deliveries);
    if (!conf.isOk())
        return conf.status();
    char err[512];
    KafkaPtr<rd_kafka_t> rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), err, sizeof err));
    if (!rk)
        return Status::invalidArgument(std::string("cannot create the producer: ") + err);
    conf->release(); // rd_kafka_new took it
    // Read back from the producer: rd_kafka_new adjusts some settings (idempotence caps in-flight
    // requests, for one).
    for (const char *key : {"acks", "enable.idempotence", "linger.ms", "batch.size", "batch.num.messages",
                            "compression.type", "queue.buffering.max.messages", "queue.buffering.max.kbytes",
                            "max.in.flight.requests.per.connection", "message.timeout.ms", "partitioner"}) {
        size_t size = sizeof err;
        if (rd_kafka_conf_get(rd_kafka_conf(rk.get()), key, err, &size) == RD_KAFKA_CONF_OK)
            report.producerConfig.emplace_back(key, std::string_view(key) == "acks" && std::string_view(err) == "-1"
                                                        ? "all"
                                                        : err);
    }

    if (o.createTopic) {
        Result<bool> created = createTopic(rk.get(), o);
        if (!created.isOk())
            return created.status();
        report.topicCreated = *created;
    }
    KafkaPtr<rd_kafka_topic_t> rkt(rd_kafka_topic_new(rk.get(), o.topic.c_str(), nullptr));
    if (!rkt)
        return Status::invalidArgument("topic " + o.topic + ": " + rd_kafka_err2str(rd_kafka_last_error()));
    Result<int> partitions = waitForTopic(rk.get(), rkt.get(), o);
    if (!partitions.isOk())
        return partitions.status();
    report.partitions = *partitions;
    deliveries.perPartition = std::vector<std::atomic<uint64_t>>(static_cast<size_t>(*partitions));

    // One generator partition: the stream comes out in delivery-time order, as one producer fleet
    // would emit it (out of event-time order by the generator's delays and late tail). The Kafka
    // partition is then the key's business, not the generator's.
    GeneratorConfig eventsConfig = o.generator;
    eventsConfig.partitions = 1;
    eventsConfig.silentPartitions = 0;
    eventsConfig.totalEvents = o.count;
    eventsConfig.eventsPerSecond = o.rate;
    eventsConfig.serialized = false;
    eventsConfig.malformedFraction = 0;
    GeneratorSource events(eventsConfig);

    // Malformed records come from a twin generator in serialized mode, which corrupts the chosen
    // records in every way a decoder must reject (truncation, garbage, bad magic, unknown schema,
    // wrong types, invalid values, absurd timestamps, oversize). With one partition each twin
    // delivers all events in (delivery time, event id) order whatever the batch sizes, so record
    // i of the twin is event i of the paced generator, whose fields give the key. That keeps the
    // corruption identical to the built-in source's for a seed, without a second corrupter here.
    std::optional<GeneratorSource> records;
    if (o.generator.malformedFraction > 0) {
        GeneratorConfig recordsConfig = eventsConfig;
        recordsConfig.eventsPerSecond = 0; // paced by the other twin
        recordsConfig.serialized = true;
        recordsConfig.malformedFraction = o.generator.malformedFraction;
        records.emplace(recordsConfig);
    }
    RecordDecoder decoder;

    // A separate thread serves delivery reports, so they are timed when they arrive rather than
    // when the producing loop (or the generator's pacing sleep) gets round to them.
    std::jthread poller([&rk](std::stop_token stop) {
        while (!stop.stop_requested())
            rd_kafka_poll(rk.get(), 100);
    });

    const auto start = Clock::now();
    auto lastTick = start;
    uint64_t lastAcked = 0;
    uint64_t sent = 0;
    auto progress = [&](bool flushing) {
        const auto now = Clock::now();
        if (!o.onProgress || now - lastTick < std::chrono::seconds(1))
            return;
        LoadgenProgress p;
        p.elapsedSeconds = std::chrono::duration<double>(now - start).count();
        p.sent = sent;
        p.acknowledged = deliveries.acknowledged.load(std::memory_order_acquire);
        p.failed = deliveries.failed.load(std::memory_order_relaxed);
        p.inFlight = p.sent - std::min(p.sent, p.acknowledged + p.failed);
        p.ackedPerSecond = double(p.acknowledged - lastAcked) / std::chrono::duration<double>(now - lastTick).count();
        p.flushing = flushing;
        lastAcked = p.acknowledged;
        lastTick = now;
        o.onProgress(p);
    };
    const auto deadline = o.durationSeconds > 0 ? start + std::chrono::duration_cast<Clock::duration>(
                                                              std::chrono::duration<double>(o.durationSeconds))
                                                : Clock::time_point::max();
    auto stopping = [&] {
        return (o.stop && o.stop->load(std::memory_order_relaxed)) || deliveries.fatal.load(std::memory_order_relaxed)
               || Clock::now() >= deadline;
    };

    // Hands one message to the producer; false if a stop came while the queue was full (the
    // message is then not sent at all).
    auto produce = [&](std::string_view value, std::string_view key) {
        for (;;) {
            if (rd_kafka_produce(rkt.get(), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, const_cast<char *>(value.data()),
                                 value.size(), key.empty() ? nullptr : key.data(), key.size(), nullptr)
                == 0) {
                ++sent;
                return true;
            }
            const rd_kafka_resp_err_t e = rd_kafka_last_error();
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) { // refused outright, e.g. larger than message.max.bytes
                ++sent;
                deliveries.fail(rd_kafka_err2name(e));
                return true;
            }
            // Backpressure: wait for deliveries to make room rather than drop the event.
            ++report.queueFullWaits;
            progress(false);
            if (stopping())
                return false;
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
    };

    // Pacing batches of ~10 ms of events keep the rate smooth; unpaced, larger batches cost less.
    const size_t chunk = o.rate > 0 ? static_cast<size_t>(std::clamp(o.rate / 100, 1.0, 4096.0)) : 4096;
    SourceBatch batch, twinBatch;
    size_t twinNext = 0;
    std::string encoded;
    char keyBuffer[24];
    bool stopped = false;
    while (!stopped && !stopping()) {
        const Source::PollStatus status = events.poll(batch, chunk);
        progress(false);
        if (status == Source::PollStatus::End)
            break;
        for (size_t i = 0; i < batch.events.size() && !stopped; ++i) {
            const LikeEvent &e = batch.events[i];
            encoded = encodeRecord(e, o.generator.format);
            std::string_view value = encoded;
            bool corrupted = false;
            if (records) {
                while (twinNext == twinBatch.records.size()) {
                    if (records->poll(twinBatch, chunk) == Source::PollStatus::End)
                        throw std::logic_error("loadgen: the serialized twin generator ended early");
                    twinNext = 0;
                }
                value = twinBatch.records.at(twinNext++);
                // A record that differs from the event's encoding is a corrupted one, which any
                // correct decoder rejects; one that decodes means the twins went out of step,
                // which would make the keys wrong.
                corrupted = value != encoded;
                if (corrupted && std::holds_alternative<LikeEvent>(decoder.decode(value)))
                    throw std::logic_error("loadgen: the generator twins are out of step at event "
                                           + std::to_string(e.eventId));
            }
            stopped = !produce(value, keyFor(e, o.key, keyBuffer));
            if (!stopped && corrupted)
                ++report.malformed;
        }
    }
    report.produceSeconds = secondsSince(start);

    // Flush on this thread (rd_kafka_flush serves the reports), in slices so progress continues.
    poller.request_stop();
    poller.join();
    const auto flushDeadline = Clock::now() + std::chrono::milliseconds(o.flushTimeoutMs);
    for (;;) {
        const uint64_t outcomes = deliveries.acknowledged.load() + deliveries.failed.load();
        if (outcomes >= sent || Clock::now() >= flushDeadline)
            break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(flushDeadline - Clock::now());
        rd_kafka_flush(rk.get(), static_cast<int>(std::clamp<int64_t>(left.count(), 1, 200)));
        progress(true);
    }
    report.elapsedSeconds = secondsSince(start);
    const uint64_t outcomes = deliveries.acknowledged.load() + deliveries.failed.load();
    if (outcomes < sent)
        deliveries.fail("flush_timed_out", sent - outcomes);
    report.sent = sent;
    report.acknowledged = deliveries.acknowledged.load();
    report.failed = sent - report.acknowledged;
    {
        std::lock_guard lock(deliveries.failuresMutex);
        report.failures = deliveries.failures;
    }
    report.bytes = deliveries.bytes.load();
    report.keyBytes = deliveries.keyBytes.load();
    report.latencyUs = deliveries.latencyUs.snapshot();
    for (const auto &n : deliveries.perPartition)
        report.partitionMessages.push_back(n.load());

    // What is still outstanding is counted (as flush_timed_out) above. Purge it and serve the
    // purge reports, which land in `deliveries` after the report was taken, so that destroying
    // the producer neither waits for it nor warns about it.
    if (outcomes < sent) {
        rd_kafka_purge(rk.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(rk.get(), 1000);
    }
    return report;
}

} // namespace tally

// ---- The command line ----------------------------------------------------------------------------

namespace {

using namespace tally;

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler stores to g_stop");

void onSignal(int sig)
{
    g_stop.store(true);
    std::signal(sig, SIG_DFL); // a second Ctrl-C ends the process at once
}

std::string grouped(uint64_t v)
{
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string grouped(double v) { return grouped(static_cast<uint64_t>(std::max(0.0, v) + 0.5)); }

// Reads the options into LoadgenOptions; the error names the option.
Result<LoadgenOptions> parseOptions(const QCommandLineParser &args)
{
    LoadgenOptions o;
    GeneratorConfig &g = o.generator;
    auto isSet = [&](const char *name) { return args.isSet(QString::fromLatin1(name)); };
    auto text = [&](const char *name) { return args.value(QString::fromLatin1(name)); };
    auto bad = [](const char *name, const char *expected) {
        return Status::invalidArgument(std::string("--") + name + ": expected " + expected);
    };
    // Each reader leaves the default alone when the option is absent.
    auto readDouble = [&](const char *name, double &out, double lo, double hi, const char *expected) -> Status {
        if (!isSet(name))
            return Status::ok();
        bool ok = false;
        const double v = text(name).toDouble(&ok);
        if (!ok || !(v >= lo && v <= hi))
            return bad(name, expected);
        out = v;
        return Status::ok();
    };
    auto readU64 = [&](const char *name, uint64_t &out, uint64_t lo, const char *expected) -> Status {
        if (!isSet(name))
            return Status::ok();
        bool ok = false;
        const qulonglong v = text(name).toULongLong(&ok);
        if (!ok || v < lo)
            return bad(name, expected);
        out = v;
        return Status::ok();
    };
    auto readI64 = [&](const char *name, int64_t &out, int64_t lo, const char *expected) -> Status {
        if (!isSet(name))
            return Status::ok();
        bool ok = false;
        const qlonglong v = text(name).toLongLong(&ok);
        if (!ok || v < lo)
            return bad(name, expected);
        out = v;
        return Status::ok();
    };
    auto readInt = [&](const char *name, int &out, int lo, const char *expected) -> Status {
        int64_t v = out;
        if (Status s = readI64(name, v, lo, expected); !s.isOk())
            return s;
        if (v > std::numeric_limits<int>::max())
            return bad(name, expected);
        out = static_cast<int>(v);
        return Status::ok();
    };

    if (!isSet("bootstrap"))
        return Status::invalidArgument("--bootstrap HOST:PORT is required");
    o.bootstrap = text("bootstrap").toStdString();
    if (isSet("topic"))
        o.topic = text("topic").toStdString();
    o.createTopic = isSet("create-topic");

    constexpr double kInf = std::numeric_limits<double>::infinity();
    // g.eventTimeRate's default follows --rate, so that event time keeps pace with the wall clock.
    g.startTimeMs = QDateTime::currentMSecsSinceEpoch();
    const std::vector<Status> results = {
        readInt("partitions", o.partitions, 1, "a partition count >= 1"),
        readInt("replication", o.replication, 1, "a replication factor >= 1"),
        readDouble("rate", o.rate, 0, kInf, "events per second >= 0"),
        readU64("count", o.count, 1, "an event count >= 1"),
        readDouble("duration", o.durationSeconds, 0.001, kInf, "seconds > 0"),
        readU64("seed", g.seed, 0, "an unsigned integer"),
        readU64("posts", g.posts, 1, "a post count >= 1"),
        readU64("users", g.users, 1, "a user count >= 1"),
        readDouble("post-skew", g.postSkew, 1e-9, kInf, "a Zipf exponent > 0"),
        readDouble("burst-share", g.burstShare, 0, 1, "a share in [0, 1]"),
        readI64("burst-every-ms", g.burstEveryMs, 0, "milliseconds >= 0"),
        readI64("burst-duration-ms", g.burstDurationMs, 1, "milliseconds >= 1"),
        readDouble("late-fraction", g.lateFraction, 0, 1, "a fraction in [0, 1]"),
        readI64("late-delay-ms", g.lateDelayMs, 0, "milliseconds >= 0"),
        readDouble("malformed-fraction", g.malformedFraction, 0, 1, "a fraction in [0, 1]"),
        readDouble("v2-fraction", g.v2Fraction, 0, 1, "a fraction in [0, 1]"),
        readDouble("event-time-rate", g.eventTimeRate, 1e-9, kInf, "events per second of event time > 0"),
        readI64("start-time-ms", g.startTimeMs, 0, "milliseconds since the Unix epoch"),
        readInt("linger-ms", o.lingerMs, 0, "milliseconds >= 0"),
        readInt("batch-size", o.batchBytes, 1, "bytes >= 1"),
        readInt("batch-messages", o.batchMessages, 1, "messages >= 1"),
        readInt("flush-timeout-ms", o.flushTimeoutMs, 0, "milliseconds >= 0"),
        readInt("metadata-timeout-ms", o.metadataTimeoutMs, 0, "milliseconds >= 0"),
    };
    for (const Status &s : results)
        if (!s.isOk())
            return s;
    if (!isSet("event-time-rate") && o.rate > 0)
        g.eventTimeRate = o.rate;

    if (isSet("format")) {
        const QString f = text("format");
        if (f == QLatin1String("json"))
            g.format = WireFormat::Json;
        else if (f == QLatin1String("protobuf"))
            g.format = WireFormat::Protobuf;
        else
            return bad("format", "json or protobuf");
    }
    if (isSet("key")) {
        static const std::map<QString, KeyStrategy> kKeys = {{QStringLiteral("post"), KeyStrategy::Post},
                                                             {QStringLiteral("user"), KeyStrategy::User},
                                                             {QStringLiteral("region"), KeyStrategy::Region},
                                                             {QStringLiteral("random"), KeyStrategy::Random}};
        const auto it = kKeys.find(text("key"));
        if (it == kKeys.end())
            return bad("key", "post, user, region or random");
        o.key = it->second;
    }
    o.idempotence = isSet("idempotence");
    if (isSet("acks")) {
        o.acks = text("acks").toStdString();
        if (o.acks != "0" && o.acks != "1" && o.acks != "all")
            return bad("acks", "0, 1 or all");
        if (o.idempotence && o.acks != "all")
            return Status::invalidArgument("--idempotence needs --acks all (it is the default)");
    }
    if (isSet("compression")) {
        o.compression = text("compression").toStdString();
        if (o.compression != "none" && o.compression != "gzip" && o.compression != "snappy"
            && o.compression != "lz4" && o.compression != "zstd")
            return bad("compression", "none, gzip, snappy, lz4 or zstd");
    }
    for (const QString &property : args.values(QStringLiteral("X"))) {
        const qsizetype eq = property.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return bad("X", "KEY=VALUE (a librdkafka producer property)");
        o.producerProperties.emplace_back(property.left(eq).toStdString(), property.mid(eq + 1).toStdString());
    }
    return o;
}

std::string_view keyName(KeyStrategy k)
{
    switch (k) {
    case KeyStrategy::Post: return "post";
    case KeyStrategy::User: return "user";
    case KeyStrategy::Region: return "region";
    case KeyStrategy::Random: return "random";
    }
    return "?";
}

std::string setting(const LoadgenReport &r, std::string_view key)
{
    for (const auto &[k, v] : r.producerConfig)
        if (k == key)
            return v;
    return "?";
}

void printReport(const LoadgenReport &r, const LoadgenOptions &o)
{
    const double mb = double(r.bytes) / 1e6;
    std::printf("tally-loadgen report\n");
    std::printf("  topic          %s (%d partitions%s), key %s, %s, v2 share %.2f\n", r.topic.c_str(), r.partitions,
                r.topicCreated ? ", created" : "", std::string(keyName(o.key)).c_str(),
                std::string(wireFormatName(o.generator.format)).c_str(), o.generator.v2Fraction);
    std::printf("  producer       acks %s, linger.ms %s, batch.size %s, batch.num.messages %s, compression %s, "
                "idempotence %s\n",
                setting(r, "acks").c_str(), setting(r, "linger.ms").c_str(), setting(r, "batch.size").c_str(),
                setting(r, "batch.num.messages").c_str(), setting(r, "compression.type").c_str(),
                setting(r, "enable.idempotence").c_str());
    std::printf("  sent           %s (malformed %s)\n", grouped(r.sent).c_str(), grouped(r.malformed).c_str());
    std::printf("  acknowledged   %s\n", grouped(r.acknowledged).c_str());
    std::printf("  failed         %s\n", grouped(r.failed).c_str());
    for (const auto &[name, n] : r.failures)
        std::printf("    %-20s %s\n", name.c_str(), grouped(n).c_str());
    std::printf("  elapsed        %.3f s (producing %.3f s)\n", r.elapsedSeconds, r.produceSeconds);
    std::printf("  rate           %s acknowledged/s\n", grouped(r.ackedPerSecond()).c_str());
    std::printf("  latency ms     p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n", r.latencyMs(0.50), r.latencyMs(0.95),
                r.latencyMs(0.99), double(r.latencyUs.max) / 1000.0);
    std::printf("  bytes          %s (%.1f MB/s), keys %s\n", grouped(r.bytes).c_str(),
                r.elapsedSeconds > 0 ? mb / r.elapsedSeconds : 0.0, grouped(r.keyBytes).c_str());
    std::printf("  queue full     %s waits\n", grouped(r.queueFullWaits).c_str());
    std::printf("  per partition  (acknowledged messages)\n");
    for (size_t p = 0; p < r.partitionMessages.size(); ++p) {
        const double share = r.acknowledged ? 100.0 * double(r.partitionMessages[p]) / double(r.acknowledged) : 0;
        std::printf("    %4zu %14s %6.2f%%\n", p, grouped(r.partitionMessages[p]).c_str(), share);
    }
    std::fflush(stdout);
}

QJsonObject reportJson(const LoadgenReport &r, const LoadgenOptions &o)
{
    QJsonObject failures;
    for (const auto &[name, n] : r.failures)
        failures.insert(QString::fromStdString(name), qint64(n));
    QJsonArray partitions;
    for (uint64_t n : r.partitionMessages)
        partitions.append(qint64(n));
    QJsonObject producer;
    for (const auto &[k, v] : r.producerConfig)
        producer.insert(QString::fromStdString(k), QString::fromStdString(v));
    auto ms = [](double v) { return std::round(v * 1000.0) / 1000.0; };
    return QJsonObject{
        {QStringLiteral("topic"), QString::fromStdString(r.topic)},
        {QStringLiteral("partitions"), r.partitions},
        {QStringLiteral("topic_created"), r.topicCreated},
        {QStringLiteral("key"), QString::fromLatin1(keyName(o.key).data(), qsizetype(keyName(o.key).size()))},
        {QStringLiteral("format"), QString::fromStdString(std::string(wireFormatName(o.generator.format)))},
        {QStringLiteral("v2_fraction"), o.generator.v2Fraction},
        {QStringLiteral("target_rate_per_s"), o.rate},
        {QStringLiteral("seed"), QString::number(o.generator.seed)},
        {QStringLiteral("producer"), producer},
        {QStringLiteral("sent"), qint64(r.sent)},
        {QStringLiteral("acknowledged"), qint64(r.acknowledged)},
        {QStringLiteral("failed"), qint64(r.failed)},
        {QStringLiteral("failures"), failures},
        {QStringLiteral("malformed"), qint64(r.malformed)},
        {QStringLiteral("elapsed_s"), r.elapsedSeconds},
        {QStringLiteral("produce_s"), r.produceSeconds},
        {QStringLiteral("acknowledged_per_s"), r.ackedPerSecond()},
        {QStringLiteral("latency_ms"),
         QJsonObject{{QStringLiteral("p50"), ms(r.latencyMs(0.50))},
                     {QStringLiteral("p95"), ms(r.latencyMs(0.95))},
                     {QStringLiteral("p99"), ms(r.latencyMs(0.99))},
                     {QStringLiteral("max"), ms(double(r.latencyUs.max) / 1000.0)},
                     {QStringLiteral("mean"), ms(r.latencyUs.count ? r.latencyUs.sum / double(r.latencyUs.count) / 1000.0 : 0)}}},
        {QStringLiteral("bytes"), qint64(r.bytes)},
        {QStringLiteral("key_bytes"), qint64(r.keyBytes)},
        {QStringLiteral("queue_full_waits"), qint64(r.queueFullWaits)},
        {QStringLiteral("partition_messages"), partitions},
    };
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tally-loadgen"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TALLY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Produces like events from Tally's generator to a Kafka topic and reports delivery: sent, acknowledged, "
        "failed, rate, latency percentiles and messages per partition. Runs until --count or --duration (or "
        "Ctrl-C); exits 0 only if no message failed."));
    parser.addHelpOption();
    parser.addVersionOption();
    auto opt = [](const char *name, const char *help, const char *valueName = nullptr) {
        return valueName ? QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help), QString::fromLatin1(valueName))
                         : QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help));
    };
    parser.addOptions({
        opt("bootstrap", "Kafka bootstrap servers (required).", "host:port"),
        opt("topic", "Topic to produce to (default likes).", "name"),
        opt("create-topic", "Create the topic first with --partitions and --replication (an existing one is fine)."),
        opt("partitions", "Partitions of a created topic (default 4).", "n"),
        opt("replication", "Replication factor of a created topic (default 1).", "n"),
        opt("rate", "Events per second (default 0 = as fast as possible).", "n"),
        opt("count", "Events to produce (default: no limit).", "n"),
        opt("duration", "Seconds to produce for (default: no limit).", "s"),
        opt("seed", "Generator seed (default 42).", "n"),
        opt("posts", "Distinct posts (default 100000).", "n"),
        opt("users", "Distinct users (default 1000000).", "n"),
        opt("post-skew", "Zipf exponent over posts (default 1.1).", "x"),
        opt("burst-share", "Share of traffic the celebrity post takes during a burst (default 0.5).", "x"),
        opt("burst-every-ms", "Event time between celebrity bursts; 0 = no bursts (default 600000).", "ms"),
        opt("burst-duration-ms", "Event time a burst lasts (default 60000).", "ms"),
        opt("late-fraction", "Share of events delayed by the late tail (default 0.001).", "x"),
        opt("late-delay-ms", "Late-tail delay, uniform in [0, ms] of event time (default 120000).", "ms"),
        opt("malformed-fraction", "Share of records corrupted in varied ways (default 0).", "x"),
        opt("format", "Record format: json or protobuf (default json).", "format"),
        opt("v2-fraction", "Share of events in schema v2 (default 0.5).", "x"),
        opt("event-time-rate", "Events per second of event time (default: --rate if set, else 10000).", "n"),
        opt("start-time-ms", "Event time of the first event, ms since the epoch (default: now).", "ms"),
        opt("key",
            "Message key: post (post_id), user (user_id), region (region code) or random (no key: the producer "
            "spreads messages, one partition per batch at a time as Kafka clients do) (default post).",
            "strategy"),
        opt("acks", "Acknowledgements: 0, 1 or all (default all).", "acks"),
        opt("linger-ms", "linger.ms (default: librdkafka's, 5).", "ms"),
        opt("batch-size", "batch.size in bytes (default: librdkafka's, 1000000).", "bytes"),
        opt("batch-messages", "batch.num.messages (default: librdkafka's, 10000).", "n"),
        opt("compression", "none, gzip, snappy, lz4 or zstd (default none).", "codec"),
        opt("idempotence", "enable.idempotence=true (needs --acks all, the default)."),
        opt("X", "Any librdkafka producer property, applied last (repeatable).", "key=value"),
        opt("flush-timeout-ms", "Wait this long for outstanding deliveries at the end (default 30000).", "ms"),
        opt("metadata-timeout-ms", "Wait this long for the broker, the topic and its partition leaders (default 30000).",
            "ms"),
        opt("quiet", "No progress lines on stderr."),
        opt("report-json", "Also write the final report as JSON to this file.", "file"),
    });
    parser.process(app);

    Result<LoadgenOptions> parsed = parseOptions(parser);
    if (!parsed.isOk()) {
        std::fprintf(stderr, "tally-loadgen: %s\n", parsed.status().message().c_str());
        return 2;
    }
    LoadgenOptions options = std::move(parsed).value();
    const bool quiet = parser.isSet(QStringLiteral("quiet"));
    options.stop = &g_stop;
    if (!quiet) {
        options.onProgress = [](const LoadgenProgress &p) {
            std::fprintf(stderr, "[%6.1f s]%s sent %s  acked %s  failed %s  rate %s/s  in-flight %s\n", p.elapsedSeconds,
                         p.flushing ? " flushing:" : "", grouped(p.sent).c_str(), grouped(p.acknowledged).c_str(),
                         grouped(p.failed).c_str(), grouped(p.ackedPerSecond).c_str(), grouped(p.inFlight).c_str());
        };
        std::string what = options.count ? grouped(options.count) + " events" : std::string("events");
        if (options.durationSeconds > 0) {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, " for %g s", options.durationSeconds);
            what += seconds;
        }
        if (!options.count && options.durationSeconds <= 0)
            what += " until Ctrl-C";
        std::fprintf(stderr, "tally-loadgen: %s to %s on %s, %s, key %s, %s\n", what.c_str(), options.topic.c_str(),
                     options.bootstrap.c_str(),
                     options.rate > 0 ? (grouped(options.rate) + " events/s").c_str() : "as fast as possible",
                     std::string(keyName(options.key)).c_str(),
                     std::string(wireFormatName(options.generator.format)).c_str());
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);

    Result<LoadgenReport> report = runLoadgen(options);
    if (!report.isOk()) {
        std::fprintf(stderr, "tally-loadgen: %s\n", report.status().message().c_str());
        return 2;
    }
    printReport(*report, options);
    if (parser.isSet(QStringLiteral("report-json"))) {
        QFile file(parser.value(QStringLiteral("report-json")));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || file.write(QJsonDocument(reportJson(*report, options)).toJson()) < 0) {
            std::fprintf(stderr, "tally-loadgen: cannot write %s: %s\n", qPrintable(file.fileName()),
                         qPrintable(file.errorString()));
            return 2;
        }
    }
    return report->failed == 0 ? 0 : 1;
}
