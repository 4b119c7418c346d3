// Kafka tests against the real local broker started by the kafka_broker CTest fixture
// (scripts/kafka/kafka.sh): events produced by tally-loadgen are consumed by the Kafka source and
// the window results equal the oracle; malformed records become dead letters and every valid
// record is counted; a downstream slower than max.poll.interval.ms causes no rebalance.
#include "metrics/metrics.h"
#include "runtime/job_builder.h"
#include "support/kafka_test_support.h"
#include "support/oracle.h"
#include "support/wait.h"
#include "time/clock.h"

#include <QtTest>

#include <future>
#include <thread>

using namespace tally;
using namespace tally::test;

namespace {

// A sink whose first write hangs, like a database stuck on a lock, then recovers.
class StallingSink final : public OutputSink {
public:
    explicit StallingSink(std::chrono::milliseconds stall) : m_stall(stall) {}
    Status writeRows(std::span<const OutputRow> rows) override
    {
        if (!m_stalled) {
            m_stalled = true;
            std::this_thread::sleep_for(m_stall);
        }
        return m_memory.writeRows(rows);
    }
    Status writeDeadLetters(std::span<const DeadLetter> r) override { return m_memory.writeDeadLetters(r); }
    Status writeLateEvents(std::span<const LateEvent> e) override { return m_memory.writeLateEvents(e); }
    Status flush() override { return Status::ok(); }
    ResultTable table() const { return m_memory.table(); }

private:
    std::chrono::milliseconds m_stall;
    bool m_stalled = false;
    MemorySink m_memory;
};

struct KafkaRun {
    std::vector<Arrival> arrivals;
    size_t deadLetters = 0;
    ResultTable table;
    uint64_t rebalances = 0;
    double maxLag = 0;
    double finalLag = -1;
};

KafkaRun consume(const QString &topic, size_t expectedRecords, JobConfig config, std::unique_ptr<OutputSink> sink,
                 std::function<ResultTable()> table, KafkaSourceConfig kafka = {})
{
    KafkaRun run;
    MetricsRegistry metrics;
    SteadyClock clock;
    kafka.bootstrapServers = bootstrap().toStdString();
    kafka.topic = topic.toStdString();
    kafka.groupId = "tst-" + topic.toStdString();
    config.source.type = SourceConfig::Type::Kafka;
    config.source.kafka = kafka;
    auto built = buildJob(config, metrics, clock, JobParts{.sink = std::move(sink)});
    if (!built)
        qFatal("job: %s", built.status().toString().c_str());
    Job &job = *built->job;
    ArrivalRecorder recorder(job);
    if (!job.start().isOk())
        qFatal("job did not start");
    // A timeout is no failure here: the test then fails on what was read.
    if (const Wait polled = waitUntil(
            [&] {
                const MetricsSnapshot m = metrics.snapshot(0);
                run.maxLag = std::max(run.maxLag, m.value("tally_kafka_consumer_group_lag_records"));
                return static_cast<size_t>(m.value("tally_source_records_total")) >= expectedRecords;
            },
            std::chrono::seconds(120), "every record polled");
        !polled)
        qWarning("%s", polled.message().c_str());
    // The lag reading (about once a second) that follows the last poll says the group caught up.
    if (const Wait caughtUp =
            waitUntil([&] { return metrics.snapshot(0).value("tally_kafka_consumer_group_lag_records") == 0; },
                      std::chrono::seconds(30), "a lag reading of 0");
        !caughtUp)
        qWarning("%s", caughtUp.message().c_str());
    run.finalLag = metrics.snapshot(0).value("tally_kafka_consumer_group_lag_records");
    // Assign and revoke callbacks, as KafkaSource::rebalanceCount() counts them.
    const MetricsSnapshot m = metrics.snapshot(0);
    run.rebalances = static_cast<uint64_t>(m.value("tally_kafka_rebalances_total", {{"kind", "assign"}}) +
                                           m.value("tally_kafka_rebalances_total", {{"kind", "revoke"}}));
    job.requestStop();
    if (!job.waitFinished().isOk())
        qFatal("job failed");
    run.arrivals = std::move(recorder.arrivals);
    run.deadLetters = static_cast<size_t>(metrics.snapshot(0).value("tally_dead_letters_total"));
    run.table = table();
    return run;
}

} // namespace

class TestKafka : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void resultsEqualOracle();
    void slowDownstreamCausesNoRebalance();
    void boundedReadStopsAtTheLogEndSeenAtStart();
};

void TestKafka::initTestCase()
{
    QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
    QVERIFY2(!bootstrap().isEmpty(), "the broker's bootstrap file is missing");
}

