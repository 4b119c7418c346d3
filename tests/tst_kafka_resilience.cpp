// Kafka resilience tests against the real local broker started by the kafka_broker CTest fixture:
// when one of two consumers of a group leaves, the other takes over its partitions from the
// committed positions, so no record is lost or counted twice; and a job rides out a broker stop
// and restart with no operator action, its results equal to the oracle's, while the console's
// broker_unreachable alert fires during the outage and resolves after it.
#include "metrics/metrics.h"
#include "models/alerts.h"
#include "models/console_snapshot.h"
#include "runtime/job_builder.h"
#include "source/kafka_source.h"
#include "support/kafka_test_support.h"
#include "support/oracle.h"
#include "support/wait.h"
#include "time/clock.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_set>

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr int kPartitions = 4;

// A KafkaSource behind a record budget, the tests' sync point: it delivers records until it has
// delivered `budget` in total, then holds the consumer where it is (partitions paused, the group
// served, as under backpressure) until the budget grows. It also publishes the consumer's
// assignment and rebalance count, which KafkaSource lets only the source thread read.
class GatedSource final : public Source {
public:
    static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

    GatedSource(std::unique_ptr<KafkaSource> kafka, uint64_t budget)
        : m_kafka(std::move(kafka)), m_partitions(m_kafka->partitionCount()), m_budget(budget)
    {
    }

    int partitionCount() const override { return m_partitions; }

    PollStatus poll(SourceBatch &batch, size_t maxRecords) override
    {
        const uint64_t delivered = m_delivered.load();
        const uint64_t budget = m_budget.load();
        if (delivered >= budget) {
            batch.clear();
            m_kafka->keepAlive();
            publish();
            std::this_thread::sleep_for(5ms); // spare the two cores while held
            return PollStatus::Idle;
        }
        const PollStatus s = m_kafka->poll(batch, static_cast<size_t>(std::min<uint64_t>(maxRecords, budget - delivered)));
        m_delivered += batch.size();
        publish();
        return s;
    }

    void keepAlive() override
    {
        m_kafka->keepAlive();
        publish();
    }

    Status commitPositions(const std::vector<int64_t> &nextOffsets) override { return m_kafka->commitPositions(nextOffsets); }

    // Thread-safe.
    void setBudget(uint64_t budget) { m_budget = budget; }
    uint64_t delivered() const { return m_delivered.load(); }
    std::vector<int> assignment() const
    {
        std::lock_guard lock(m_mutex);
        return m_assignment;
    }
    uint64_t rebalances() const
    {
        std::lock_guard lock(m_mutex);
        return m_rebalances;
    }

private:
    void publish()
    {
        std::vector<int> assignment = m_kafka->assignment();
        const uint64_t rebalances = m_kafka->rebalanceCount();
        std::lock_guard lock(m_mutex);
        m_assignment = std::move(assignment);
        m_rebalances = rebalances;
    }

    std::unique_ptr<KafkaSource> m_kafka;
    const int m_partitions;
    std::atomic<uint64_t> m_budget;
    std::atomic<uint64_t> m_delivered{0};
    mutable std::mutex m_mutex; // guards m_assignment, m_rebalances
    std::vector<int> m_assignment;
    uint64_t m_rebalances = 0;
};

// One job over a gated KafkaSource with its own metrics, in-memory sink and arrival record.
struct Consumer {
    MetricsRegistry metrics;
    SteadyClock clock;
    GatedSource *gate = nullptr; // owned by job
    MemorySink *sink = nullptr;  // owned by job
    std::unique_ptr<Job> job;    // declared after what it refers to, so destroyed first

    mutable std::mutex mutex; // guards arrivals, ids
    std::vector<Arrival> arrivals;
    std::unordered_set<uint64_t> ids;

    // Opens the source (which subscribes) and makes the job; start() runs it.
    QString open(const QString &topic, const JobConfig &config, KafkaSourceConfig kafka, uint64_t budget)
    {
        kafka.bootstrapServers = bootstrap().toStdString();
        kafka.topic = topic.toStdString();
        auto source = KafkaSource::open(kafka, metrics);
        if (!source.isOk())
            return QString::fromStdString(source.status().toString());
        auto gated = std::make_unique<GatedSource>(std::move(source).value(), budget);
        gate = gated.get();
        auto memory = std::make_unique<MemorySink>();
        sink = memory.get();
        auto built = buildJob(config, metrics, clock, JobParts{.source = std::move(gated), .sink = std::move(memory)});
        if (!built) {
            gate = nullptr;
            sink = nullptr;
            return QString::fromStdString(built.status().toString());
        }
        job = std::move(built->job);
        job->setArrivalObserver([this](int, const std::vector<LikeEvent> &events, int64_t watermark) {
            std::lock_guard lock(mutex);
            for (const LikeEvent &e : events) {
                arrivals.push_back({e, watermark});
                ids.insert(e.eventId);
            }
        });
        return {};
    }

