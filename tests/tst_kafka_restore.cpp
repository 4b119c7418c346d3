// Restoring a Kafka job, against the real local broker of the kafka_broker CTest fixture: a job
// at P=2 reads a seeded stream from a topic with 4 partitions and stops with a savepoint part-way;
// a new job with a new consumer in the same group restores it (at P=1, 2 or 3) and runs to the end
// of the topic; with checkpoints on, the second job starts from the newest checkpoint by itself.
// Every event is counted exactly once (the second job starts at the savepoint's positions, not at
// the group's committed offsets, which the first consumer moved past the barrier when it left the
// group), and the SQLite results both jobs wrote equal the oracle of the counted arrivals (each
// event with the watermark it arrived at, as in tst_job_savepoint: the restored job's batches
// interleave partitions differently from an uninterrupted run, so which events are late can differ).
#include "metrics/metrics.h"
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "runtime/config_fingerprint.h"
#include "runtime/job_builder.h"
#include "support/kafka_test_support.h"
#include "support/oracle.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "time/clock.h"

#include <QtTest>

#include <librdkafka/rdkafka.h>

#include <set>

using namespace tally;
using namespace tally::test;

namespace {

constexpr int kPartitions = 4;
constexpr int kEvents = 40000;

struct RunResult {
    std::vector<Arrival> arrivals;
    Result<std::string> savepoint = Status::notFound("no savepoint taken");
};

KafkaSourceConfig kafkaConfig(const QString &topic, const std::string &group)
{
    KafkaSourceConfig kafka;
    kafka.bootstrapServers = bootstrap().toStdString();
    kafka.topic = topic.toStdString();
    kafka.groupId = group;
    return kafka;
}

// Runs a job on the topic into the SQLite file of `config`. With `stopAfterEvents`, stops with a
// savepoint once that many events went in; otherwise (after `restoreFrom`, if given) runs until
// the source has polled `expectedRecords` (or stalls), then stops and drains.
RunResult runJob(JobConfig config, const KafkaSourceConfig &kafka, std::optional<uint64_t> stopAfterEvents,
                 size_t expectedRecords, const std::string &restoreFrom = {})
{
    RunResult result;
    MetricsRegistry metrics;
    SteadyClock clock;
    config.source.type = SourceConfig::Type::Kafka;
    config.source.kafka = kafka;
    auto built = buildJob(config, metrics, clock, JobParts{.restoreFrom = restoreFrom});
    if (!built)
        qFatal("job: %s", built.status().toString().c_str());
    Job &job = *built->job;
    ArrivalRecorder recorder(job);
    if (const Status s = job.start(); !s.isOk())
        qFatal("start: %s", s.toString().c_str());
    // A timeout is no failure here: the test then fails on the counts.
    constexpr auto kTimeout = std::chrono::seconds(120);
    if (stopAfterEvents) {
        if (const Wait w = waitUntil([&] { return job.status().eventsIn >= *stopAfterEvents; }, kTimeout,
                                     std::to_string(*stopAfterEvents) + " events in",
                                     std::chrono::milliseconds(2)); // the topic is short: stop close to it
            !w)
            qWarning("%s", w.message().c_str());
        result.savepoint = job.savepoint(true).get();
    } else {
        // Until the source has polled what is expected, or nothing for 3 s (a source that started
        // in the wrong place never gets there; the test then fails on the counts, not a timeout).
        size_t polled = 0;
        auto lastProgress = std::chrono::steady_clock::now();
        if (const Wait w = waitUntil(
                [&] {
                    const auto now = static_cast<size_t>(metrics.snapshot(0).value("tally_source_records_total"));
                    if (now != polled) {
                        polled = now;
                        lastProgress = std::chrono::steady_clock::now();
                    }
                    return polled >= expectedRecords ||
                           (polled > 0 && std::chrono::steady_clock::now() - lastProgress > std::chrono::seconds(3));
                },
                kTimeout, std::to_string(expectedRecords) + " records polled");
            !w)
            qWarning("%s", w.message().c_str());
        job.requestStop();
    }
    (void)job.waitFinished();
    result.arrivals = std::move(recorder.arrivals);
    return result;
}

// The group's committed offset per partition (RD_KAFKA_OFFSET_INVALID where none), read by a
// consumer that does not join the group.
std::vector<int64_t> committedOffsets(const KafkaSourceConfig &kafka)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", kafka.bootstrapServers.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", kafka.groupId.c_str(), err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        qFatal("consumer: %s", err);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(kPartitions);
    for (int p = 0; p < kPartitions; ++p)
        rd_kafka_topic_partition_list_add(list, kafka.topic.c_str(), p);
    std::vector<int64_t> out;
    if (rd_kafka_committed(rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        for (int i = 0; i < list->cnt; ++i)
            out.push_back(list->elems[i].offset);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return out;
}

} // namespace

class TestKafkaRestore : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void stopRestoreRescale_data();
    void stopRestoreRescale();
    void partitionCountMismatchIsRefused();
    void topicGainedPartitions();

private:
    QString m_topic;
};