void TestKafka::resultsEqualOracle()
{
    const QString topic = QStringLiteral("oracle-%1").arg(QCoreApplication::applicationPid());
    QVERIFY(createTopic(topic, 4));
    const int count = 40000;
    const QJsonObject report = produce(topic, count, 0.01, 7);
    QVERIFY2(!report.isEmpty(), "tally-loadgen failed");
    QCOMPARE(report.value(QStringLiteral("acknowledged")).toInteger(), qint64(count));

    auto sink = std::make_unique<MemorySink>();
    MemorySink *memory = sink.get();
    const JobConfig config = kafkaJobConfig();
    const KafkaRun run = consume(topic, count, config, std::move(sink), [&] { return memory->table(); });

    // Every record is an event or a dead letter, and both kinds occurred.
    QCOMPARE(run.arrivals.size() + run.deadLetters, size_t(count));
    QVERIFY(run.deadLetters > 0);
    const OracleResult oracle = computeOracle(config, run.arrivals);
    const std::string diff = describeDifference(oracle.table, run.table);
    QVERIFY2(diff.empty(), diff.c_str());
    QVERIFY(oracle.table.size() > 1000);
}

void TestKafka::slowDownstreamCausesNoRebalance()
{
    const QString topic = QStringLiteral("slow-%1").arg(QCoreApplication::applicationPid());
    QVERIFY(createTopic(topic, 4));
    const int count = 40000;
    QVERIFY(!produce(topic, count, 0, 8).isEmpty());

    // The sink hangs for 12 s on its first write: the queues fill and the source is blocked for
    // longer than max.poll.interval.ms (7 s) in one piece.
    JobConfig config = kafkaJobConfig();
    config.runtime.queueCapacity = 2;
    config.runtime.batchSize = 100;
    auto sink = std::make_unique<StallingSink>(std::chrono::milliseconds(12000));
    StallingSink *slow = sink.get();
    KafkaSourceConfig kafka;
    kafka.sessionTimeoutMs = 6000;
    kafka.maxPollIntervalMs = 7000;
    const auto t0 = std::chrono::steady_clock::now();
    const KafkaRun run = consume(topic, count, config, std::move(sink), [&] { return slow->table(); }, kafka);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    QVERIFY2(seconds > 10, "the downstream was not slow enough to test anything");
    QCOMPARE(run.rebalances, uint64_t(1)); // the initial assignment only
    QVERIFY2(run.maxLag > 1000, "lag never rose");
    QCOMPARE(run.finalLag, 0.0);           // ... and drained
    QCOMPARE(run.arrivals.size(), size_t(count));
    const std::string diff = describeDifference(computeOracle(config, run.arrivals).table, run.table);
    QVERIFY2(diff.empty(), diff.c_str());
}

// stop_at = "end": the job ends by itself once every partition is read up to the log end it had
// when the source opened; records produced after that are not read, and the results equal the
// oracle over what was. A second bounded run of the group goes on where the first one stopped
// and reads exactly what was produced after it started; a third starts at the log end of every
// partition and ends with nothing read.
void TestKafka::boundedReadStopsAtTheLogEndSeenAtStart()
{
    const QString topic = QStringLiteral("bounded-%1").arg(QCoreApplication::applicationPid());
    QVERIFY(createTopic(topic, 4));
    const int before = 30000, after = 5000;
    QVERIFY(!produce(topic, before, 0.01, 11).isEmpty());

    JobConfig config = kafkaJobConfig();
    config.source.type = SourceConfig::Type::Kafka;
    config.source.kafka.bootstrapServers = bootstrap().toStdString();
    config.source.kafka.topic = topic.toStdString();
    config.source.kafka.groupId = "tst-" + topic.toStdString();
    config.source.kafka.stopAt = "end";
    const auto boundedRun = [&](std::function<void()> beforeStart, size_t &deadLetters) {
        MetricsRegistry metrics;
        SteadyClock clock;
        auto sink = std::make_unique<MemorySink>();
        MemorySink *memory = sink.get();
        auto built = buildJob(config, metrics, clock, JobParts{.sink = std::move(sink)}); // reads the log ends
        if (!built)
            qFatal("job: %s", built.status().toString().c_str());
        Job &job = *built->job;
        ArrivalRecorder recorder(job);
        beforeStart();
        if (!job.start().isOk())
            qFatal("job did not start");
        std::future<Status> finished = std::async(std::launch::async, [&] { return job.waitFinished(); });
        if (finished.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
            job.requestStop();
            qFatal("a bounded read did not end by itself within 120 s");
        }
        if (!finished.get().isOk())
            qFatal("job failed");
        deadLetters = static_cast<size_t>(metrics.snapshot(0).value("tally_dead_letters_total"));
        return std::pair{std::move(recorder.arrivals), memory->table()};
    };

    size_t deadLetters = 0;
    const auto [arrivals, table] = boundedRun([&] { QVERIFY(!produce(topic, after, 0, 12).isEmpty()); }, deadLetters);
    QCOMPARE(arrivals.size() + deadLetters, size_t(before));
    const std::string diff = describeDifference(computeOracle(config, arrivals).table, table);
    QVERIFY2(diff.empty(), diff.c_str());

    size_t againDeadLetters = 0;
    const auto [again, againTable] = boundedRun([] {}, againDeadLetters);
    QCOMPARE(again.size() + againDeadLetters, size_t(after)); // what was produced after the first run's start

    size_t nothingDeadLetters = 0;
    const auto [nothing, nothingTable] = boundedRun([] {}, nothingDeadLetters);
    QCOMPARE(nothing.size() + nothingDeadLetters, size_t(0));
}

QTEST_GUILESS_MAIN(TestKafka)
#include "tst_kafka.moc"