    double metric(std::string_view name) const { return metrics.snapshot(0).value(name); }
    size_t arrivalCount() const
    {
        std::lock_guard lock(mutex);
        return arrivals.size();
    }
    size_t distinctIds() const
    {
        std::lock_guard lock(mutex);
        return ids.size();
    }
};

// Calls `watch` about every 50 ms for `duration`: a time window the test chooses (an outage's
// length), not a wait for a condition.
void watchFor(std::chrono::milliseconds duration, const std::function<void()> &watch)
{
    const auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end) {
        watch();
        std::this_thread::sleep_for(50ms);
    }
}

// Empty if the event ids of `arrivals` are exactly 1..count, each once; otherwise what differs.
std::string checkIdsExactly(const std::vector<Arrival> &arrivals, uint64_t count)
{
    std::vector<uint64_t> ids;
    ids.reserve(arrivals.size());
    for (const Arrival &a : arrivals)
        ids.push_back(a.event.eventId);
    std::sort(ids.begin(), ids.end());
    const size_t distinct = static_cast<size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
    const size_t duplicates = arrivals.size() - distinct;
    ids.resize(distinct);
    const size_t inRange = static_cast<size_t>(std::count_if(ids.begin(), ids.end(), [&](uint64_t id) { return id >= 1 && id <= count; }));
    if (duplicates == 0 && distinct == count && inRange == count)
        return {};
    return std::to_string(arrivals.size()) + " arrivals, " + std::to_string(duplicates) + " duplicated, " +
           std::to_string(count - inRange) + " of the " + std::to_string(count) + " produced ids missing, " +
           std::to_string(distinct - inRange) + " unknown ids";
}

int64_t netLikes(const std::vector<Arrival> &arrivals)
{
    int64_t net = 0;
    for (const Arrival &a : arrivals)
        net += a.event.action == Action::Like ? 1 : -1;
    return net;
}

int64_t sumLikesPerPost(const ResultTable &table)
{
    int64_t sum = 0;
    for (const auto &[key, value] : table)
        if (std::get<0>(key) == Aggregation::LikesPerPost)
            sum += value.value;
    return sum;
}

std::string describe(const std::vector<int> &partitions)
{
    std::string s = "{";
    for (size_t i = 0; i < partitions.size(); ++i) {
        if (i > 0)
            s += ',';
        s += std::to_string(partitions[i]);
    }
    s += '}';
    return s;
}

int brokerPort()
{
    const QString address = bootstrap();
    return address.section(QLatin1Char(':'), -1).toInt();
}

} // namespace

class TestKafkaResilience : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void twoConsumersOneLeaves();
    void brokerRestartMidRun();

private:
    int m_port = 0; // the fixture broker's client port
};

void TestKafkaResilience::initTestCase()
{
    QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
    QVERIFY2(!bootstrap().isEmpty(), "the broker's bootstrap file is missing");
    m_port = brokerPort();
    QVERIFY2(m_port > 0, qPrintable(QStringLiteral("cannot read a port from the bootstrap address '%1'").arg(bootstrap())));
}

// Later tests share the broker: whatever happened, it runs again on its port when a test ends.
void TestKafkaResilience::cleanup()
{
    if (brokerRunning())
        return;
    qWarning("the broker is not running after the test; starting it again on port %d", m_port);
    if (const QString error = startBroker(m_port); !error.isEmpty())
        qFatal("could not start the broker again (later Kafka tests would fail): %s", qPrintable(error));
}

