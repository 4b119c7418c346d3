// Dead letters against the real broker: malformed records (garbage bytes, bad JSON, wrong schema
// id, oversize, wrong types, bad values) between valid ones land on the dead-letter topic with
// their reason and source headers, the counts per reason match the engine's, and every valid
// record is counted.
#include "metrics/metrics.h"
#include "runtime/job_builder.h"
#include "sink/kafka_dead_letters.h"
#include "support/kafka_test_support.h"
#include "support/oracle.h"
#include "time/clock.h"

#include <librdkafka/rdkafka.h>

#include <QtTest>

#include <map>
#include <set>

using namespace tally;
using namespace tally::test;

namespace {

struct DeadLetterMessage {
    std::map<std::string, std::string> headers;
    std::string payload;
};

// Reads every message of `topic` (from the beginning) with a plain librdkafka consumer.
std::vector<DeadLetterMessage> readTopic(const std::string &topic, size_t expected, std::chrono::seconds timeout)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().toStdString().c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", ("read-" + topic).c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    std::vector<DeadLetterMessage> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (!m->err) {
            DeadLetterMessage d;
            d.payload.assign(static_cast<const char *>(m->payload), m->len);
            rd_kafka_headers_t *hdrs = nullptr;
            if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char *name;
                const void *value;
                size_t size;
                for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
                    d.headers[name] = std::string(static_cast<const char *>(value), size);
            }
            out.push_back(std::move(d));
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

} // namespace

class TestKafkaDeadLetters : public QObject {
    Q_OBJECT

private slots:
    void malformedRecordsReachTheDeadLetterTopic();
};

void TestKafkaDeadLetters::malformedRecordsReachTheDeadLetterTopic()
{
    QVERIFY2(!bootstrap().isEmpty(), "no broker: run through ctest (kafka_broker fixture)");
    const QString topic = QStringLiteral("dlq-source-%1").arg(QCoreApplication::applicationPid());
    const QString dlqTopic = topic + QStringLiteral(".dlq");
    QVERIFY(createTopic(topic, 4));
    QVERIFY(createTopic(dlqTopic, 1));
    const int count = 20000;
    const QJsonObject report = produce(topic, count, 0.05, 11);
    QVERIFY2(!report.isEmpty(), "tally-loadgen failed");
    const auto malformed = static_cast<size_t>(report.value(QStringLiteral("malformed")).toInteger());
    QVERIFY(malformed > 500);

    MetricsRegistry metrics;
    SteadyClock clock;
    JobConfig config = kafkaJobConfig();
    config.source.type = SourceConfig::Type::Kafka;
    KafkaSourceConfig &kafka = config.source.kafka;
    kafka.bootstrapServers = bootstrap().toStdString();
    kafka.topic = topic.toStdString();
    kafka.groupId = "tst-" + topic.toStdString();
    kafka.deadLetterTopic = dlqTopic.toStdString();
    // The builder publishes the dead letters to the topic and hands them on to this sink too.
    auto memory = std::make_unique<MemorySink>();
    MemorySink *inner = memory.get();
    auto built = buildJob(config, metrics, clock, JobParts{.sink = std::move(memory)});
    QVERIFY2(built, built.status().toString().c_str());
    Job &job = *built->job;
    std::atomic<size_t> events{0};
    job.setArrivalObserver([&](int, const std::vector<LikeEvent> &batch, int64_t) { events += batch.size(); });
    QVERIFY(job.start().isOk());
    QTRY_VERIFY_WITH_TIMEOUT(metrics.snapshot(0).value("tally_source_records_total") >= count, 60000);
    job.requestStop();
    QVERIFY(job.waitFinished().isOk());

    // Every valid record was counted, every malformed one became a dead letter.
    QCOMPARE(events.load(), size_t(count) - malformed);
    QCOMPARE(inner->deadLetters().size(), malformed);

    const std::vector<DeadLetterMessage> published = readTopic(dlqTopic.toStdString(), malformed, std::chrono::seconds(60));
    QCOMPARE(published.size(), malformed);
    std::map<std::string, size_t> perReason;
    std::set<std::pair<int, int64_t>> sources;
    for (const DeadLetterMessage &m : published) {
        QCOMPARE(m.headers.at(kDeadLetterTopicHeader), topic.toStdString());
        QVERIFY(!m.headers.at(kDeadLetterDetailHeader).empty());
        ++perReason[m.headers.at(kDeadLetterReasonHeader)];
        sources.insert({std::stoi(m.headers.at(kDeadLetterPartitionHeader)), std::stoll(m.headers.at(kDeadLetterOffsetHeader))});
    }
    QCOMPARE(sources.size(), malformed); // each source record once
    const MetricsSnapshot snapshot = metrics.snapshot(0);
    size_t reasons = 0;
    for (size_t r = 0; r < kRejectReasonCount; ++r) {
        const std::string name(rejectReasonName(static_cast<RejectReason>(r)));
        const double engineCount = snapshot.value("tally_rejected_records_total", {{"reason", name}});
        QCOMPARE(static_cast<double>(perReason[name]), engineCount);
        reasons += perReason[name] > 0;
    }
    QVERIFY2(reasons >= 5, "the corrupted records should hit several reasons");
    // The payload is the original record: the dead letter of the first source offset re-reads as
    // the same bytes from the source topic's dead_letters copy.
    const auto stored = inner->deadLetters();
    std::map<std::pair<int, int64_t>, std::string> storedPayloads;
    for (const DeadLetter &d : stored)
        storedPayloads[{d.partition, d.offset}] = d.payload;
    for (const DeadLetterMessage &m : published) {
        const std::pair<int, int64_t> key{std::stoi(m.headers.at(kDeadLetterPartitionHeader)),
                                          std::stoll(m.headers.at(kDeadLetterOffsetHeader))};
        QCOMPARE(m.payload, storedPayloads.at(key));
    }
}

QTEST_GUILESS_MAIN(TestKafkaDeadLetters)
#include "tst_kafka_dead_letters.moc"