void TestKafkaRestore::initTestCase()
{
    QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
    QVERIFY2(!bootstrap().isEmpty(), "the broker's bootstrap file is missing");
    m_topic = QStringLiteral("restore-%1").arg(QCoreApplication::applicationPid());
    QVERIFY(createTopic(m_topic, kPartitions));
    const QJsonObject report = produce(m_topic, kEvents, 0, 11);
    QVERIFY2(!report.isEmpty(), "tally-loadgen failed");
    QCOMPARE(report.value(QStringLiteral("acknowledged")).toInteger(), qint64(kEvents));
}

void TestKafkaRestore::stopRestoreRescale_data()
{
    QTest::addColumn<int>("restoreAt");
    QTest::addColumn<bool>("viaCheckpoint");
    QTest::newRow("P=2 -> P=1") << 1 << false;
    QTest::newRow("P=2 -> P=2") << 2 << false;
    QTest::newRow("P=2 -> P=3") << 3 << false;
    QTest::newRow("checkpoint, P=2 -> P=3") << 3 << true;
}

void TestKafkaRestore::stopRestoreRescale()
{
    QFETCH(int, restoreAt);
    QFETCH(bool, viaCheckpoint);
    QTemporaryDir dir;
    JobConfig config = kafkaJobConfig();
    config.output.type = OutputConfig::Type::Sqlite;
    config.output.sqlitePath = dir.filePath(QStringLiteral("tally.db")).toStdString();
    config.checkpoint.savepointDir = dir.filePath(QStringLiteral("savepoints")).toStdString();
    if (viaCheckpoint) {
        // Checkpoints every 100 ms and an exactly-once sink that commits only what one covers; the
        // stop's barrier is a checkpoint too, and the second job starts from the newest checkpoint
        // by itself (Job::start), not from an explicit restore.
        config.checkpoint.enabled = true;
        config.checkpoint.intervalMs = 100;
        config.checkpoint.dir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
    }
    // Each row is its own group, so its first job starts at the beginning of the topic.
    const KafkaSourceConfig kafka = kafkaConfig(m_topic, "tst-restore-" + std::to_string(QCoreApplication::applicationPid()) +
                                                             "-" + QTest::currentDataTag());

    const RunResult first = runJob(config, kafka, uint64_t(kEvents / 4), 0);
    QVERIFY2(first.savepoint, first.savepoint.status().toString().c_str());
    auto savepoint = readSavepointFile(*first.savepoint);
    QVERIFY(savepoint);
    QCOMPARE(savepoint->sourcePositions.size(), size_t(kPartitions));
    int64_t before = 0;
    for (int64_t p : savepoint->sourcePositions)
        before += p;
    // The first job stopped at the barrier: nothing after it was ingested.
    QCOMPARE(first.arrivals.size(), size_t(before));
    QVERIFY2(before > 0 && before < kEvents, qPrintable(QStringLiteral("savepoint after %1 events").arg(before)));

    // Leaving the group, the first consumer committed what it had fetched and handed on, which
    // can be past the barrier: the restored job must not start there.
    const std::vector<int64_t> committed = committedOffsets(kafka);
    QCOMPARE(committed.size(), size_t(kPartitions));
    int ahead = 0;
    for (int p = 0; p < kPartitions; ++p) {
        const int64_t c = committed[static_cast<size_t>(p)];
        QVERIFY(c == RD_KAFKA_OFFSET_INVALID || c >= savepoint->sourcePositions[static_cast<size_t>(p)]);
        ahead += c > savepoint->sourcePositions[static_cast<size_t>(p)] ? 1 : 0;
    }
    qInfo("group offsets ahead of the savepoint in %d of %d partitions", ahead, kPartitions);

    if (viaCheckpoint) {
        std::vector<std::string> skipped;
        const std::optional<CheckpointFile> newest = latestCheckpoint(config.checkpoint.dir, skipped);
        QVERIFY(newest);
        const Savepoint *checkpoint = &newest->savepoint;
        QCOMPARE(checkpoint->epoch, savepoint->epoch);
        QCOMPARE(checkpoint->sourcePositions, savepoint->sourcePositions);
    }

    JobConfig second = config;
    second.runtime.parallelism = restoreAt;
    const RunResult rest =
        runJob(second, kafka, std::nullopt, size_t(kEvents - before), viaCheckpoint ? std::string() : *first.savepoint);
    QCOMPARE(first.arrivals.size() + rest.arrivals.size(), size_t(kEvents));

    // Exactly once: the load generator numbers the events 1..kEvents.
    std::set<uint64_t> ids;
    std::vector<Arrival> counted = first.arrivals;
    counted.insert(counted.end(), rest.arrivals.begin(), rest.arrivals.end());
    for (const Arrival &a : counted)
        QVERIFY2(ids.insert(a.event.eventId).second, qPrintable(QStringLiteral("event %1 counted twice").arg(a.event.eventId)));
    QCOMPARE(*ids.begin(), uint64_t(1));
    QCOMPARE(*ids.rbegin(), uint64_t(kEvents));

    const OracleResult oracle = computeOracle(config, counted);
    QVERIFY(oracle.table.size() > 1000);
    const std::string diff = describeDifference(oracle.table, readSqliteResults(config.output.sqlitePath));
    QVERIFY2(diff.empty(), diff.c_str());
}