void TestKafkaResilience::twoConsumersOneLeaves()
{
    const QString topic = QStringLiteral("handover-%1").arg(QCoreApplication::applicationPid());
    QVERIFY(createTopic(topic, kPartitions));
    constexpr int kCount = 40000;
    const QJsonObject report = produce(topic, kCount, 0, 21, /*lateFraction=*/0);
    QVERIFY2(!report.isEmpty(), "tally-loadgen failed");
    QCOMPARE(report.value(QStringLiteral("acknowledged")).toInteger(), qint64(kCount));

    // A window sees only part of its events in each job, and B reads A's partitions from where A
    // stopped, far behind B's own watermark: a lateness longer than the whole stream keeps every
    // event counted somewhere.
    JobConfig config = kafkaJobConfig();
    config.runtime.allowedLatenessMs = 600000;
    config.watermark.idleTimeoutMs = 0;
    KafkaSourceConfig kafka;
    kafka.groupId = "tst-" + topic.toStdString();

    // Each consumer may take 2000 records before the hand-over, so both are mid-stream then.
    constexpr uint64_t kBeforeHandover = 2000;
    Consumer a, b;
    QString error = a.open(topic, config, kafka, kBeforeHandover);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    error = b.open(topic, config, kafka, kBeforeHandover);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(a.job->start().isOk());
    QVERIFY(b.job->start().isOk());

    QElapsedTimer timer;
    timer.start();
    // Both in the group with a share of the partitions, and both at their budget.
    const Wait shared = waitUntil(
        [&] {
            const std::vector<int> pa = a.gate->assignment(), pb = b.gate->assignment();
            std::vector<int> all = pa;
            all.insert(all.end(), pb.begin(), pb.end());
            std::sort(all.begin(), all.end());
            return !pa.empty() && !pb.empty() && all == std::vector<int>{0, 1, 2, 3} &&
                   a.gate->delivered() == kBeforeHandover && b.gate->delivered() == kBeforeHandover;
        },
        60s, "the two consumers to share the partitions and reach their budgets");
    QVERIFY2(shared, qPrintable(QStringLiteral("within 60 s the two consumers did not share the partitions and reach "
                                               "their budgets: A has %1 and delivered %2, B has %3 and delivered %4")
                                    .arg(QString::fromStdString(describe(a.gate->assignment())))
                                    .arg(a.gate->delivered())
                                    .arg(QString::fromStdString(describe(b.gate->assignment())))
                                    .arg(b.gate->delivered())));
    const qint64 sharedMs = timer.restart();
    const std::vector<int> assignmentBBefore = b.gate->assignment();
    const uint64_t rebalancesBBefore = b.gate->rebalances();

    // A leaves: it drains; then destroying the job closes its consumer (stopping a job does not
    // close its source), which revokes A's partitions, commits what A delivered and leaves.
    a.job->requestStop();
    const Status stoppedA = a.job->waitFinished();
    QVERIFY2(stoppedA.isOk(), stoppedA.toString().c_str());
    const ResultTable tableA = a.sink->table();
    const uint64_t deliveredA = a.gate->delivered();
    const double recordsA = a.metric("tally_source_records_total");
    const double droppedA = a.metric("tally_dropped_events_total");
    const std::vector<int> assignmentA = a.gate->assignment();
    timer.restart();
    a.job.reset(); // closes A's consumer
    a.gate = nullptr;
    a.sink = nullptr;
    const qint64 closeMs = timer.restart();

    // B takes over A's partitions and reads the rest.
    b.gate->setBudget(GatedSource::kUnlimited);
    const Wait drained = waitUntil(
        [&] {
            return b.gate->assignment().size() == size_t(kPartitions) &&
                   deliveredA + b.gate->delivered() >= uint64_t(kCount) &&
                   b.metric("tally_kafka_consumer_group_lag_records") == 0;
        },
        60s, "B to read the rest");
    QVERIFY2(drained, qPrintable(QStringLiteral("within 60 s of A leaving, B did not read the rest: B has %1, "
                                               "A delivered %2 and B %3 of %4 records, B's lag is %5")
                                    .arg(QString::fromStdString(describe(b.gate->assignment())))
                                    .arg(deliveredA)
                                    .arg(b.gate->delivered())
                                    .arg(kCount)
                                    .arg(b.metric("tally_kafka_consumer_group_lag_records"))));
    const qint64 takeoverMs = timer.elapsed();
    const uint64_t rebalancesBAfter = b.gate->rebalances();
    b.job->requestStop();
    const Status stoppedB = b.job->waitFinished();
    QVERIFY2(stoppedB.isOk(), stoppedB.toString().c_str());
    const ResultTable tableB = b.sink->table();
    qInfo("partitions shared after %lld ms (A %s, B %s); A closed in %lld ms; B had read the rest %lld ms later; "
          "A delivered %llu records, B %llu",
          sharedMs, describe(assignmentA).c_str(), describe(assignmentBBefore).c_str(), closeMs, takeoverMs,
          static_cast<unsigned long long>(deliveredA), static_cast<unsigned long long>(b.gate->delivered()));

    // B saw the reassignment and ended up with every partition.
    QVERIFY2(assignmentBBefore.size() < size_t(kPartitions), "B had every partition before A left");
    QCOMPARE(b.gate->assignment(), (std::vector<int>{0, 1, 2, 3}));
    QVERIFY2(rebalancesBAfter > rebalancesBBefore, "B's rebalance count did not go up when A left");

    // No loss, no double count: together A and B saw every produced event exactly once.
    std::vector<Arrival> all = a.arrivals;
    all.insert(all.end(), b.arrivals.begin(), b.arrivals.end());
    const std::string ids = checkIdsExactly(all, kCount);
    QVERIFY2(ids.empty(), ids.c_str());
    QCOMPARE(recordsA + b.metric("tally_source_records_total"), double(kCount));
    QCOMPARE(a.arrivals.size(), size_t(deliveredA));

    // Every event was counted in one of the two tables, none dropped as late.
    QCOMPARE(droppedA, 0.0);
    QCOMPARE(b.metric("tally_dropped_events_total"), 0.0);
    QCOMPARE(sumLikesPerPost(tableA) + sumLikesPerPost(tableB), netLikes(all));
    // ... and each job's windows are right for what it read.
    std::string diff = describeDifference(computeOracle(config, a.arrivals).table, tableA);
    QVERIFY2(diff.empty(), ("A: " + diff).c_str());
    diff = describeDifference(computeOracle(config, b.arrivals).table, tableB);
    QVERIFY2(diff.empty(), ("B: " + diff).c_str());
}

