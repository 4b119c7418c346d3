// Kafka tests against the real local broker started by the kafka_broker CTest fixture
// (scripts/kafka/kafka.sh): events produced by tally-loadgen are consumed by the Kafka source and
// the window results equal the oracle; malformed records become dead letters and every valid
// record is counted; a downstream slower than max.poll.interval.ms causes no rebalance.
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "source/kafka_source.h"
#include "support/oracle.h"
#include "time/clock.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <thread>

using namespace tally;
using namespace tally::test;

namespace {

QString brokerDir() { return qEnvironmentVariable("TALLY_KAFKA_BROKER_DIR"); }

QString bootstrap()
{
    QFile f(brokerDir() + QStringLiteral("/bootstrap"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).trimmed();
}

bool runQuietly(const QString &program, const QStringList &args, QByteArray *out = nullptr, int timeoutMs = 120000)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        return false;
    }
    if (out)
        *out = p.readAllStandardOutput();
    if (p.exitCode() != 0)
        qWarning("%s failed: %s", qPrintable(program), p.readAllStandardError().constData());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

bool createTopic(const QString &name, int partitions)
{
    return runQuietly(qEnvironmentVariable("TALLY_KAFKA_SCRIPT"),
                      {QStringLiteral("topics"), brokerDir(), QStringLiteral("create"), name, QString::number(partitions)});
}

// Produces `count` generated events with the load generator; returns its JSON report.
QJsonObject produce(const QString &topic, int count, double malformedFraction, uint64_t seed)
{
    const QString report = QDir::temp().filePath(QStringLiteral("tally-loadgen-%1.json").arg(topic));
    const QStringList args{QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--topic"), topic,
                           QStringLiteral("--count"), QString::number(count), QStringLiteral("--seed"), QString::number(seed),
                           QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--acks"), QStringLiteral("all"),
                           QStringLiteral("--key"), QStringLiteral("post"), QStringLiteral("--posts"), QStringLiteral("300"),
                           QStringLiteral("--users"), QStringLiteral("400"), QStringLiteral("--event-time-rate"), QStringLiteral("400"),
                           QStringLiteral("--start-time-ms"), QStringLiteral("1767225600000"),
                           QStringLiteral("--late-fraction"), QStringLiteral("0.03"), QStringLiteral("--late-delay-ms"), QStringLiteral("15000"),
                           QStringLiteral("--malformed-fraction"), QString::number(malformedFraction),
                           QStringLiteral("--quiet"), QStringLiteral("--report-json"), report};
    if (!runQuietly(QStringLiteral(TALLY_LOADGEN_PATH), args))
        return {};
    QFile f(report);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// The windows of the oracle tests, scaled to a stream of about two minutes of event time.
JobConfig kafkaJobConfig()
{
    JobConfig c;
    c.watermark.boundMs = 1000;
    c.watermark.idleTimeoutMs = 0;
    c.runtime.parallelism = 2;
    c.runtime.batchSize = 500;
    c.runtime.allowedLatenessMs = 3000;
    c.likesPerPost.windowMs = 5000;
    c.trendingHourly.windowMs = 20000;
    c.trendingHourly.topK = 5;
    c.likesByRegion.windowsMs = {5000, 20000};
    c.likeVelocity.sizeMs = 15000;
    c.likeVelocity.slideMs = 5000;
    c.likeVelocity.minPerMinute = 8;
    c.likeVelocity.viralPerMinute = 40;
    c.spamSuspects.sizeMs = 5000;
    c.spamSuspects.slideMs = 1000;
    c.spamSuspects.threshold = 8;
    c.spamSuspects.minLikes = 4;
    c.spamSuspects.baselineFactor = 3;
    c.spamSuspects.baselineBucketMs = 5000;
    c.spamSuspects.baselineBuckets = 3;
    c.output.type = OutputConfig::Type::None;
    return c;
}

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
    auto source = KafkaSource::open(kafka, metrics);
    if (!source.isOk())
        qFatal("kafka source: %s", source.status().toString().c_str());
    KafkaSource *kafkaSource = source->get();
    Job job(config, std::move(source).value(), std::move(sink), metrics, clock);
    std::mutex mutex;
    job.setArrivalObserver([&](int, const std::vector<LikeEvent> &events, int64_t watermark) {
        std::lock_guard lock(mutex);
        for (const LikeEvent &e : events)
            run.arrivals.push_back({e, watermark});
    });
    if (!job.start().isOk())
        qFatal("job did not start");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    for (;;) {
        const MetricsSnapshot m = metrics.snapshot(0);
        run.maxLag = std::max(run.maxLag, m.value("tally_kafka_consumer_lag_records_sum"));
        const auto polled = static_cast<size_t>(m.value("tally_source_records_total"));
        if (polled >= expectedRecords || std::chrono::steady_clock::now() > deadline)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1200)); // one more lag reading at the end
    run.finalLag = metrics.snapshot(0).value("tally_kafka_consumer_lag_records_sum");
    run.rebalances = kafkaSource->rebalanceCount();
    job.requestStop();
    if (!job.waitFinished().isOk())
        qFatal("job failed");
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

QTEST_GUILESS_MAIN(TestKafka)
#include "tst_kafka.moc"