void TestKafkaRestore::partitionCountMismatchIsRefused()
{
    // A savepoint of a topic with 6 partitions, restored into a job on the 4-partition topic:
    // Kafka never removes partitions, so it is another topic's.
    QTemporaryDir dir;
    JobConfig config = kafkaJobConfig();
    config.source.type = SourceConfig::Type::Kafka;
    config.source.kafka = kafkaConfig(m_topic, "tst-restore-mismatch");
    Savepoint savepoint;
    savepoint.epoch = 2;
    savepoint.fingerprint = configFingerprint(config);
    savepoint.sourcePositions.assign(kPartitions + 2, 0);
    const Result<std::string> path = writeSavepointFile(dir.path().toStdString(), "savepoint", savepoint);
    QVERIFY2(path, path.status().toString().c_str());

    MetricsRegistry metrics;
    SteadyClock clock;
    const auto built = buildJob(config, metrics, clock, JobParts{.restoreFrom = *path});
    QVERIFY(!built);
    const Status s = built.status();
    QCOMPARE(s.code(), Status::Code::InvalidArgument);
    QVERIFY2(s.message().find("the savepoint has 6 partitions, topic") != std::string::npos, s.message().c_str());
}

void TestKafkaRestore::topicGainedPartitions()
{
    // A savepoint taken when the topic had 2 partitions, restored after it gained 2 more: the
    // first two continue at the savepoint's positions, the new ones start at the group's
    // committed offsets, here (a new group) at the earliest offset. So exactly the events before
    // the saved positions of partitions 0 and 1 are not read again.
    QTemporaryDir dir;
    JobConfig config = kafkaJobConfig();
    config.output.type = OutputConfig::Type::Sqlite;
    config.output.sqlitePath = dir.filePath(QStringLiteral("tally.db")).toStdString();
    const KafkaSourceConfig kafka = kafkaConfig(m_topic, "tst-restore-gained-" + std::to_string(QCoreApplication::applicationPid()));
    const std::vector<int64_t> saved = {100, 250};
    Savepoint savepoint;
    savepoint.epoch = 2;
    savepoint.fingerprint = configFingerprint(config);
    savepoint.sourcePositions = saved;
    const Result<std::string> path = writeSavepointFile(dir.path().toStdString(), "savepoint", savepoint);
    QVERIFY2(path, path.status().toString().c_str());

    const size_t expected = size_t(kEvents) - size_t(saved[0] + saved[1]);
    const RunResult run = runJob(config, kafka, std::nullopt, expected, *path);
    std::set<uint64_t> ids;
    for (const Arrival &a : run.arrivals)
        QVERIFY2(ids.insert(a.event.eventId).second, qPrintable(QStringLiteral("event %1 counted twice").arg(a.event.eventId)));
    QCOMPARE(run.arrivals.size(), expected);
}

QTEST_GUILESS_MAIN(TestKafkaRestore)
#include "tst_kafka_restore.moc"