void TestKafkaResilience::brokerRestartMidRun()
{
    const QString topic = QStringLiteral("restart-%1").arg(QCoreApplication::applicationPid());
    QVERIFY(createTopic(topic, kPartitions));
    constexpr int kCount = 60000;
    const QJsonObject report = produce(topic, kCount, 0, 22);
    QVERIFY2(!report.isEmpty(), "tally-loadgen failed");
    QCOMPARE(report.value(QStringLiteral("acknowledged")).toInteger(), qint64(kCount));

    JobConfig config = kafkaJobConfig();
    config.runtime.batchSize = 200;
    KafkaSourceConfig kafka;
    kafka.groupId = "tst-" + topic.toStdString();
    // Small fetches and a small local queue, so that most of the topic is still on the broker
    // when it stops: the job has to fetch again after the restart.
    kafka.properties = {{"queued.max.messages.kbytes", "256"}, {"max.partition.fetch.bytes", "32768"}};

    // The job reads 10000 records, then the broker goes away.
    constexpr uint64_t kBeforeOutage = 10000;
    Consumer c;
    const QString error = c.open(topic, config, kafka, kBeforeOutage);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    // Whatever happens, the broker runs again when this test ends (later tests share it), and
    // before the job's consumer is closed.
    const auto restartBroker = qScopeGuard([this] {
        if (brokerRunning())
            return;
        if (const QString why = startBroker(m_port); !why.isEmpty())
            qWarning("could not start the broker again: %s", qPrintable(why));
    });
    QVERIFY(c.job->start().isOk());
    QVERIFY2(waitUntil([&] { return c.gate->delivered() == kBeforeOutage; }, 60s, "the records before the outage"),
             qPrintable(QStringLiteral("the job delivered %1 records within 60 s, not %2").arg(c.gate->delivered()).arg(kBeforeOutage)));

    // The console's alert rules over the job, sampled as the console does (four times a second).
    AlertModel alerts;
    std::optional<int64_t> firedAtMs, resolvedAtMs;
    QObject::connect(&alerts, &AlertModel::alertFired, [&](const Alert &a) {
        if (a.ruleId == QLatin1String("broker_unreachable"))
            firedAtMs = a.firedAtMs;
    });
    QObject::connect(&alerts, &AlertModel::alertResolved, [&](const Alert &a) {
        if (a.ruleId == QLatin1String("broker_unreachable"))
            resolvedAtMs = *a.resolvedAtMs;
    });
    ConsoleSnapshot console;
    const auto sampleConsole = [&] {
        const int64_t now = QDateTime::currentMSecsSinceEpoch();
        if (console.takenAtMs > 0 && now - console.takenAtMs < 250)
            return;
        console = takeConsoleSnapshot(*c.job, c.metrics, true, console.takenAtMs > 0 ? &console : nullptr, now);
        alerts.evaluate(console);
    };

    double minBrokerUp = c.metric("tally_kafka_broker_up");
    QCOMPARE(minBrokerUp, 1.0);
    const auto watchBrokerUp = [&] {
        minBrokerUp = std::min(minBrokerUp, c.metric("tally_kafka_broker_up"));
        sampleConsole();
    };

    QElapsedTimer timer;
    timer.start();
    const int64_t stoppingAtMs = QDateTime::currentMSecsSinceEpoch();
    QVERIFY2(stopBroker(), "kafka.sh stop failed");
    const qint64 stopMs = timer.restart();
    c.gate->setBudget(GatedSource::kUnlimited); // no operator action from here on
    watchFor(12s, watchBrokerUp); // longer than broker_unreachable's 10 s
    const uint64_t deliveredInOutage = c.gate->delivered();
    QVERIFY2(firedAtMs, "broker_unreachable did not fire 12 s into the outage");
    QVERIFY(!resolvedAtMs);

    // Same folder, same port: the job's consumer only knows that address.
    const QString startError = startBroker(m_port, 150s, watchBrokerUp);
    QVERIFY2(startError.isEmpty(), qPrintable(startError));
    const int64_t restartedAtMs = QDateTime::currentMSecsSinceEpoch();
    const qint64 outageMs = stopMs + timer.restart();

    const Wait complete = waitUntil(
        [&] {
            watchBrokerUp();
            return c.distinctIds() == size_t(kCount) && c.metric("tally_kafka_consumer_group_lag_records") == 0;
        },
        90s, "every record after the restart");
    QVERIFY2(complete, qPrintable(QStringLiteral("within 90 s of the restart the job did not read every record: %1 distinct "
                                                "of %2, %3 arrivals, lag %4, broker_up %5")
                                     .arg(c.distinctIds())
                                     .arg(kCount)
                                     .arg(c.arrivalCount())
                                     .arg(c.metric("tally_kafka_consumer_group_lag_records"))
                                     .arg(c.metric("tally_kafka_broker_up"))));
    const qint64 resumeMs = timer.elapsed();
    TALLY_WAIT_UNTIL((sampleConsole(), resolvedAtMs.has_value()), 30s, "broker_unreachable to resolve");
    qInfo("broker_unreachable fired %.1f s after the stop began and resolved %.1f s after the broker answered again",
          (*firedAtMs - stoppingAtMs) / 1000.0, (*resolvedAtMs - restartedAtMs) / 1000.0);
    QVERIFY(*resolvedAtMs - restartedAtMs <= 15000);
    const double brokerUpAtEnd = c.metric("tally_kafka_broker_up");
    c.job->requestStop();
    const Status stopped = c.job->waitFinished();
    QVERIFY2(stopped.isOk(), stopped.toString().c_str());
    qInfo("broker stopped in %lld ms, down for %lld ms in all (the job delivered %llu records from its local queue "
          "in the first 3 s), "
          "every record read %lld ms after the restart; %llu rebalance callbacks",
          stopMs, outageMs, static_cast<unsigned long long>(deliveredInOutage - kBeforeOutage), resumeMs,
          static_cast<unsigned long long>(c.gate->rebalances()));

    QCOMPARE(minBrokerUp, 0.0);     // the outage was seen ...
    QCOMPARE(brokerUpAtEnd, 1.0);   // ... and its end
    // Every record once: none lost, none read again after the restart.
    const std::string ids = checkIdsExactly(c.arrivals, kCount);
    QVERIFY2(ids.empty(), ("across the restart: " + ids).c_str());
    QCOMPARE(c.metric("tally_source_records_total"), double(kCount));
    const std::string diff = describeDifference(computeOracle(config, c.arrivals).table, c.sink->table());
    QVERIFY2(diff.empty(), diff.c_str());
}

QTEST_GUILESS_MAIN(TestKafkaResilience)
#include "tst_kafka_resilience.moc"
